"""Adverse events: worst CTCAE grade per patient and term, any grade and grade >= 3, n (%) of patients."""

from __future__ import annotations

import pandas as pd

from ino_study.outputs.formats import PERCENT_DECIMALS, format_count_percent

GRADES = (1, 2, 3, 4, 5)
#: Decimals of the percentages (the adverse-event figure prints the same).
DECIMALS = PERCENT_DECIMALS["adverse_events"]
COLUMNS = ["term", "any_grade_n", "any_grade_pct", "grade3plus_n", "grade3plus_pct",
           *[f"worst_grade_{g}_n" for g in GRADES], "any_grade", "grade_3_or_more", "denominator"]


def worst_grades(adsl: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """One row per included patient and term with the worst grade (term = AEDECOD)."""
    included = adsl.loc[adsl["included"], "patient_id"]
    events = adae[adae["patient_id"].isin(included)]
    worst = events.groupby(["AEDECOD", "patient_id"], sort=True)["AETOXGR"].max().reset_index()
    return worst.rename(columns={"AEDECOD": "term", "AETOXGR": "worst_grade"})


def grade_counts(worst: pd.DataFrame) -> pd.DataFrame:
    """Patients per term and worst grade (long), the numbers of the adverse-event figure."""
    counts = worst.groupby(["term", "worst_grade"]).size().rename("n_patients").reset_index()
    return counts.sort_values(["term", "worst_grade"], kind="stable").reset_index(drop=True)


def _pct(k: int, n: int) -> float:
    return 100.0 * k / n if n else float("nan")


def adverse_event_table(adsl: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """Term x worst grade, sorted by any-grade frequency then term; n (%) of the included patients."""
    n = int(adsl["included"].sum())
    worst = worst_grades(adsl, adae)
    wide = worst.pivot_table(index="term", columns="worst_grade", values="patient_id", aggfunc="count",
                             fill_value=0).reindex(columns=list(GRADES), fill_value=0)
    rows = []
    for term, counts in wide.iterrows():
        any_n = int(counts.sum())
        high = int(counts[[g for g in GRADES if g >= 3]].sum())
        rows.append({"term": term, "any_grade_n": any_n, "any_grade_pct": _pct(any_n, n), "grade3plus_n": high,
                     "grade3plus_pct": _pct(high, n), **{f"worst_grade_{g}_n": int(counts[g]) for g in GRADES},
                     "any_grade": format_count_percent(any_n, n, DECIMALS),
                     "grade_3_or_more": format_count_percent(high, n, DECIMALS), "denominator": n})
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["any_grade_n", "term"], ascending=[False, True], kind="stable").reset_index(drop=True)
