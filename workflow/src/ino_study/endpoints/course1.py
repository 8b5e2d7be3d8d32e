"""Response after course 1 and the first response (CR or CRi) of each patient, from ADRS.

Response after course 1: the response at the last assessment in the response window dated before the
first dose of cycle 2 or, for a patient given no cycle 2, at most `response.course1_days` days after
the first dose (CR, CRi, PR or NR; empty when no such assessment). `first_remission_response`: the
response (CR or CRi) at the first assessment in CR/CRi, for the conversion from CRi to CR (first CRi,
best response CR).
"""

from __future__ import annotations

import pandas as pd

from ino_study.endpoints.adrs import RESPONDER_CATEGORIES
from ino_study.endpoints.sorting import left_join, sort_codes

COURSE1_COLUMNS = ["patient_id", "course1_response", "course1_response_date", "first_remission_response"]


def course1_responses(adrs: pd.DataFrame, doses: pd.DataFrame, patient_ids: pd.Series,
                      course1_days: int) -> pd.DataFrame:
    """One row per patient of `patient_ids` (COURSE1_COLUMNS)."""
    cycle2 = doses[doses["cycle"] >= 2].groupby("patient_id")["date"].min().rename("_cycle2")
    window = adrs[adrs["in_response_window"] & adrs["AVALC"].notna()].copy()
    window["_cycle2"] = pd.to_datetime(window["patient_id"].map(cycle2))
    window["_patient"] = sort_codes(window["patient_id"])
    window = window.sort_values(["_patient", "ADT"], kind="stable")
    before = window["_cycle2"].notna() & (window["ADT"] < window["_cycle2"])
    no_cycle2 = window["_cycle2"].isna() & (window["ADY"] <= course1_days)
    course1 = window[before | no_cycle2].drop_duplicates("patient_id", keep="last")
    course1 = course1[["patient_id", "AVALC", "ADT"]].rename(
        columns={"AVALC": "course1_response", "ADT": "course1_response_date"})
    first = window[window["AVALC"].isin(RESPONDER_CATEGORIES)].drop_duplicates("patient_id", keep="first")
    first = first[["patient_id", "AVALC"]].rename(columns={"AVALC": "first_remission_response"})
    for part in (course1, first):  # an empty window gives a float column: merge as the IDs' type
        part["patient_id"] = part["patient_id"].astype(object)
    out = pd.DataFrame({"patient_id": patient_ids.to_numpy()})
    out = left_join(left_join(out, course1), first)
    out["course1_response_date"] = pd.to_datetime(out["course1_response_date"])
    return out[COURSE1_COLUMNS]
