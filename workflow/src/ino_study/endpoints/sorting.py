"""Integer sort keys for text columns, so that multi-column sorts compare numbers, not strings.

``DataFrame.sort_values`` on a text column orders the rows by the codes of
``pd.factorize(column, sort=True)`` (missing values last); sorting on those codes instead gives the
same row order, and the codes can be computed once and reused.  At 100,000 patients each sort on
the patient id string cost 0.1-0.3 s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def sort_codes(values: pd.Series) -> np.ndarray:
    """Each value's rank among the distinct values in sorted order; missing values rank last."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.where(codes < 0, len(uniques), codes)


def in_order(*keys: np.ndarray) -> bool:
    """True when rows are already in ascending lexicographic order of the integer ``keys``.

    A stable sort of rows already in order changes nothing, so it can be skipped.
    """
    if len(keys[0]) < 2:
        return True
    tied = np.ones(len(keys[0]) - 1, dtype=bool)  # row pairs (i, i + 1) equal on every key so far
    for key in keys:
        if np.any(tied & (key[:-1] > key[1:])):
            return False
        tied &= key[:-1] == key[1:]
    return True
