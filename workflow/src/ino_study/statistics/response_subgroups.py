"""Response by subgroup (results/tables/response_by_subgroup.csv): CR/CRi among evaluable patients by
each comparison variable and by CD22 expression, with exact intervals and Fisher's exact test.

For each variable: one row per level (patients whose value is not recorded form the level "missing",
shown but left out of the test), responders / evaluable patients of the level, the rate with its
exact Clopper-Pearson interval, and the two-sided p-value of Fisher's exact test of response by level
over the recorded levels (scipy.stats.fisher_exact; the same p-value on every row of the variable;
empty when fewer than two recorded levels). CD22 expression: `cd22_pct` at or above the config cut-off
(`cd22_cutoff_percent`, default 90) vs below it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ino_study.statistics.proportions import clopper_pearson
from ino_study.statistics.survival_analysis import MISSING, group_labels

SUBGROUP_COLUMNS = ["variable", "level", "responders", "denominator", "rate", "ci_lower", "ci_upper", "p_value"]
CD22_VARIABLE = "cd22_expression"


def cd22_levels(cd22_pct: pd.Series, cutoff: float) -> pd.Series:
    """'>= 90%' / '< 90%' (the cut-off as given), None where CD22 is not recorded."""
    values = pd.to_numeric(cd22_pct, errors="coerce").astype(float)
    labels = np.where(values >= cutoff, f">= {cutoff:g}%", f"< {cutoff:g}%").astype(object)
    labels[np.isnan(values.to_numpy())] = None
    return pd.Series(labels, index=cd22_pct.index, dtype=object)


def fisher_p(table: np.ndarray) -> float:
    """Two-sided Fisher's exact test of a levels x (responder, non-responder) table (R ``fisher.test``);
    NaN when fewer than two levels have patients, 1 when every patient (or none) responded."""
    table = table[table.sum(axis=1) > 0]
    if table.shape[0] < 2:
        return float("nan")
    if (table.sum(axis=0) == 0).any():
        return 1.0  # no variation in response: R's fisher.test gives p = 1
    from scipy.stats import fisher_exact

    return float(fisher_exact(table).pvalue)


def response_by_subgroup(adsl: pd.DataFrame, comparisons: tuple[str, ...], cd22_cutoff: float,
                         conf_level: float = 0.95) -> pd.DataFrame:
    """Rows of SUBGROUP_COLUMNS, variables in the order of `comparisons` then CD22, levels sorted
    ('missing' last)."""
    evaluable = adsl[adsl["included"] & adsl["evaluable"]]
    variables = {column: group_labels(evaluable[column]) for column in comparisons}
    variables[CD22_VARIABLE] = group_labels(cd22_levels(evaluable["cd22_pct"], cd22_cutoff))
    responder = evaluable["responder"].astype(bool).to_numpy()
    rows = []
    for variable, labels in variables.items():
        labels = labels.to_numpy(dtype=object)
        levels = sorted(set(labels) - {MISSING}) + ([MISSING] if MISSING in set(labels) else [])
        counts = {lv: (int(responder[labels == lv].sum()), int((labels == lv).sum())) for lv in levels}
        known = np.array([[r, n - r] for lv, (r, n) in counts.items() if lv != MISSING]).reshape(-1, 2)
        p_value = fisher_p(known)
        for level in levels:
            responders, n = counts[level]
            rate, lower, upper = clopper_pearson(responders, n, conf_level)
            rows.append({"variable": variable, "level": level, "responders": responders, "denominator": n,
                         "rate": rate, "ci_lower": lower, "ci_upper": upper,
                         "p_value": p_value if level != MISSING else float("nan")})
    return pd.DataFrame(rows, columns=SUBGROUP_COLUMNS)
