"""ADTTE: one row per patient and time-to-event parameter, with where each date came from.

Parameters (PARAMCD):
- OS: first InO dose -> death from any cause; censored at last contact (already capped at the cut-off).
- EFS: first InO dose -> first of: no response (an evaluable patient never in CR/CRi: day 0 by
  default, else the last response assessment), relapse, death; censored at last contact.
- REL: responders only, first InO dose -> relapse; death without relapse is the competing event
  (non-relapse mortality); censored at last contact.
- VOD: patients transplanted after InO, HSCT -> VOD/SOS onset; death is the competing event;
  censored at last contact.
- DOR: duration of response, responders only (patients never in CR/CRi have no row), first CR/CRi
  (`first_remission_date`) -> relapse or death; censored at last contact or, with
  `dor_censor_at_hsct`, at a post-InO HSCT after the first CR/CRi. A relapse on the day of the last
  contact (or of HSCT) is an event. (DOR and the HSCT parameters: a last contact recorded before their
  start is taken as the start, the patient having been seen then; a death before it does not count.)
- After HSCT (patients transplanted after InO, from the HSCT date, `ino_study.endpoints.hsct`):
  OS_HSCT, LFS_HSCT (relapse or death), NRM_HSCT (death without relapse; relapse competing), and,
  where the transplant records hold them, AGVHD_II_IV / AGVHD_III_IV / CGVHD (death or relapse
  competing) and GRFS.

`CNSR` is 0 for the event of interest and 1 otherwise (ADaM); `EVNTCD` is 1 for the event of
interest, 2 for a competing event and 0 for censoring, for competing-risk analyses. `AVAL` is in
months (days / 30.4375), `AVAL_DAYS` in days. `SRCDOM`/`SRCVAR` name the table and column of the date.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ino_study.endpoints.definitions import DAYS_PER_MONTH
from ino_study.endpoints.hsct import HSCT_PARAMS, hsct_candidates
from ino_study.endpoints.sorting import in_order, left_join, sort_codes

PARAMS = {
    "OS": "Overall survival",
    "EFS": "Event-free survival",
    "REL": "Relapse (competing: non-relapse mortality)",
    "VOD": "VOD/SOS after HSCT (competing: death)",
    "DOR": "Duration of response (first CR/CRi to relapse or death)",
    **HSCT_PARAMS,
}

#: The adsl columns the parameters read.
ADSL_INPUTS = ("patient_id", "first_dose_date", "evaluable", "responder", "hsct_after_ino", "hsct_date", "vod_date",
               "first_remission_date", "agvhd_grade", "agvhd_date", "cgvhd", "cgvhd_date")

ADTTE_COLUMNS = ["patient_id", "PARAMCD", "PARAM", "STARTDT", "ADT", "AVAL_DAYS", "AVAL", "CNSR", "EVNTCD",
                 "EVNTDESC", "SRCDOM", "SRCVAR"]


class _Candidates(NamedTuple):
    """Candidate dates of one kind (a death, a relapse, a censoring) for some patients, as columns."""

    patient_id: np.ndarray
    patient: np.ndarray  # the `_patient` sort codes
    dates: np.ndarray  # datetime64, no NaT
    code: int
    desc: str
    dom: str
    var: str


def _candidate(frame: pd.DataFrame, date: pd.Series, code: int, desc: str, dom: str, var: str) -> _Candidates:
    """The rows of `frame` with a `date` (aligned with `frame`), and what the date means."""
    # a Series aligned with frame (derived from its columns)
    dates = date.to_numpy() if pd.api.types.is_datetime64_dtype(date.dtype) else pd.to_datetime(date).to_numpy()
    keep = ~np.isnat(dates)
    return _Candidates(frame["patient_id"].to_numpy()[keep], frame["_patient"].to_numpy()[keep], dates[keep], code,
                       desc, dom, var)


def _first_of(candidates: list[_Candidates]) -> pd.DataFrame:
    """Per patient, the earliest candidate date; on the same day the earlier-listed candidate wins.

    Rows ordered by patient (`_patient`); a stable lexicographic sort on integer keys and a take of each
    patient's first row, without comparing the patient strings.
    """
    kind = np.concatenate([np.full(len(c.dates), i, dtype=np.int64) for i, c in enumerate(candidates)])
    patient = np.concatenate([c.patient for c in candidates]).astype(np.int64)
    dates = np.concatenate([c.dates for c in candidates])
    order = np.lexsort((kind, dates.view(np.int64), patient))  # by patient, date, candidate (stable)
    first = np.ones(len(order), dtype=bool)
    first[1:] = patient[order[1:]] != patient[order[:-1]]
    chosen = order[first]
    kind = kind[chosen]
    meta = {name: np.array([getattr(c, field) for c in candidates], dtype=dtype)
            for name, field, dtype in (("EVNTCD", "code", np.int64), ("EVNTDESC", "desc", object),
                                       ("SRCDOM", "dom", object), ("SRCVAR", "var", object))}
    return pd.DataFrame({"patient_id": np.concatenate([c.patient_id for c in candidates])[chosen],
                         "_patient": patient[chosen], "ADT": dates[chosen],
                         **{name: values[kind] for name, values in meta.items()}})


def _start(frame: pd.DataFrame, column: str) -> pd.Series:
    """The start date of an endpoint (`column` of `frame`) by patient sort code (`_patient`)."""
    return pd.Series(frame[column].to_numpy(), index=frame["_patient"].to_numpy())


def _finish(rows: pd.DataFrame, start: pd.Series, paramcd: str) -> pd.DataFrame:
    """`rows` (from _first_of) as ADTTE rows of `paramcd`, timed from `start` (_start)."""
    rows["STARTDT"] = start.to_numpy()[start.index.get_indexer(rows["_patient"].to_numpy())]
    rows["PARAMCD"], rows["PARAM"] = paramcd, PARAMS[paramcd]
    rows["AVAL_DAYS"] = (rows["ADT"] - rows["STARTDT"]).dt.days.astype(int)
    rows["AVAL"] = rows["AVAL_DAYS"] / DAYS_PER_MONTH
    rows["CNSR"] = (rows["EVNTCD"] != 1).astype(int)
    return rows[[*ADTTE_COLUMNS, "_patient"]]


def _censor(frame: pd.DataFrame) -> pd.DataFrame:
    return _candidate(frame, frame["last_contact_date"], 0, "censored at last contact or data cut-off",
                      "follow_up", "last_contact_date")


def _death(frame: pd.DataFrame, code: int, desc: str) -> pd.DataFrame:
    return _candidate(frame, frame["death_date"], code, desc, "follow_up", "death_date")


def _censor_from(frame: pd.DataFrame, start: pd.Series) -> pd.DataFrame:
    """Censoring at the last contact for an endpoint that starts at `start` (first CR/CRi, HSCT): a
    last contact recorded before the start (the patient was seen then) is taken as the start."""
    return _candidate(frame, frame["last_contact_date"].where(frame["last_contact_date"] >= start, start), 0,
                      "censored at last contact or data cut-off", "follow_up", "last_contact_date")


def _death_from(frame: pd.DataFrame, start: pd.Series, code: int, desc: str) -> pd.DataFrame:
    """A death on or after `start` (a death recorded before it cannot end the endpoint)."""
    return _candidate(frame, frame["death_date"].where(frame["death_date"] >= start), code, desc, "follow_up",
                      "death_date")


def derive_adtte(adsl: pd.DataFrame, follow_up: pd.DataFrame, last_assessment: pd.Series,
                 no_response_is_event_at_day0: bool = True, dor_censor_at_hsct: bool = False) -> pd.DataFrame:
    """All time-to-event parameters for the included patients.

    `last_assessment`: date of each patient's last response assessment in the window (for the
    no-response EFS event when it is not counted at day 0). `dor_censor_at_hsct`: DOR censored at a
    post-InO HSCT (default: HSCT does not end the response).
    """
    # only the adsl columns the parameters read (hsct_candidates: the optional GVHD columns when present)
    columns = [c for c in ADSL_INPUTS if c in adsl]
    frame = left_join(adsl.loc[adsl["included"].to_numpy(bool), columns],
                      follow_up[["patient_id", "last_contact_date", "death_date", "relapse_date"]])
    frame["_patient"] = sort_codes(frame["patient_id"])  # sorting on it = sorting on patient_id
    start = _start(frame, "first_dose_date")
    parts = [_finish(_first_of([_death(frame, 1, "death"), _censor(frame)]), start, "OS")]

    no_response = frame[frame["evaluable"] & ~frame["responder"]]
    nr_date = no_response["first_dose_date"] if no_response_is_event_at_day0 else \
        no_response["patient_id"].map(last_assessment)
    efs_events = [
        _candidate(no_response, nr_date, 1, "no response (CR/CRi not reached)", "adrs",
                   "first_dose_date" if no_response_is_event_at_day0 else "ADT"),
        _candidate(frame, frame["relapse_date"], 1, "relapse", "follow_up", "relapse_date"),
        _death(frame, 1, "death"),
        _censor(frame),
    ]
    parts.append(_finish(_first_of(efs_events), start, "EFS"))

    responders = frame[frame["responder"]]
    if not responders.empty:
        parts.append(_finish(_first_of([
            _candidate(responders, responders["relapse_date"], 1, "relapse", "follow_up", "relapse_date"),
            _death(responders, 2, "death without relapse (competing)"),
            _censor(responders),
        ]), start, "REL"))

    transplanted = frame[frame["hsct_after_ino"]]
    if not transplanted.empty:
        vod_after = transplanted["vod_date"].where(transplanted["vod_date"] >= transplanted["hsct_date"])
        parts.append(_finish(_first_of([
            _candidate(transplanted, vod_after, 1, "VOD/SOS", "adae", "ASTDT"),
            _death(transplanted, 2, "death without VOD/SOS (competing)"),
            _censor(transplanted),
        ]), _start(transplanted, "hsct_date"), "VOD"))

    in_remission = responders[responders["first_remission_date"].notna()]
    if not in_remission.empty:
        start_cr = in_remission["first_remission_date"]
        dor = [
            _candidate(in_remission, in_remission["relapse_date"].where(in_remission["relapse_date"] >= start_cr),
                       1, "relapse", "follow_up", "relapse_date"),
            _death_from(in_remission, start_cr, 1, "death"),
        ]
        if dor_censor_at_hsct:
            hsct = in_remission["hsct_date"].where(in_remission["hsct_after_ino"]
                                                   & (in_remission["hsct_date"] >= start_cr))
            dor.append(_candidate(in_remission, hsct, 0, "censored at HSCT", "transplants", "date"))
        dor.append(_censor_from(in_remission, start_cr))
        parts.append(_finish(_first_of(dor), _start(in_remission, "first_remission_date"), "DOR"))

    for paramcd, (rows, start_dates) in hsct_candidates(transplanted).items():
        parts.append(_finish(rows, start_dates, paramcd))

    # the parts' columns joined once (no frame-wide concat, drop and reset_index copies)
    joined = {column: np.concatenate([part[column].to_numpy() for part in parts])
              for column in [*ADTTE_COLUMNS, "_patient"]}
    order = {code: i for i, code in enumerate(PARAMS)}
    rank = np.concatenate([np.full(len(part), order[part["PARAMCD"].iloc[0]] if len(part) else 0, dtype=np.int64)
                           for part in parts])
    # = by parameter, patient_id; the parts are built in that order, so usually nothing to sort
    if not in_order(rank, joined["_patient"]):
        rows = np.lexsort((joined["_patient"], rank))
        joined = {column: values[rows] for column, values in joined.items()}
    del joined["_patient"]
    return pd.DataFrame(joined, copy=False)  # fresh arrays: no copy into consolidated blocks
