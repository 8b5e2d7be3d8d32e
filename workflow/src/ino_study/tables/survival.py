"""Survival table: KM estimates at the configured timepoints, medians and median follow-up, formatted
from the statistics tables (survival_estimates.csv, median_survival.csv, follow_up.csv) so they agree."""

from __future__ import annotations

import math

import pandas as pd

from ino_study.outputs.formats import PERCENT_DECIMALS, format_percent

DECIMALS = PERCENT_DECIMALS["survival_summary"]


def _pct(v: float) -> str:
    return format_percent(v, DECIMALS, symbol=False)


def _months(v: float) -> str:
    return "NR" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1f}"


def survival_table(estimates: pd.DataFrame, medians: pd.DataFrame, follow_up: pd.DataFrame) -> pd.DataFrame:
    """One row per endpoint x group: n, events, median (CI) and estimate (CI) per timepoint, in %."""
    rows = []
    for (endpoint, group_by, group), part in medians.groupby(["endpoint", "group_by", "group"], sort=False):
        m = part.iloc[0]
        row = {"endpoint": endpoint, "group_by": group_by, "group": group, "n": int(m["n"]),
               "events": int(m["events"]),
               "median_months": f"{_months(m['median_months'])} ({_months(m['ci_lower'])}-{_months(m['ci_upper'])})"}
        est = estimates[(estimates["endpoint"] == endpoint) & (estimates["group_by"] == group_by)
                        & (estimates["group"] == group)]
        for _, e in est.iterrows():
            key = f"{e['time_months']:g}_months_pct"
            row[key] = f"{_pct(e['survival'])} ({_pct(e['ci_lower'])}-{_pct(e['ci_upper'])})"
            row[f"{e['time_months']:g}_months_at_risk"] = int(e["n_risk"])
        row["conf_type"] = m["conf_type"]
        rows.append(row)
    table = pd.DataFrame(rows)
    if len(follow_up):
        f = follow_up.iloc[0]
        table.attrs["follow_up"] = (f"Median follow-up (reverse Kaplan-Meier) {_months(f['estimate'])} months "
                                    f"({_months(f['ci_lower'])}-{_months(f['ci_upper'])}), n = {int(f['n'])}.")
        extra = {c: "" for c in table.columns}
        extra.update({"endpoint": "Follow-up", "group_by": "all", "group": "all", "n": int(f["n"]),
                      "median_months": f"{_months(f['estimate'])} ({_months(f['ci_lower'])}-{_months(f['ci_upper'])})"})
        table = pd.concat([table, pd.DataFrame([extra])], ignore_index=True)
    return table


def reader_survival(table: pd.DataFrame, labels) -> pd.DataFrame:
    """The survival table as printed: `group_by` and `group` as the dictionary's labels ("Prior HSCT",
    "Yes"; `labels` an ino_study.endpoints.labels.Labels); the CSV keeps the machine values."""
    out = table.copy()
    out["group"] = [labels.level(by, g) for by, g in zip(out["group_by"], out["group"])]
    out["group_by"] = [labels.variable(by) for by in out["group_by"]]
    return out
