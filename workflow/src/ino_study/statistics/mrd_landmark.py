"""Overall survival by MRD status, without guarantee-time bias: a landmark at the end of the response window.

MRD negativity is known only once a patient has had an MRD-negative assessment, so comparing
patients by "ever MRD-negative" from the first dose credits the MRD-negative group with the time
they had to survive to reach it (guarantee-time bias). Here the landmark is L = the end of the
response window (config ``response.window_days``, 180 days from the first dose), when every
patient's MRD status in the window is settled:

* who enters: analysed patients with OS time > L days (alive and in follow-up at L; a death or a
  censoring on or before day L excludes the patient: R ``subset(d, time > L)``);
* groups: "MRD-negative" (adsl ``mrd_negative``: below the threshold at some assessment in the
  window) or "MRD-positive or not assessed";
* time reset to the landmark (OS days - L), in months after the landmark.

Kaplan-Meier estimates at the configured time points after the landmark (:func:`km_fit` /
:func:`km_at`, R ``survfit``), the log-rank test (:func:`logrank_test`, R ``survdiff``) and the Cox
hazard ratio of MRD-negative vs not (:func:`cox_univariable`, R ``coxph``, Efron ties, Wald CI), as
:func:`ino_study.statistics.transplant_analyses.landmark_table` does for HSCT.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ino_study.endpoints.definitions import DAYS_PER_MONTH
from ino_study.statistics.comparisons import cox_univariable, events_per_variable_warning, landmark, logrank_test
from ino_study.statistics.kaplan_meier import km_at, km_fit

MRD_NEGATIVE = "MRD-negative"
MRD_NOT_NEGATIVE = "MRD-positive or not assessed"
MRD_GROUPS = (MRD_NEGATIVE, MRD_NOT_NEGATIVE)

MRD_LANDMARK_COLUMNS = ["landmark_days", "group", "n", "events", "time_months_after_landmark", "n_risk",
                        "survival", "ci_lower", "ci_upper", "logrank_chi2", "logrank_p", "hr", "hr_ci_lower",
                        "hr_ci_upper", "cox_p_value", "note"]

HR_NOTE = "HR: MRD-negative vs MRD-positive or not assessed."


def mrd_landmark_data(adtte: pd.DataFrame, adsl: pd.DataFrame, landmark_days: int) -> pd.DataFrame:
    """The patients at the landmark: patient_id, group, time (days after the landmark), event.

    Sorted by patient_id.
    """
    os_rows = adtte.loc[adtte["PARAMCD"] == "OS", ["patient_id", "AVAL_DAYS", "CNSR"]]
    frame = os_rows.merge(adsl.loc[adsl["included"].astype(bool), ["patient_id", "mrd_negative"]],
                          on="patient_id", how="inner")
    frame = frame.sort_values("patient_id", kind="stable", ignore_index=True)
    negative = frame["mrd_negative"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    data = landmark(frame["AVAL_DAYS"].to_numpy(dtype=float), 1 - frame["CNSR"].to_numpy(dtype=int),
                    float(landmark_days), np.where(negative, MRD_NEGATIVE, MRD_NOT_NEGATIVE))
    data.insert(0, "patient_id", frame["patient_id"].to_numpy()[data["index"].to_numpy()])
    return data.drop(columns="index")


def _hazard_ratio(data: pd.DataFrame, conf_level: float) -> tuple[dict, str]:
    nan = float("nan")
    none = {"hr": nan, "hr_ci_lower": nan, "hr_ci_upper": nan, "cox_p_value": nan}
    if data["group"].nunique() < 2 or data["event"].sum() == 0:
        return none, "Fewer than two groups or no deaths after the landmark: no log-rank test or Cox model."
    events = data.groupby("group")["event"].sum()
    if (events == 0).any():
        return none, "HR not estimable: no deaths after the landmark in one group (monotone likelihood)."
    covariate = pd.DataFrame({"mrd_negative": (data["group"] == MRD_NEGATIVE).astype(float)}, index=data.index)
    fit = cox_univariable(data["time"].to_numpy() / DAYS_PER_MONTH, data["event"], covariate, conf_level).iloc[0]
    note = " ".join(n for n in (HR_NOTE, events_per_variable_warning(int(data["event"].sum()), 1) or "") if n)
    return {"hr": float(fit["hr"]), "hr_ci_lower": float(fit["hr_ci_lower"]),
            "hr_ci_upper": float(fit["hr_ci_upper"]), "cox_p_value": float(fit["p_value"])}, note


def mrd_landmark_table(adtte: pd.DataFrame, adsl: pd.DataFrame, landmark_days: int,
                       timepoints_months: ArrayLike = (6.0, 12.0, 24.0), conf_level: float = 0.95,
                       conf_type: str = "plain") -> pd.DataFrame:
    """``results/tables/mrd_landmark.csv``: OS from the landmark by MRD status (see the module docstring).

    One row per group (MRD-negative first) and time point: ``n`` / ``events`` of the group at and
    after the landmark, Kaplan-Meier ``n_risk``, ``survival``, ``ci_lower``, ``ci_upper`` at
    ``timepoints_months`` after the landmark (NaN beyond the group's last follow-up or for an empty
    group), and on every row the log-rank chi-square and p and the Cox HR (MRD-negative vs not) with
    its Wald CI and p (NaN, with a note, when not estimable).
    """
    data = mrd_landmark_data(adtte, adsl, landmark_days)
    req = np.asarray(timepoints_months, dtype=float).ravel()
    chi2 = p_value = np.nan
    if data["group"].nunique() == 2 and data["event"].sum() > 0:
        result = logrank_test(data["time"], data["event"], data["group"])
        chi2, p_value = result.chi2, result.p_value
    cox, note = _hazard_ratio(data, conf_level)
    parts = []
    for group in MRD_GROUPS:
        sub = data[data["group"] == group]
        if sub.empty:
            at = pd.DataFrame({"n_risk": np.zeros(req.size, dtype=int), "survival": np.nan, "ci_lower": np.nan,
                               "ci_upper": np.nan})
        else:
            fit = km_fit(sub["time"].to_numpy() / DAYS_PER_MONTH, sub["event"], conf_level, conf_type)
            at = km_at(fit, req)
        parts.append(pd.DataFrame({
            "landmark_days": int(landmark_days), "group": group, "n": len(sub), "events": int(sub["event"].sum()),
            "time_months_after_landmark": req, "n_risk": at["n_risk"].to_numpy(dtype=int),
            "survival": at["survival"].to_numpy(dtype=float), "ci_lower": at["ci_lower"].to_numpy(dtype=float),
            "ci_upper": at["ci_upper"].to_numpy(dtype=float), "logrank_chi2": chi2, "logrank_p": p_value,
            **cox, "note": note,
        }))
    return pd.concat(parts, ignore_index=True)[MRD_LANDMARK_COLUMNS]
