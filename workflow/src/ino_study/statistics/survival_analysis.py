"""The study's survival analysis: Kaplan-Meier estimates, medians, log-rank and Cox per comparison.

Works on `adtte` (one row per patient and parameter) joined to the grouping variables of `adsl`.
Every table is long-format and sorted, so that the same inputs give byte-identical files.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ino_study.statistics.comparisons import cox_univariable, events_per_variable_warning, logrank_test, ph_test
from ino_study.statistics.kaplan_meier import KMFit, km_at, km_fit, km_median, median_follow_up
from ino_study.statistics.distinct import map_distinct
from ino_study.statistics.ordering import sort_stable

KM_ENDPOINTS = ("OS", "EFS", "DOR")
#: Endpoints compared between groups (log-rank, Cox): DOR is estimated (KM, median) but not compared,
#: its groups being responders only and too small for a test in a cohort of this size.
TEST_ENDPOINTS = ("OS", "EFS")
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


#: The group label of a patient whose comparison variable is not recorded (`group_label`).
MISSING = "missing"


def group_label(value: object) -> str:
    """Printable group label: booleans as yes/no, missing as 'missing'."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING
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


def known_group(frame: pd.DataFrame, column: str) -> pd.Series:
    """The rows whose `column` group is known: those labelled MISSING are left out of a comparison
    (the log-rank test, the Cox model and the figure drawn by group)."""
    return frame[column] != MISSING


def _groups(frame: pd.DataFrame, comparisons: tuple[str, ...]):
    """(group_by, group, subset) for the whole cohort and every level of every comparison."""
    yield ALL, ALL, frame
    for column in comparisons:
        for level in sorted(frame[column].unique()):
            yield column, level, frame[frame[column] == level]


@dataclass(frozen=True)
class GroupFit:
    """The Kaplan-Meier fit of one group (the whole cohort or one level of a comparison) for one endpoint."""

    endpoint: str
    group_by: str
    group: str
    rows: pd.DataFrame
    fit: KMFit


class SurvivalData:
    """What the survival tables are computed from, prepared once and shared by them: each endpoint's
    rows joined to the comparison variables (`endpoint_frame`), and the Kaplan-Meier fit of every
    group, used by both the estimates and the medians. (Each table preparing its own made 8 joins
    and 20 fits per step instead of 2 and 10: 164 ms of CPU instead of 118 ms for the default
    cohort's four tables.)"""

    def __init__(self, adtte: pd.DataFrame, adsl: pd.DataFrame, settings: SurvivalSettings,
                 endpoints: tuple[str, ...] = KM_ENDPOINTS) -> None:
        self.settings = settings
        self.frames = {endpoint: endpoint_frame(adtte, adsl, endpoint, settings.comparisons) for endpoint in endpoints}

    @functools.cached_property
    def group_fits(self) -> list[GroupFit]:
        """Per endpoint, the whole cohort then every level of every comparison (empty groups left out)."""
        level, conf_type = self.settings.conf_level, self.settings.conf_type
        return [GroupFit(endpoint, group_by, group, rows, km_fit(rows["AVAL"], rows["event"], level, conf_type))
                for endpoint, frame in self.frames.items()
                for group_by, group, rows in _groups(frame, self.settings.comparisons) if not rows.empty]


def survival_estimates(data: SurvivalData) -> pd.DataFrame:
    """KM survival at each configured timepoint, per endpoint x group (survival_estimates.csv)."""
    settings, fits = data.settings, data.group_fits
    if not fits:
        return pd.DataFrame(columns=ESTIMATE_COLUMNS)
    times = list(settings.timepoints_months)
    frame = pd.concat([km_at(g.fit, times) for g in fits], ignore_index=True).rename(columns={"time": "time_months"})
    # each fit gives one row per timepoint; the labels are set for all rows at once (not per fit)
    for column in ("endpoint", "group_by", "group"):
        frame[column] = np.repeat([getattr(g, column) for g in fits], len(times))
    frame["conf_type"] = settings.conf_type
    return frame[ESTIMATE_COLUMNS]


def median_survival(data: SurvivalData) -> pd.DataFrame:
    """Median survival with its interval as R's print(survfit) computes it; NaN where not reached."""
    rows = []
    for g in data.group_fits:
        median, lower, upper = km_median(g.fit)
        rows.append([g.endpoint, g.group_by, g.group, len(g.rows), int(g.rows["event"].sum()), median, lower, upper,
                     data.settings.conf_type])
    return pd.DataFrame(rows, columns=MEDIAN_COLUMNS)


def follow_up_summary(adtte: pd.DataFrame, settings: SurvivalSettings) -> pd.DataFrame:
    """Median follow-up (reverse Kaplan-Meier on OS) with its interval."""
    os_rows = adtte[adtte["PARAMCD"] == "OS"]
    median, lower, upper = median_follow_up(os_rows["AVAL"], 1 - os_rows["CNSR"], settings.conf_level,
                                            settings.conf_type)
    return pd.DataFrame([{"measure": "median follow-up (reverse Kaplan-Meier), months", "n": len(os_rows),
                          "estimate": median, "ci_lower": lower, "ci_upper": upper}])


def logrank_table(data: SurvivalData) -> pd.DataFrame:
    """Log-rank test per endpoint x comparison; groups labelled 'missing' are left out of the test."""
    rows = []
    for endpoint, frame in data.frames.items():
        if endpoint not in TEST_ENDPOINTS:
            continue
        for column in data.settings.comparisons:
            known = frame[known_group(frame, column)]
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


def cox_table(data: SurvivalData) -> pd.DataFrame:
    """Univariable Cox model (Efron ties) per endpoint x comparison.

    Each row carries the proportional-hazards check's p value (`ph_p_value`, R's cox.zph score
    test with rank-transformed time; a comparison's levels tested together) and, in `note`, a warning when there are fewer than
    10 events per model parameter.
    """
    parts = []
    for endpoint, frame in data.frames.items():
        if endpoint not in TEST_ENDPOINTS:
            continue
        for column in data.settings.comparisons:
            known = frame[known_group(frame, column)]
            if known[column].nunique() < 2 or known["event"].sum() == 0:
                parts.append(pd.DataFrame([{"endpoint": endpoint, "covariate": column, "group_by": column,
                                            "n": len(known), "n_events": int(known["event"].sum()),
                                            "note": "fewer than two groups or no events: no model"}]))
                continue
            fit = cox_univariable(known["AVAL"], known["event"], known[[column]], data.settings.conf_level)
            n_parameters = len(fit)
            fit["note"] = events_per_variable_warning(int(known["event"].sum()), n_parameters) or ""
            coefficients = dict(zip(fit["covariate"], fit["coef"]))  # the model is not fitted again
            fit["ph_p_value"] = fit["covariate"].map(_ph_p_values(known, column, coefficients))
            parts.append(fit.assign(endpoint=endpoint, group_by=column))
    if not parts:
        return pd.DataFrame(columns=COX_COLUMNS)
    return pd.concat(parts, ignore_index=True).reindex(columns=COX_COLUMNS)
