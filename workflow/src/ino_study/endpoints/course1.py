"""Response after course 1 and the first response (CR or CRi) of each patient, from ADRS.

Response after course 1: the response at the last assessment in the response window dated before the
first dose of cycle 2 or, for a patient given no cycle 2, at most `response.course1_days` days after
the first dose (CR, CRi, PR or NR; empty when no such assessment). `first_remission_response`: the
response (CR or CRi) at the first assessment in CR/CRi, for the conversion from CRi to CR (first CRi,
best response CR).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ino_study.endpoints.adrs import RESPONDER_CATEGORIES
from ino_study.endpoints.sorting import date_key

COURSE1_COLUMNS = ["patient_id", "course1_response", "course1_response_date", "first_remission_response"]


def course1_responses(adrs: pd.DataFrame, doses: pd.DataFrame, patient_ids: pd.Series,
                      course1_days: int) -> pd.DataFrame:
    """One row per patient of `patient_ids` (COURSE1_COLUMNS)."""
    out = pd.DataFrame({"patient_id": patient_ids.to_numpy()})
    patients = pd.Index(pd.unique(out["patient_id"]))
    no_date = np.datetime64("NaT", "ns")
    # the first dose of cycle 2 per patient (by position in `patients`)
    later = doses[doses["cycle"] >= 2]
    at = patients.get_indexer(later["patient_id"])
    firsts = pd.Series(pd.to_datetime(later["date"]).to_numpy()[at >= 0]).groupby(at[at >= 0]).min()
    cycle2 = np.full(len(patients), no_date)
    cycle2[firsts.index.to_numpy()] = firsts.to_numpy()

    row_patient = patients.get_indexer(adrs["patient_id"])
    rows = np.flatnonzero(adrs["in_response_window"].to_numpy(bool) & adrs["AVALC"].notna().to_numpy()
                          & (row_patient >= 0))
    dates, avalc = adrs["ADT"].to_numpy(), adrs["AVALC"].to_numpy(dtype=object)
    rows = rows[np.lexsort((date_key(adrs["ADT"])[rows], row_patient[rows]))]  # by patient, then date (stable)
    patient = row_patient[rows]
    row_cycle2 = cycle2[patient]
    before = ~np.isnat(row_cycle2) & (dates[rows] < row_cycle2)
    no_cycle2 = np.isnat(row_cycle2) & (adrs["ADY"].to_numpy()[rows] <= course1_days)

    def pick(mask: np.ndarray, last: bool) -> np.ndarray:
        """The row (of adrs) of each patient's last (or first) assessment in `mask`; -1 if none."""
        chosen = np.full(len(patients), -1, dtype=np.int64)
        ordered = rows[mask] if not last else rows[mask][::-1]
        owners = row_patient[ordered]
        _, first = np.unique(owners, return_index=True)  # the first occurrence of each patient
        chosen[owners[first]] = ordered[first]
        return chosen

    course1 = pick(before | no_cycle2, last=True)
    first = pick(pd.Series(avalc[rows]).isin(RESPONDER_CATEGORIES).to_numpy(), last=False)
    position = patients.get_indexer(out["patient_id"])

    def column(chosen: np.ndarray, values: np.ndarray, missing) -> np.ndarray:
        row = chosen[position]
        taken = values[np.maximum(row, 0)] if len(values) else np.full(len(row), missing)
        return np.where(row >= 0, taken, missing) if len(row) else taken

    out["course1_response"] = pd.Series(column(course1, avalc, np.nan), dtype=object)
    out["course1_response_date"] = pd.to_datetime(column(course1, dates.astype("datetime64[ns]"), no_date))
    out["first_remission_response"] = pd.Series(column(first, avalc, np.nan), dtype=object)
    return out[COURSE1_COLUMNS]
