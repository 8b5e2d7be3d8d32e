"""Transplant (HSCT) analyses: landmark survival, time-varying Cox, cumulative incidence of REL / VOD.

HSCT happens after the start of InO, so comparing patients by "ever transplanted" credits the
transplanted group with the time they had to survive to be transplanted (immortal-time bias).
The two unbiased approaches here are

* :func:`landmark_table`: patients alive and in follow-up at a landmark L (days from the first
  dose), grouped by HSCT at or before L, with Kaplan-Meier survival from L (R: ``subset(d, time >
  L)`` then ``survfit`` / ``survdiff``);
* :func:`time_varying_hsct_cox`: HSCT as a time-dependent covariate (R: ``tmerge(...,
  tdc(hsct_day))`` then ``coxph(Surv(tstart, tstop, event) ~ hsct)``, Efron ties).

:func:`naive_hsct_comparison` fits the biased ever-HSCT model for teaching, and says so in every row.
:func:`cumulative_incidence_table` / :func:`cumulative_incidence_curves` give the Aalen-Johansen
cumulative incidence of relapse (competing: non-relapse mortality) and of VOD/SOS after HSCT
(competing: death) from ``EVNTCD`` (1 = event of interest, 2 = competing event, 0 = censored).

All functions take the pipeline's ``adtte`` (one row per patient and PARAMCD) and ``adsl`` frames,
are vectorised (100,000 patients in seconds) and return sorted, deterministic tidy tables; they work
with no transplanted patients, no events and a single patient (missing statistics are NaN and the
``note`` column says why).

Time scale: days (``AVAL_DAYS``; ``AVAL * 30.4375`` when absent) for selecting and splitting, so that
"HSCT on day s, death on day s" ties are resolved on whole days; reported times are in months.

The Cox fit for the single binary time-varying covariate is done here in closed form
(:func:`cox_binary_counting_process`) rather than with lifelines ``CoxTimeVaryingFitter``
(:func:`ino_study.statistics.comparisons.cox_time_varying`), which takes ~85 s for 100,000 patients:
with one 0/1 covariate the Efron partial likelihood depends on the data only through the numbers at
risk and of events per exposure group at each distinct event time, so each Newton step is O(number
of events).  It gives the same estimates as ``cox_time_varying`` (checked in the tests).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ino_study.endpoints.definitions import DAYS_PER_MONTH
from ino_study.statistics.comparisons import (
    events_per_variable_warning,
    landmark,
    logrank_test,
    split_at_exposure,
    wald_hazard_ratio,
)
from ino_study.statistics.competing_risks import aalen_johansen_curve, cumulative_incidence
from ino_study.statistics.kaplan_meier import km_at, km_fit
from ino_study.statistics.ordering import sort_stable

LANDMARK_COLUMNS = ["landmark_days", "group", "n", "events", "time_months_after_landmark", "n_risk",
                    "survival", "ci_lower", "ci_upper", "logrank_chi2", "logrank_p"]
COX_TV_COLUMNS = ["endpoint", "analysis", "covariate", "coef", "se", "hr", "hr_ci_lower", "hr_ci_upper",
                  "p_value", "n_patients", "n_events", "n_rows", "note"]
CIF_TABLE_COLUMNS = ["endpoint", "cause", "time_months", "n_risk", "estimate", "std_err", "ci_lower",
                     "ci_upper"]
CIF_CURVE_COLUMNS = ["endpoint", "cause", "time_months", "estimate", "ci_lower", "ci_upper"]

#: Landmark groups: HSCT at or before the landmark day ("yes") or not ("no").
LANDMARK_GROUPS = ("no", "yes")

#: Cause labels per competing-risks endpoint, in EVNTCD order (1 = event of interest, 2 = competing).
CAUSES: dict[str, tuple[tuple[int, str], ...]] = {
    "REL": ((1, "relapse"), (2, "non-relapse mortality")),
    "VOD": ((1, "VOD/SOS"), (2, "death without VOD/SOS")),
}

#: Endpoints timed from the first InO dose (VOD starts at HSCT and cannot have HSCT as a covariate).
FIRST_DOSE_ENDPOINTS = ("OS", "EFS", "REL")

TIME_VARYING_ANALYSIS = "time-varying HSCT (counting process)"
NAIVE_ANALYSIS = "naive: ever-HSCT as a baseline covariate (immortal-time biased)"
NAIVE_NOTE = ("Biased (immortal time): transplanted patients had to survive until HSCT; shown for "
              "comparison only, use the time-varying or landmark analysis.")


# ---------------------------------------------------------------------------------------------------------
# shared preparation

def _as_datetime(values: pd.Series) -> pd.Series:
    """``pd.to_datetime``, skipped for a datetime column (it would iterate 100,000 dates to decide
    whether to cache them, 0.1 s per call, and return the same values)."""
    return values if pd.api.types.is_datetime64_dtype(values) else pd.to_datetime(values)


def _endpoint_days(adtte: pd.DataFrame, adsl: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    """One endpoint's rows: patient_id, days, event (0/1), HSCT day from the first dose (NaN if none).

    Sorted by patient_id.  Patients of ``adtte`` missing from ``adsl`` count as not transplanted.
    """
    rows = adtte.loc[adtte["PARAMCD"] == endpoint]
    if "AVAL_DAYS" in rows.columns:
        days = rows["AVAL_DAYS"].to_numpy(dtype=float)
    else:
        days = np.round(rows["AVAL"].to_numpy(dtype=float) * DAYS_PER_MONTH)
    frame = pd.DataFrame({"patient_id": rows["patient_id"].to_numpy(), "days": days,
                          "event": 1 - rows["CNSR"].to_numpy(dtype=int)})
    info = adsl[["patient_id", "first_dose_date", "hsct_date"]].drop_duplicates("patient_id")
    frame = frame.merge(info, on="patient_id", how="left")
    hsct = (_as_datetime(frame["hsct_date"]) - _as_datetime(frame["first_dose_date"])).dt.days
    frame["hsct_days"] = hsct.astype(float).to_numpy()
    frame = frame.drop(columns=["first_dose_date", "hsct_date"])
    return sort_stable(frame, ["patient_id"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------
# landmark analysis

def landmark_table(
    adtte: pd.DataFrame, adsl: pd.DataFrame, landmark_days: list[int],
    timepoints_months: ArrayLike = (6.0, 12.0, 24.0), conf_level: float = 0.95, conf_type: str = "plain",
) -> pd.DataFrame:
    """Landmark analysis of OS by HSCT at or before each landmark.

    For each landmark L (days from the first dose): patients with OS time > L days (alive and in
    follow-up at L; a death or censoring on day L excludes the patient), grouped "yes" when HSCT
    happened on or before day L (``hsct_date - first_dose_date <= L``), else "no".  Kaplan-Meier
    (:func:`km_fit`, R ``survfit`` semantics) of the time since L at ``timepoints_months`` after the
    landmark (``n_risk``, ``survival``, ``ci_lower``, ``ci_upper``, as :func:`km_at`: NaN beyond the
    group's last follow-up), ``n`` / ``events`` per group, and the log-rank test between the two
    groups (R ``survdiff``; NaN when a group is empty or there are no events).  Both groups appear
    for every landmark, with ``n = 0`` and NaN estimates when empty.  Sorted by landmark, group, time.
    """
    frame = _endpoint_days(adtte, adsl, "OS")
    req = np.asarray(timepoints_months, dtype=float).ravel()
    parts = []
    for lm in sorted({int(v) for v in landmark_days}):
        exposed = np.where(np.isnan(frame["hsct_days"]), False, frame["hsct_days"] <= lm)
        data = landmark(frame["days"], frame["event"], lm, np.where(exposed, "yes", "no"))
        chi2 = p_value = np.nan
        if data["group"].nunique() == 2 and data["event"].sum() > 0:
            result = logrank_test(data["time"], data["event"], data["group"])
            chi2, p_value = result.chi2, result.p_value
        for group in LANDMARK_GROUPS:
            sub = data[data["group"] == group]
            if sub.empty:
                at = pd.DataFrame({"time": req, "n_risk": 0, "survival": np.nan, "ci_lower": np.nan,
                                   "ci_upper": np.nan})
            else:
                fit = km_fit(sub["time"].to_numpy() / DAYS_PER_MONTH, sub["event"], conf_level, conf_type)
                at = km_at(fit, req)
            parts.append(pd.DataFrame({
                "landmark_days": lm, "group": group, "n": len(sub), "events": int(sub["event"].sum()),
                "time_months_after_landmark": req, "n_risk": at["n_risk"].to_numpy(dtype=int),
                "survival": at["survival"].to_numpy(dtype=float),
                "ci_lower": at["ci_lower"].to_numpy(dtype=float),
                "ci_upper": at["ci_upper"].to_numpy(dtype=float),
                "logrank_chi2": chi2, "logrank_p": p_value,
            }))
    if not parts:
        return pd.DataFrame(columns=LANDMARK_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[LANDMARK_COLUMNS]
    return out.sort_values(["landmark_days", "group", "time_months_after_landmark"], kind="stable",
                           ignore_index=True)


# ---------------------------------------------------------------------------------------------------------
# Cox model with one binary (time-varying) covariate

def _no_model(note: str) -> dict:
    nan = float("nan")
    return {"coef": nan, "se": nan, "hr": nan, "hr_ci_lower": nan, "hr_ci_upper": nan, "p_value": nan,
            "n_rows": 0, "n_events": 0, "note": note}


def _risk_and_event_counts(start: np.ndarray, stop: np.ndarray, event: np.ndarray,
                           x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per distinct event time: rows at risk (start < t <= stop) and events, for x = 0 and x = 1."""
    times = np.unique(stop[event == 1])
    out = []
    for value in (0, 1):
        sel = x == value
        st, sp = np.sort(start[sel]), np.sort(stop[sel])
        n_stop = sp.size - np.searchsorted(sp, times, side="left")  # stop >= t
        n_start = st.size - np.searchsorted(st, times, side="left")  # start >= t (then stop > t too)
        ev = stop[sel & (event == 1)]
        d = np.bincount(np.searchsorted(times, ev), minlength=times.size) if times.size else np.zeros(0, int)
        out += [(n_stop - n_start).astype(float), d.astype(float)]
    r0, d0, r1, d1 = out
    return times, r0, d0, r1, d1


def cox_binary_counting_process(
    start: ArrayLike, stop: ArrayLike, event: ArrayLike, covariate: ArrayLike,
    conf_level: float = 0.95, tol: float = 1e-12, max_iter: int = 100,
) -> dict[str, float | str]:
    """Cox model ``coxph(Surv(start, stop, event) ~ x)`` for one 0/1 covariate, Efron ties.

    Rows at risk at t: ``start < t <= stop``.  Newton-Raphson from 0 with step halving on the
    Efron log partial likelihood written with per-event-time counts (r0, r1 at risk; d0, d1 events):
    ``l(b) = sum_j [d1_j b - sum_{k<d_j} log(r1 e^b + r0 - k/d_j (d1 e^b + d0))]``.  SE from the
    observed information at the estimate (as R / lifelines), Wald CI and p-value.  Returns coef, se,
    hr, hr_ci_lower, hr_ci_upper, p_value, n_rows, n_events, note; the estimates are NaN (with a
    note) when there are no events or the likelihood is monotone (infinite HR: e.g. all events in
    one exposure group, or the exposure never varies within the risk sets).
    """
    st, sp = np.asarray(start, dtype=float), np.asarray(stop, dtype=float)
    ev, x = np.asarray(event, dtype=int), np.asarray(covariate, dtype=float)
    if not (st.shape == sp.shape == ev.shape == x.shape) or st.ndim != 1:
        raise ValueError("start, stop, event, covariate must be 1-d of equal length")
    if not np.all(np.isin(x, (0.0, 1.0))) or not np.all(np.isin(ev, (0, 1))):
        raise ValueError("covariate and event must be coded 0/1")
    if np.any(st >= sp):
        raise ValueError("every row needs start < stop")
    res: dict[str, float | str] = {**_no_model(""), "n_rows": int(st.size), "n_events": int(ev.sum())}
    if ev.sum() == 0:
        res["note"] = "no events: no model"
        return res
    _, r0, d0, r1, d1 = _risk_and_event_counts(st, sp, ev, x.astype(int))
    # score at b -> -inf / +inf: a finite maximum exists iff it changes sign
    if np.sum(d1[r0 > 0]) == 0 or np.sum(d0[r1 > 0]) == 0:
        res["note"] = ("HR not estimable: monotone likelihood (no events in one exposure group while the "
                       "other is at risk, or no exposure contrast)")
        return res
    d = d0 + d1
    j = np.repeat(np.arange(d.size), d.astype(int))  # one term per event (Efron)
    k = np.arange(j.size) - np.repeat(np.cumsum(d) - d, d.astype(int))
    frac = k / d[j]
    r0j, r1j, d0j, d1j = r0[j], r1[j], d0[j], d1[j]
    total_d1 = float(d1.sum())

    def evaluate(b: float) -> tuple[float, float, float]:
        e = np.exp(b)
        num = e * (r1j - frac * d1j)
        den = r1j * e + r0j - frac * (d1j * e + d0j)
        p = num / den
        loglik = total_d1 * b - float(np.sum(np.log(den)))
        return loglik, total_d1 - float(np.sum(p)), float(np.sum(p * (1 - p)))

    b = 0.0
    loglik, score, info = evaluate(b)
    for _ in range(max_iter):
        step = score / info
        new_b = b + step
        new = evaluate(new_b)
        while new[0] < loglik - 1e-12 * abs(loglik) and abs(new_b - b) > tol:  # step halving
            new_b = (b + new_b) / 2
            new = evaluate(new_b)
        converged = abs(new_b - b) <= tol * max(1.0, abs(b))
        b, (loglik, score, info) = new_b, new
        if converged:
            break
    se = 1 / np.sqrt(info)
    res.update(coef=b, se=se, **wald_hazard_ratio(b, se, conf_level))
    return res


def _cox_row(endpoint: str, analysis: str, covariate: str, fit: dict, n_patients: int,
             extra_note: str = "") -> dict:
    notes = [fit["note"]] if fit["note"] else []
    if not fit["note"]:
        notes.append(events_per_variable_warning(int(fit["n_events"]), 1) or "")
    notes.append(extra_note)
    row = {"endpoint": endpoint, "analysis": analysis, "covariate": covariate, "n_patients": n_patients,
           **{key: fit[key] for key in ("coef", "se", "hr", "hr_ci_lower", "hr_ci_upper", "p_value",
                                        "n_events", "n_rows")}}
    row["note"] = " ".join(n for n in notes if n)
    return row


def hsct_counting_process_rows(adtte: pd.DataFrame, adsl: pd.DataFrame, endpoint: str = "OS") -> pd.DataFrame:
    """Counting-process rows (days from the first dose) with HSCT as a time-varying covariate.

    :func:`split_at_exposure` on the endpoint's days and the HSCT day: a patient transplanted on day
    s with 0 < s < time gets ``(0, s]`` with hsct = 0 and event = 0 and ``(s, time]`` with hsct = 1
    and the patient's event; HSCT on or after the event/censoring day (or none) leaves one unexposed
    row, HSCT on day 0 one exposed row (R ``tmerge(..., tdc(hsct_day))``).  Columns: patient_id,
    start, stop, event, hsct; sorted by patient_id and start.
    """
    if endpoint not in FIRST_DOSE_ENDPOINTS:
        raise ValueError(f"time-varying HSCT needs an endpoint from the first dose: {FIRST_DOSE_ENDPOINTS}")
    frame = _endpoint_days(adtte, adsl, endpoint)
    rows = split_at_exposure(frame["patient_id"], frame["days"], frame["event"], frame["hsct_days"])
    rows = rows.rename(columns={"id": "patient_id", "exposed": "hsct"})
    return sort_stable(rows, ["patient_id", "start"]).reset_index(drop=True)


def time_varying_hsct_cox(adtte: pd.DataFrame, adsl: pd.DataFrame, endpoint: str = "OS",
                          conf_level: float = 0.95) -> pd.DataFrame:
    """Cox model of ``endpoint`` (OS, EFS or REL) with HSCT as a time-varying covariate.

    Rows from :func:`hsct_counting_process_rows`; Efron ties, Wald CI and p
    (:func:`cox_binary_counting_process`, same estimates as R ``coxph(Surv(tstart, tstop, event) ~
    hsct)``).  One row: endpoint, analysis, covariate ("hsct"), coef, se, hr, hr_ci_lower,
    hr_ci_upper, p_value, n_patients, n_events, n_rows, note (events-per-variable < 10 warning, or
    why there is no model: no patients, no events, monotone likelihood e.g. nobody transplanted).
    """
    rows = hsct_counting_process_rows(adtte, adsl, endpoint)
    if rows.empty:
        fit = _no_model("no patients: no model")
    else:
        # an event or censoring on day 0 gives a zero-length row (0, 0], which the counting-process
        # form cannot hold; as (0, 0.5] it is at risk only at day 0, like R's Surv(time, event)
        stop = np.where(rows["stop"] > rows["start"], rows["stop"], rows["start"] + 0.5)
        fit = cox_binary_counting_process(rows["start"], stop, rows["event"], rows["hsct"], conf_level)
    row = _cox_row(endpoint, TIME_VARYING_ANALYSIS, "hsct", fit, int(rows["patient_id"].nunique()))
    return pd.DataFrame([row], columns=COX_TV_COLUMNS)


def naive_hsct_comparison(adtte: pd.DataFrame, adsl: pd.DataFrame, endpoint: str = "OS",
                          conf_level: float = 0.95) -> pd.DataFrame:
    """The biased comparison by ever-HSCT (baseline covariate), for teaching the immortal-time bias.

    Same model and columns as :func:`time_varying_hsct_cox` but with ``hsct_ever`` fixed from time
    0 (``coxph(Surv(time, event) ~ hsct_ever)``); the ``analysis`` and ``note`` columns say that it
    is biased.  Concatenate with :func:`time_varying_hsct_cox` to show both.
    """
    if endpoint not in FIRST_DOSE_ENDPOINTS:
        raise ValueError(f"the HSCT comparison needs an endpoint from the first dose: {FIRST_DOSE_ENDPOINTS}")
    frame = _endpoint_days(adtte, adsl, endpoint)
    ever = frame["hsct_days"].notna().to_numpy().astype(int)
    if frame.empty:
        fit = _no_model("no patients: no model")
    else:
        days = frame["days"].to_numpy(dtype=float)
        stop = np.where(days > 0, days, 0.5)  # day-0 events: see time_varying_hsct_cox
        fit = cox_binary_counting_process(np.zeros(len(frame)), stop, frame["event"], ever, conf_level)
    row = _cox_row(endpoint, NAIVE_ANALYSIS, "hsct_ever", fit, len(frame), NAIVE_NOTE)
    return pd.DataFrame([row], columns=COX_TV_COLUMNS)


# ---------------------------------------------------------------------------------------------------------
# competing risks

def _competing_rows(adtte: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    if endpoint not in CAUSES:
        raise ValueError(f"competing-risks endpoint must be one of {tuple(CAUSES)}")
    rows = adtte.loc[adtte["PARAMCD"] == endpoint, ["patient_id", "AVAL", "EVNTCD"]]
    return sort_stable(rows, ["patient_id"]).reset_index(drop=True)


def cumulative_incidence_table(
    adtte: pd.DataFrame, endpoint: str, timepoints_months: ArrayLike = (6.0, 12.0, 24.0),
    conf_level: float = 0.95, conf_type: str = "log",
) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of the event and of the competing event at ``timepoints_months``.

    ``endpoint``: "REL" (causes "relapse", "non-relapse mortality") or "VOD" ("VOD/SOS", "death
    without VOD/SOS"), from ``EVNTCD`` (1 = event, 2 = competing, 0 = censored) and ``AVAL``
    (months).  IJ standard errors and R's default "log" intervals, see
    :func:`ino_study.statistics.competing_risks.cumulative_incidence` (NaN after the last follow-up).
    Rows: event cause first, then the competing cause, times ascending.  Empty frame with these
    columns when the endpoint has no rows (e.g. no transplanted patients for VOD).
    """
    rows = _competing_rows(adtte, endpoint)
    if rows.empty:
        return pd.DataFrame(columns=CIF_TABLE_COLUMNS)
    req = np.sort(np.asarray(timepoints_months, dtype=float).ravel())
    parts = []
    for code, label in CAUSES[endpoint]:
        est = cumulative_incidence(rows["AVAL"], rows["EVNTCD"].astype(int), code, req, conf_level, conf_type)
        parts.append(est.rename(columns={"time": "time_months"}).assign(endpoint=endpoint, cause=label))
    return pd.concat(parts, ignore_index=True)[CIF_TABLE_COLUMNS]


def cumulative_incidence_curves(adtte: pd.DataFrame, endpoint: str, conf_level: float = 0.95,
                                conf_type: str = "log") -> pd.DataFrame:
    """Step-function points of both cumulative incidence curves, for plotting (``drawstyle="steps-post"``).

    One row per distinct observed time (events and censorings) per cause, preceded by (0, 0) when
    the first time is after 0; the value holds until the next row.  Columns: endpoint, cause,
    time_months, estimate, ci_lower, ci_upper.  Empty frame when the endpoint has no rows.
    """
    rows = _competing_rows(adtte, endpoint)
    if rows.empty:
        return pd.DataFrame(columns=CIF_CURVE_COLUMNS)
    parts = []
    for code, label in CAUSES[endpoint]:
        curve = aalen_johansen_curve(rows["AVAL"], rows["EVNTCD"].astype(int), code, conf_level, conf_type)
        curve = curve.rename(columns={"time": "time_months"})[CIF_CURVE_COLUMNS[2:]]
        if curve["time_months"].iloc[0] > 0:
            start = pd.DataFrame({column: [0.0] for column in CIF_CURVE_COLUMNS[2:]})
            curve = pd.concat([start, curve], ignore_index=True)
        parts.append(curve.assign(endpoint=endpoint, cause=label))
    return pd.concat(parts, ignore_index=True)[CIF_CURVE_COLUMNS]
