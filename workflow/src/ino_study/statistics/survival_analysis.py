"""The study's survival analysis: Kaplan-Meier estimates, medians, log-rank and Cox per comparison.

Works on `adtte` (one row per patient and parameter) joined to the grouping variables of `adsl`.
Every table is long-format and sorted, so that the same inputs give byte-identical files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ino_study.statistics.comparisons import cox_univariable, events_per_variable_warning, logrank_test, ph_test
from ino_study.statistics.kaplan_meier import km_at, km_fit, km_median, median_follow_up
from ino_study.statistics.distinct import map_distinct
from ino_study.statistics.ordering import sort_stable

KM_ENDPOINTS = ("OS", "EFS")
ALL = "all"

ESTIMATE_COLUMNS = ["endpoint", "group_by", "group", "time_months", "n_risk", "n_event_cumulative",
                    "n_censor_cumulative", "survival", "std_err", "ci_lower", "ci_upper", "conf_type"]
MEDIAN_COLUMNS = ["endpoint", "group_by", "group", "n", "events", "median_months", "ci_lower", "ci_upper",
                  "conf_type"]
LOGRANK_COLUMNS = ["endpoint", "group_by", "chi2", "df", "p_value", "n", "groups", "note"]
COX_COLUMNS = ["endpoint", "covariate", "group_by", "reference", "coef", "se", "hr", "hr_ci_lower", "hr_ci_upper",
               "p_value", "n", "n_events", "ph_p_value", "note"]


@dataclass(frozen=True)
class SurvivalSettings:
    timepoints_months: tuple[float, ...] = (6.0, 12.0, 24.0)
    conf_type: str = "plain"
    conf_level: float = 0.95
    comparisons: tuple[str, ...] = ()


def group_label(value: object) -> str:
    """Printable group label: booleans as yes/no, missing as 'missing'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return str(value)


def group_labels(values: pd.Series) -> pd.Series:
    """:func:`group_label` of every value, worked out once per distinct value (not once per patient)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.map(group_label)  # keeps Series.map's categorical result
    return map_distinct(values, group_label)


def endpoint_frame(adtte: pd.DataFrame, adsl: pd.DataFrame, endpoint: str, comparisons: tuple[str, ...]) -> pd.DataFrame:
    """One endpoint's rows with time in months, event (0/1) and the comparison variables as labels."""
    rows = adtte[adtte["PARAMCD"] == endpoint][["patient_id", "AVAL", "CNSR"]]
    rows = rows.merge(adsl[["patient_id", *comparisons]], on="patient_id", how="left")
    rows["event"] = 1 - rows["CNSR"].astype(int)
    for column in comparisons:
        rows[column] = group_labels(rows[column])
    return sort_stable(rows, ["patient_id"]).reset_index(drop=True)


def _groups(frame: pd.DataFrame, comparisons: tuple[str, ...]):
    """(group_by, group, subset) for the whole cohort and every level of every comparison."""
    yield ALL, ALL, frame
    for column in comparisons:
        for level in sorted(frame[column].unique()):
            yield column, level, frame[frame[column] == level]


def survival_estimates(adtte: pd.DataFrame, adsl: pd.DataFrame, settings: SurvivalSettings,
                       endpoints: tuple[str, ...] = KM_ENDPOINTS) -> pd.DataFrame:
    """KM survival at each configured timepoint, per endpoint x group (survival_estimates.csv)."""
    parts = []
    for endpoint in endpoints:
        frame = endpoint_frame(adtte, adsl, endpoint, settings.comparisons)
        for group_by, group, subset in _groups(frame, settings.comparisons):
            if subset.empty:
                continue
            fit = km_fit(subset["AVAL"], subset["event"], settings.conf_level, settings.conf_type)
            at = km_at(fit, list(settings.timepoints_months)).rename(columns={"time": "time_months"})
            parts.append(at.assign(endpoint=endpoint, group_by=group_by, group=group, conf_type=settings.conf_type))
    return pd.concat(parts, ignore_index=True)[ESTIMATE_COLUMNS] if parts else pd.DataFrame(columns=ESTIMATE_COLUMNS)


def median_survival(adtte: pd.DataFrame, adsl: pd.DataFrame, settings: SurvivalSettings,
                    endpoints: tuple[str, ...] = KM_ENDPOINTS) -> pd.DataFrame:
    """Median survival with its interval as R's print(survfit) computes it; NaN where not reached."""
    rows = []
    for endpoint in endpoints:
        frame = endpoint_frame(adtte, adsl, endpoint, settings.comparisons)
        for group_by, group, subset in _groups(frame, settings.comparisons):
            if subset.empty:
                continue
            median, lower, upper = km_median(km_fit(subset["AVAL"], subset["event"], settings.conf_level,
                                                    settings.conf_type))
            rows.append([endpoint, group_by, group, len(subset), int(subset["event"].sum()), median, lower, upper,
                         settings.conf_type])
    return pd.DataFrame(rows, columns=MEDIAN_COLUMNS)


def follow_up_summary(adtte: pd.DataFrame, settings: SurvivalSettings) -> pd.DataFrame:
    """Median follow-up (reverse Kaplan-Meier on OS) with its interval."""
    os_rows = adtte[adtte["PARAMCD"] == "OS"]
    median, lower, upper = median_follow_up(os_rows["AVAL"], 1 - os_rows["CNSR"], settings.conf_level,
                                            settings.conf_type)
    return pd.DataFrame([{"measure": "median follow-up (reverse Kaplan-Meier), months", "n": len(os_rows),
                          "estimate": median, "ci_lower": lower, "ci_upper": upper}])


def logrank_table(adtte: pd.DataFrame, adsl: pd.DataFrame, settings: SurvivalSettings,
                  endpoints: tuple[str, ...] = KM_ENDPOINTS) -> pd.DataFrame:
    """Log-rank test per endpoint x comparison; groups labelled 'missing' are left out of the test."""
    rows = []
    for endpoint in endpoints:
        frame = endpoint_frame(adtte, adsl, endpoint, settings.comparisons)
        for column in settings.comparisons:
            known = frame[frame[column] != "missing"]
            levels = sorted(known[column].unique())
            if len(levels) < 2:
                rows.append([endpoint, column, np.nan, np.nan, np.nan, len(known), len(levels),
                             "fewer than two groups: no test"])
                continue
            result = logrank_test(known["AVAL"], known["event"], known[column])
            rows.append([endpoint, column, result.chi2, result.df, result.p_value, len(known), len(levels), ""])
    return pd.DataFrame(rows, columns=LOGRANK_COLUMNS)


def _ph_p_values(known: pd.DataFrame, column: str, coefficients: dict[str, float]) -> dict[str, float]:
    """Proportional-hazards test (R cox.zph, rank-transformed time) per model column of the model
    fitted with `coefficients`; empty if it cannot run."""
    try:
        test = ph_test(known["AVAL"], known["event"], known[[column]], coefficients=coefficients)
    except Exception:  # e.g. a model that does not converge in a tiny group: no check, not a crash
        return {}
    return dict(zip(test["covariate"], test["p_value"]))


def cox_table(adtte: pd.DataFrame, adsl: pd.DataFrame, settings: SurvivalSettings,
              endpoints: tuple[str, ...] = KM_ENDPOINTS) -> pd.DataFrame:
    """Univariable Cox model (Efron ties) per endpoint x comparison.

    Each row carries the proportional-hazards check's p value (`ph_p_value`, R's cox.zph score
    test with rank-transformed time; a comparison's levels tested together) and, in `note`, a warning when there are fewer than
    10 events per model parameter.
    """
    parts = []
    for endpoint in endpoints:
        frame = endpoint_frame(adtte, adsl, endpoint, settings.comparisons)
        for column in settings.comparisons:
            known = frame[frame[column] != "missing"]
            if known[column].nunique() < 2 or known["event"].sum() == 0:
                parts.append(pd.DataFrame([{"endpoint": endpoint, "covariate": column, "group_by": column,
                                            "n": len(known), "n_events": int(known["event"].sum()),
                                            "note": "fewer than two groups or no events: no model"}]))
                continue
            fit = cox_univariable(known["AVAL"], known["event"], known[[column]], settings.conf_level)
            n_parameters = len(fit)
            fit["note"] = events_per_variable_warning(int(known["event"].sum()), n_parameters) or ""
            coefficients = dict(zip(fit["covariate"], fit["coef"]))  # the model is not fitted again
            fit["ph_p_value"] = fit["covariate"].map(_ph_p_values(known, column, coefficients))
            parts.append(fit.assign(endpoint=endpoint, group_by=column))
    if not parts:
        return pd.DataFrame(columns=COX_COLUMNS)
    return pd.concat(parts, ignore_index=True).reindex(columns=COX_COLUMNS)
