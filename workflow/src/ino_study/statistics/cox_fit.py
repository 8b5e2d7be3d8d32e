"""lifelines' Cox model with Efron sums from per-level counts (see comparisons.grouped_efron_values).

Kept apart from :mod:`ino_study.statistics.comparisons` so that importing the statistics (the figures
do, for Kaplan-Meier and landmark data) does not import lifelines: ~0.5-1 s per process. Imported
when a Cox model is fitted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.fitters.coxph_fitter import SemiParametricPHFitter
from lifelines.utils import CensoringType, normalize
from scipy.linalg import inv as scipy_inv

from ino_study.statistics.comparisons import (
    FIT_OPTIONS, GROUPED_EFRON_MAX_LEVELS, grouped_efron_values, has_finite_maximum, level_counts,
)


class _GroupedEfronModel(SemiParametricPHFitter):
    """lifelines' Cox model (what ``CoxPHFitter`` fits with the Breslow baseline) with the Efron sums
    of :func:`grouped_efron_values`; see :class:`GroupedEfronCoxPHFitter`."""

    def _choose_gradient_calculator(self, T, X, entries):
        default = super()._choose_gradient_calculator(T, X, entries)
        if entries is not None or self.strata is not None or np.any(np.asarray(self.penalizer) != 0):
            return default
        cache: dict[str, object] = {}  # the counts depend on the data only, not on beta: built once per fit

        def get_gradients(X, T, E, weights, entries, beta):
            if cache.get("X") is not X:
                cache["X"] = X
                cache["counts"] = level_counts(X.to_numpy(dtype=float), T.to_numpy(dtype=float),
                                               E.to_numpy(dtype=bool), GROUPED_EFRON_MAX_LEVELS)
                cache["grouped"] = cache["counts"] is not None and has_finite_maximum(cache["counts"])
            if not cache["grouped"] or not np.all(weights.to_numpy() == 1.0):
                return default(X, T, E, weights, entries, beta)
            return grouped_efron_values(cache["counts"], beta)

        return get_gradients


class GroupedEfronCoxPHFitter(CoxPHFitter):
    """lifelines ``CoxPHFitter`` whose Efron sums come from :func:`grouped_efron_values`.

    Everything else is lifelines' own: the normalisation of the design, the Newton-Raphson steps,
    step sizes and stopping rules, the variance, the residuals and the summary, so the fit is the
    same to rounding (about 1e-13 relative).  With a categorical covariate (few distinct rows)
    lifelines' per-row Python loop took 15 s of a 100,000-patient run; this takes milliseconds.
    lifelines' own gradient is used for many levels, strata, entry times, penalties or weights.
    """

    def _fit_model_breslow(self, *args, **kwargs):
        if not CensoringType.is_right_censoring(self):
            return super()._fit_model_breslow(*args, **kwargs)  # raises lifelines' own error
        model = _GroupedEfronModel(penalizer=self.penalizer, l1_ratio=self.l1_ratio, strata=self.strata,
                                   alpha=self.alpha, label=self._label)
        model.fit(*args, **kwargs)
        return model


def _fit_cox(df: pd.DataFrame) -> CoxPHFitter:
    return GroupedEfronCoxPHFitter().fit(df, duration_col="_time", event_col="_event",
                                         fit_options=dict(FIT_OPTIONS))


def _cox_estimates(df: pd.DataFrame) -> pd.DataFrame:
    """coef and se(coef) per design column of the Efron Cox model of ``df`` (_time, _event, design).

    Where the grouped Efron sums apply (see :class:`GroupedEfronCoxPHFitter`) this runs the same
    steps as ``GroupedEfronCoxPHFitter().fit(...).summary`` (lifelines' sort, normalisation and
    Newton-Raphson, then params = beta / std, variance = -inv(hessian) / (std std')) and so gives
    the same numbers bit for bit, without the baseline hazard, predicted hazards and summary
    statistics that lifelines computes on every fit (~0.3 s per model at 100,000 patients).
    Elsewhere it is that fit's summary.
    """
    data = df.sort_values(by=["_time", "_event"])  # as lifelines' _preprocess_dataframe
    x = data.drop(columns=["_time", "_event"])
    time, event = data["_time"].astype(float), data["_event"].astype(bool)
    mean, std = x.mean(0), x.std(0)
    x_norm = pd.DataFrame(normalize(x.values, mean.values, std.values), index=x.index, columns=x.columns)
    counts = level_counts(x_norm.to_numpy(dtype=float), time.to_numpy(), event.to_numpy(), GROUPED_EFRON_MAX_LEVELS)
    if len(df) == 0 or counts is None or not has_finite_maximum(counts):
        summary = _fit_cox(df).summary
        return pd.DataFrame({"coef": summary["coef"], "se": summary["se(coef)"]})
    model = _GroupedEfronModel(penalizer=0.0, l1_ratio=0.0, strata=None, alpha=0.05)
    # what fit() sets and the Newton-Raphson reads (batch mode for lifelines' own gradient, the
    # event column for its error messages)
    model._batch_mode, model.duration_col, model.event_col = None, "_time", "_event"
    weights = pd.Series(np.ones(len(data)), index=data.index)
    beta, _, hessian = model._newton_raphson_for_efron_model(
        x_norm, time, event, weights, None, show_progress=False, **FIT_OPTIONS)
    variance = -scipy_inv(hessian) / np.outer(std, std)
    return pd.DataFrame({"coef": beta / std.values, "se": np.sqrt(variance.diagonal())}, index=x.columns)
