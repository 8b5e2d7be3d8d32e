"""Seeded, stated sampling of patients for per-patient figures (swimmer, MRD trajectories)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ino_study.outputs.formats import format_count
from ino_study.outputs.io import sorted_distinct_text

SEED = 20230131
MAX_SWIMMER_LANES = 40
MAX_MRD_PATIENTS = 40


def sample_patients(ids: pd.Series, limit: int, seed: int = SEED) -> tuple[np.ndarray, str]:
    """All patients when there are at most `limit`, else a seeded random sample; with the note to print."""
    unique = sorted_distinct_text(ids.astype(str))
    if unique.size <= limit:
        return unique, ""
    # Generator.choice draws positions from the size alone, then takes them: the sorted positions give
    # the sorted sample
    chosen = unique[np.sort(np.random.default_rng(seed).choice(unique.size, size=limit, replace=False))]
    return chosen, f"Random sample of {format_count(limit)} of {format_count(unique.size)} patients (seed {seed})."
