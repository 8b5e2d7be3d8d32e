"""ADRS: marrow response and MRD per assessment, and the best overall response per patient.

Definitions (configurable through `ResponseCriteria` and `mrd_threshold_percent`):
- marrow status: M1 blasts < 5%, M2 5% to < 25%, M3 >= 25% (the classical cut-offs, fixed);
- CR: blasts below `max_blasts_pct` with ANC >= `cr_min_anc_10e9_l` and platelets >=
  `cr_min_platelets_10e9_l`; CRi: blasts below `max_blasts_pct` without that count recovery (or with
  counts not recorded); PR: an M2 marrow with blasts at most half of the baseline value; otherwise
  NR (no response);
- MRD negative: a measured value strictly below the threshold; "<x%" with x at or below the threshold;
  a text negative ("neg", "не выявлено"). Positive: a value at or above the threshold, or ">x%".
  Not known: "not done", blank, or "<x%" with x above the threshold (cannot tell);
- response window: assessments from the first dose to `window_days` after it and, if
  `window_ends_at_hsct`, strictly before a post-InO HSCT;
- evaluable for response: an included patient with at least one assessment with readable marrow
  blasts in the response window. A patient who dies before the first assessment is not evaluable
  (reported, not counted as a non-responder), as in the study.
"""

from __future__ import annotations

import math

import pandas as pd

from ino_study.endpoints.definitions import EndpointRules, ResponseCriteria

RESPONSE_RANK = {"CR": 4, "CRi": 3, "PR": 2, "NR": 1}
RESPONDER_CATEGORIES = ("CR", "CRi")


def marrow_status(blasts_pct: float | None) -> str | None:
    """M1 (< 5% blasts), M2 (5% to < 25%) or M3 (>= 25%); None when not recorded."""
    if blasts_pct is None or math.isnan(blasts_pct):
        return None
    if blasts_pct < 5:
        return "M1"
    return "M2" if blasts_pct < 25 else "M3"


def assessment_response(
    blasts_pct: float | None,
    anc: float | None,
    platelets: float | None,
    baseline_blasts_pct: float | None,
    criteria: ResponseCriteria,
) -> str | None:
    """Response category of one marrow assessment: CR, CRi, PR, NR, or None without blasts."""
    if blasts_pct is None or math.isnan(blasts_pct):
        return None
    if blasts_pct < criteria.max_blasts_pct:
        recovered = (
            anc is not None and not math.isnan(anc) and anc >= criteria.cr_min_anc_10e9_l
            and platelets is not None and not math.isnan(platelets)
            and platelets >= criteria.cr_min_platelets_10e9_l
        )
        return "CR" if recovered else "CRi"
    halved = baseline_blasts_pct is not None and not math.isnan(baseline_blasts_pct) and (
        blasts_pct <= baseline_blasts_pct / 2
    )
    return "PR" if marrow_status(blasts_pct) == "M2" and halved else "NR"


def mrd_negative(percent: float | None, qualifier: str | None, status: str, threshold_percent: float) -> bool | None:
    """MRD negativity of one measurement against the threshold; None when it cannot be told."""
    if status == "negative_text":
        return True
    if status != "measured" or percent is None or math.isnan(percent):
        return None
    if qualifier == "<":
        return True if percent <= threshold_percent else None
    if qualifier == ">":
        return False
    return percent < threshold_percent


def _nan(value) -> float:
    return math.nan if value is None or value is pd.NA else float(value)


def derive_adrs(assessments: pd.DataFrame, base: pd.DataFrame, rules: EndpointRules) -> pd.DataFrame:
    """One row per assessment of an included patient, with response, MRD and window flags.

    `base` is one row per patient with first_dose_date, hsct_date and baseline_blasts_pct.
    """
    criteria = rules.response
    frame = assessments.merge(
        base[["patient_id", "first_dose_date", "hsct_date", "baseline_blasts_pct"]], on="patient_id", how="inner"
    )
    frame = frame.sort_values(["patient_id", "date", "source_row"], kind="stable").reset_index(drop=True)
    frame["ADY"] = (frame["date"] - frame["first_dose_date"]).dt.days
    frame["marrow_status"] = [marrow_status(_nan(b)) for b in frame["marrow_blasts_pct"]]
    frame["AVALC"] = [
        assessment_response(_nan(b), _nan(a), _nan(p), _nan(base_b), criteria)
        for b, a, p, base_b in zip(
            frame["marrow_blasts_pct"], frame["anc_10e9_l"], frame["platelets_10e9_l"], frame["baseline_blasts_pct"]
        )
    ]
    frame["mrd_negative"] = pd.array(
        [
            mrd_negative(_nan(v), q, s, rules.mrd_threshold_percent)
            for v, q, s in zip(frame["mrd_percent"], frame["mrd_qualifier"], frame["mrd_status"])
        ],
        dtype="boolean",
    )
    in_window = (frame["ADY"] >= 0) & (frame["ADY"] <= criteria.window_days)
    if criteria.window_ends_at_hsct:
        in_window &= frame["hsct_date"].isna() | (frame["date"] < frame["hsct_date"])
    frame["in_response_window"] = in_window
    frame["PARAMCD"] = "RSP"
    frame["PARAM"] = "Marrow response at assessment"
    columns = [
        "patient_id", "PARAMCD", "PARAM", "date", "ADY", "marrow_blasts_pct", "marrow_status", "anc_10e9_l",
        "platelets_10e9_l", "AVALC", "mrd_percent", "mrd_qualifier", "mrd_status", "mrd_negative",
        "in_response_window", "source_row",
    ]
    return frame.rename(columns={"date": "ADT"})[[c if c != "date" else "ADT" for c in columns]]


def best_response(adrs: pd.DataFrame, patient_ids: pd.Series) -> pd.DataFrame:
    """Per patient: best overall response in the window, evaluability, MRD negativity and their dates."""
    window = adrs[adrs["in_response_window"] & adrs["AVALC"].notna()].copy()
    window["rank"] = window["AVALC"].map(RESPONSE_RANK)
    best = window.sort_values(["patient_id", "rank", "ADT"], ascending=[True, False, True], kind="stable")
    best = best.drop_duplicates("patient_id")[["patient_id", "AVALC", "ADT"]]
    best = best.rename(columns={"AVALC": "best_response", "ADT": "best_response_date"})
    responses = window[window["AVALC"].isin(RESPONDER_CATEGORIES)]
    first_remission = responses.groupby("patient_id")["ADT"].min().rename("first_remission_date")
    mrd_window = adrs[adrs["in_response_window"]]
    mrd_neg = mrd_window[mrd_window["mrd_negative"].fillna(False).astype(bool)]
    first_mrd_neg = mrd_neg.groupby("patient_id")["ADT"].min().rename("first_mrd_negative_date")
    mrd_tested = mrd_window[mrd_window["mrd_negative"].notna()].groupby("patient_id").size().rename("mrd_evaluations")

    out = pd.DataFrame({"patient_id": patient_ids}).merge(best, on="patient_id", how="left")
    out = out.merge(first_remission, on="patient_id", how="left").merge(first_mrd_neg, on="patient_id", how="left")
    out = out.merge(mrd_tested, on="patient_id", how="left")
    out["evaluable"] = out["best_response"].notna()
    out["responder"] = out["best_response"].isin(RESPONDER_CATEGORIES)
    out["mrd_negative"] = out["first_mrd_negative_date"].notna()
    out["mrd_evaluations"] = out["mrd_evaluations"].fillna(0).astype(int)
    return out
