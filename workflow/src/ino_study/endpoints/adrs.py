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

import numpy as np
import pandas as pd

from ino_study.endpoints.definitions import EndpointRules, ResponseCriteria
from ino_study.endpoints.sorting import date_key, join_patients, sort_codes, taken_frame

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


def _floats(values: pd.Series) -> np.ndarray:
    """Values as floats, missing (None, NA, NaN) as NaN."""
    return values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _objects(codes: np.ndarray, labels: tuple[str, ...], known: np.ndarray) -> np.ndarray:
    """Object array of ``labels[code]`` with None where not ``known`` (as the per-value functions return);
    one text object per label, shared by the rows."""
    codes = np.where(known, codes, len(labels))
    return np.array([*labels, None], dtype=object)[codes]


# The vectorised forms below give, value for value, what marrow_status, assessment_response and
# mrd_negative give (a per-assessment Python loop was 2 s at 100,000 patients); NaN compares
# False in numpy as in Python, so the branches are the same.

def marrow_statuses(blasts_pct: np.ndarray) -> np.ndarray:
    """:func:`marrow_status` of every value (object array, None when not recorded)."""
    status = np.where(blasts_pct < 5, 0, np.where(blasts_pct < 25, 1, 2))
    return _objects(status, ("M1", "M2", "M3"), ~np.isnan(blasts_pct))


def assessment_responses(blasts_pct: np.ndarray, anc: np.ndarray, platelets: np.ndarray,
                         baseline_blasts_pct: np.ndarray, criteria: ResponseCriteria) -> np.ndarray:
    """:func:`assessment_response` of every assessment (object array, None without blasts)."""
    recovered = (anc >= criteria.cr_min_anc_10e9_l) & (platelets >= criteria.cr_min_platelets_10e9_l)
    halved = blasts_pct <= baseline_blasts_pct / 2
    m2 = (blasts_pct >= 5) & (blasts_pct < 25)  # marrow_status(blasts) == "M2" for a recorded value
    response = np.where(blasts_pct < criteria.max_blasts_pct, np.where(recovered, 0, 1),
                        np.where(m2 & halved, 2, 3))
    return _objects(response, ("CR", "CRi", "PR", "NR"), ~np.isnan(blasts_pct))


def mrd_negatives(percent: np.ndarray, qualifier: np.ndarray, status: np.ndarray,
                  threshold_percent: float) -> pd.arrays.BooleanArray:
    """:func:`mrd_negative` of every measurement, as a nullable boolean array (NA: cannot tell)."""
    negative_text = status == "negative_text"
    measured = (status == "measured") & ~np.isnan(percent)
    less, more = qualifier == "<", qualifier == ">"
    value = negative_text | (measured & less) | (measured & ~less & ~more & (percent < threshold_percent))
    known = negative_text | (measured & less & (percent <= threshold_percent)) | (measured & more) | (
        measured & ~less & ~more)
    return pd.arrays.BooleanArray(value & known, ~known)


def derive_adrs(assessments: pd.DataFrame, base: pd.DataFrame, rules: EndpointRules) -> pd.DataFrame:
    """One row per assessment of an included patient, with response, MRD and window flags.

    `base` is one row per patient with first_dose_date, hsct_date and baseline_blasts_pct.
    """
    criteria = rules.response
    frame = join_patients(assessments, base, ["first_dose_date", "hsct_date", "baseline_blasts_pct"])
    # = sort_values([patient_id, date, source_row], stable), on integer keys (sorting.py)
    # (the columns below are worked out row by row, so in the join's order; the rows are put in order at the end)
    order = np.lexsort((frame["source_row"].to_numpy(), date_key(frame["date"]), sort_codes(frame["patient_id"])))
    frame["ADY"] = (frame["date"] - frame["first_dose_date"]).dt.days
    blasts = _floats(frame["marrow_blasts_pct"])
    # assigned as lists, as before: pandas makes an empty list a float64 column, not an object one
    frame["marrow_status"] = marrow_statuses(blasts).tolist()
    frame["AVALC"] = assessment_responses(blasts, _floats(frame["anc_10e9_l"]), _floats(frame["platelets_10e9_l"]),
                                          _floats(frame["baseline_blasts_pct"]), criteria).tolist()
    frame["mrd_negative"] = mrd_negatives(_floats(frame["mrd_percent"]), frame["mrd_qualifier"].to_numpy(),
                                          frame["mrd_status"].to_numpy(), rules.mrd_threshold_percent)
    in_window = (frame["ADY"] >= 0) & (frame["ADY"] <= criteria.window_days)
    if criteria.window_ends_at_hsct:
        in_window &= frame["hsct_date"].isna() | (frame["date"] < frame["hsct_date"])
    frame["in_response_window"] = in_window
    for column in MRD_METHOD_COLUMNS:  # optional contract columns (absent in an older clean table)
        if column not in frame:
            frame[column] = None
    frame["PARAMCD"] = "RSP"
    frame["PARAM"] = "Marrow response at assessment"
    columns = [
        "patient_id", "PARAMCD", "PARAM", "date", "ADY", "marrow_blasts_pct", "marrow_status", "anc_10e9_l",
        "platelets_10e9_l", "AVALC", "mrd_percent", "mrd_qualifier", "mrd_status", "mrd_negative",
        *MRD_METHOD_COLUMNS, "in_response_window", "source_row",
    ]
    return taken_frame(frame, {"ADT" if c == "date" else c: c for c in columns}, order)


#: The optional MRD columns of the assessments (method, detection limit), carried into adrs.
MRD_METHOD_COLUMNS = ("mrd_method", "mrd_detection_limit_pct")
#: The order in which a patient's MRD methods are listed ("flow + PCR").
MRD_METHOD_ORDER = ("flow", "PCR", "NGS")
NO_MRD_RESULT = "no MRD result"


def mrd_methods(adrs: pd.DataFrame, patient_ids: pd.Series) -> pd.DataFrame:
    """Per patient: the methods of the MRD results that count (in the response window, classed negative
    or positive: adsl's `mrd_evaluations`) and the lowest detection limit among them.

    `mrd_method`: the distinct methods joined by " + " ("flow + PCR"); "no MRD result" for a patient
    without such a result; empty when the results' method is not recorded. `mrd_detection_limit_pct`:
    the lowest recorded limit of those results, empty when none is recorded.
    """
    counted = adrs[adrs["in_response_window"] & adrs["mrd_negative"].notna()]
    # per patient with a counted result: whether a result names a method, a bit per method of
    # MRD_METHOD_ORDER that a result used, and the lowest limit (grouped columns, no Python per patient)
    method = counted["mrd_method"]
    flags = pd.DataFrame({"named": method.notna().to_numpy(bool),
                          # na_value: a nullable text column gives <NA> where the method is missing
                          **{m: method.eq(m).to_numpy(bool, na_value=False) for m in MRD_METHOD_ORDER},
                          "limit": pd.to_numeric(counted["mrd_detection_limit_pct"], errors="coerce").to_numpy(float)})
    grouped = flags.groupby(counted["patient_id"].to_numpy(), sort=False)
    used = grouped[["named", *MRD_METHOD_ORDER]].max()
    bits = np.zeros(len(used), dtype=np.int64)
    for i, m in enumerate(MRD_METHOD_ORDER):
        bits |= used[m].to_numpy(np.int64) << i
    labels = np.array([" + ".join(m for i, m in enumerate(MRD_METHOD_ORDER) if pattern >> i & 1)
                       for pattern in range(1 << len(MRD_METHOD_ORDER))], dtype=object)
    # one more slot at the end for the patients without a counted result (position -1)
    method_of = np.append(np.where(used["named"].to_numpy(bool), labels[bits], None), NO_MRD_RESULT)
    limit_of = np.append(grouped["limit"].min().to_numpy(float), np.nan)
    out = pd.DataFrame({"patient_id": patient_ids}).reset_index(drop=True)
    position = used.index.get_indexer(out["patient_id"])
    out["mrd_method"] = pd.Series(method_of[position], index=out.index, dtype=object)
    out["mrd_detection_limit_pct"] = limit_of[position]
    return out


def best_response(adrs: pd.DataFrame, patient_ids: pd.Series) -> pd.DataFrame:
    """Per patient: best overall response in the window, evaluability, MRD negativity and their dates."""
    out = pd.DataFrame({"patient_id": patient_ids}).reset_index(drop=True)
    patients = pd.Index(pd.unique(out["patient_id"]))
    row_patient = patients.get_indexer(adrs["patient_id"])  # -1: not one of patient_ids
    in_window = adrs["in_response_window"].to_numpy(bool) & (row_patient >= 0)
    avalc = adrs["AVALC"]
    assessed = in_window & avalc.notna().to_numpy()
    dates = adrs["ADT"]
    date_values = dates.to_numpy()

    # best: per patient the highest rank, then the earliest date (stable: adrs order), by integer keys
    rank = avalc.map(RESPONSE_RANK).to_numpy(float)
    rows = np.flatnonzero(assessed)
    by_best = rows[np.lexsort((date_key(dates)[rows], np.nan_to_num(-rank[rows], nan=1.0), row_patient[rows]))]
    first = np.ones(len(by_best), dtype=bool)
    first[1:] = row_patient[by_best[1:]] != row_patient[by_best[:-1]]
    best_rows = by_best[first]
    best = np.full(len(patients), np.nan, dtype=object)
    best[row_patient[best_rows]] = avalc.to_numpy(dtype=object)[best_rows]
    best_date = np.full(len(patients), np.datetime64("NaT"), dtype=date_values.dtype)
    best_date[row_patient[best_rows]] = date_values[best_rows]

    def earliest(mask: np.ndarray) -> np.ndarray:
        """Per patient, the earliest ADT of the rows in `mask` (NaT if none)."""
        per = pd.Series(date_values[mask]).groupby(row_patient[mask]).min()
        values = np.full(len(patients), np.datetime64("NaT"), dtype=date_values.dtype)
        values[per.index.to_numpy()] = per.to_numpy()
        return values

    responses = assessed & avalc.isin(RESPONDER_CATEGORIES).to_numpy()
    mrd = adrs["mrd_negative"]
    mrd_negative = in_window & mrd.fillna(False).to_numpy(bool)
    tested = in_window & mrd.notna().to_numpy()
    at = patients.get_indexer(out["patient_id"])
    out["best_response"] = pd.Series(best[at], dtype=object)
    out["best_response_date"] = best_date[at]
    out["first_remission_date"] = earliest(responses)[at]
    out["first_mrd_negative_date"] = earliest(mrd_negative)[at]
    out["mrd_evaluations"] = np.bincount(row_patient[tested], minlength=len(patients))[at].astype(int)
    out["evaluable"] = out["best_response"].notna()
    out["responder"] = out["best_response"].isin(RESPONDER_CATEGORIES)
    out["mrd_negative"] = out["first_mrd_negative_date"].notna()
    return out
