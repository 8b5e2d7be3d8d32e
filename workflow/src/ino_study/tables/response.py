"""Response, MRD and VOD/SOS rates with exact (Clopper-Pearson) intervals."""

from __future__ import annotations

import pandas as pd

from ino_study.outputs.formats import PERCENT_DECIMALS, format_ci, format_count, format_percent
from ino_study.statistics.proportions import clopper_pearson

COLUMNS = ["measure", "population", "count", "denominator", "percent", "ci_lower_pct", "ci_upper_pct",
           "display"]
BEST_RESPONSES = ("CR", "CRi", "PR", "NR")
#: The columns of adsl `response_table` reads (course1_response and first_remission_response when the
#: analysis datasets have them).
ADSL_COLUMNS = ("included", "evaluable", "responder", "best_response", "mrd_negative", "dose_group", "hsct_after_ino",
                "vod_after_hsct", "vod", "vod_during_ino", "course1_response", "first_remission_response")
#: Decimals of the rates (the bar figure of these rates prints the same).
DECIMALS = PERCENT_DECIMALS["response"]


def _row(measure: str, population: str, count: int, denominator: int, conf_level: float) -> dict:
    rate, lower, upper = clopper_pearson(int(count), int(denominator), conf_level)
    pct = [100 * v for v in (rate, lower, upper)]
    text = (f"{format_count(count)}/{format_count(denominator)} ({format_percent(pct[0], DECIMALS, scale=1)}; "
            f"{format_ci(pct[1], pct[2], DECIMALS, scale=1)})" if denominator else f"{format_count(count)}/0")
    return {"measure": measure, "population": population, "count": int(count), "denominator": int(denominator),
            "percent": pct[0], "ci_lower_pct": pct[1], "ci_upper_pct": pct[2], "display": text}


def course1_rows(evaluable: pd.DataFrame, conf_level: float) -> list[dict]:
    """Response after course 1 beside the best response (evaluable patients; 'not assessed after course 1'
    counted), and the conversion from CRi to CR (patients whose first CR/CRi was CRi, best response CR)."""
    if "course1_response" not in evaluable:  # analysis datasets derived before these columns existed
        return []
    course1, n = evaluable["course1_response"], len(evaluable)
    rows = [_row(f"Course 1 {level}", "evaluable", int((course1 == level).sum()), n, conf_level)
            for level in ("CR", "CRi")]
    rows.append(_row("Course 1 CR/CRi", "evaluable", int(course1.isin(["CR", "CRi"]).sum()), n, conf_level))
    rows.append(_row("Not assessed after course 1", "evaluable", int(course1.isna().sum()), n, conf_level))
    first_cri = evaluable[evaluable["first_remission_response"] == "CRi"]
    rows.append(_row("CRi converted to CR", "first CR/CRi was CRi", int((first_cri["best_response"] == "CR").sum()),
                     len(first_cri), conf_level))
    return rows


def response_table(adsl: pd.DataFrame, conf_level: float) -> pd.DataFrame:
    """Best response, CR/CRi, MRD negativity and VOD/SOS among the included patients.

    Response is given both ways: among evaluable patients (population ``evaluable``, the study's
    definition) and among all treated patients (population ``analysed``: a patient who is not
    evaluable counts as a non-responder), as the published cohorts report it.
    """
    adsl = adsl[[column for column in adsl.columns if column in ADSL_COLUMNS]]  # not every column copied below
    analysed = adsl[adsl["included"]]
    evaluable = analysed[analysed["evaluable"]]
    responders = analysed[analysed["responder"]]
    rows = []
    for level in BEST_RESPONSES:
        rows.append(_row(f"Best response {level}", "evaluable", int((evaluable["best_response"] == level).sum()),
                         len(evaluable), conf_level))
    rows.append(_row("Not evaluable for response", "analysed", int((~analysed["evaluable"]).sum()), len(analysed),
                     conf_level))
    rows.append(_row("CR/CRi (responders)", "evaluable", int(evaluable["responder"].sum()), len(evaluable),
                     conf_level))
    # the same responders over all treated patients
    for level in ("CR", "CRi"):
        rows.append(_row(f"Best response {level}", "analysed", int((evaluable["best_response"] == level).sum()),
                         len(analysed), conf_level))
    rows.append(_row("CR/CRi (responders)", "analysed", int(evaluable["responder"].sum()), len(analysed),
                     conf_level))
    rows.append(_row("MRD-negative", "analysed", int(analysed["mrd_negative"].sum()), len(analysed), conf_level))
    rows.append(_row("MRD-negative", "responders", int(responders["mrd_negative"].sum()), len(responders),
                     conf_level))
    group = analysed[(analysed["dose_group"] == "standard") & analysed["hsct_after_ino"]]
    # after the HSCT that followed standard-dose InO (the abstract's 2 of 6)
    rows.append(_row("VOD/SOS", "standard dose + HSCT after InO", int(group["vod_after_hsct"].sum()), len(group),
                     conf_level))
    rows.append(_row("VOD/SOS", "analysed", int(analysed["vod"].sum()), len(analysed), conf_level))
    rows.append(_row("VOD/SOS during InO (treatment-emergent)", "analysed", int(analysed["vod_during_ino"].sum()),
                     len(analysed), conf_level))
    transplanted = analysed[analysed["hsct_after_ino"]]
    rows.append(_row("VOD/SOS after HSCT", "HSCT after InO", int(transplanted["vod_after_hsct"].sum()),
                     len(transplanted), conf_level))
    rows += course1_rows(evaluable, conf_level)
    return pd.DataFrame(rows, columns=COLUMNS)
