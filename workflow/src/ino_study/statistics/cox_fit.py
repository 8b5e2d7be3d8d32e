"""Efron Cox model fits (coef and se per design column): :func:`cox_estimates`, and with strata
:func:`stratified_cox_estimates` (the per-stratum counts stacked: 0.4 s CPU at a million rows where
lifelines' stratified fit took 13 s).

Written by hand because lifelines has no grouped-Efron fit at scale (its per-row Python loop took 15 s
of a 100,000-patient run); tested against R's coxph output (tests/test_statistics_comparisons.py).

* A design with few distinct covariate rows (:func:`~ino_study.statistics.comparisons.level_counts`
  gives counts) whose partial likelihood has a finite maximum
  (:func:`~ino_study.statistics.comparisons.has_finite_maximum`): :func:`grouped_efron_newton`, the
  iterations of R ``coxph`` (``coxph.control``: start at 0, Newton steps, step halving when the
  log-likelihood falls) with the hessian, gradient and log partial likelihood of
  :func:`~ino_study.statistics.comparisons.grouped_efron_values`; the standard errors are from the
  inverse of the information (minus the hessian) at the estimate.
* Anything else (many levels such as a continuous covariate, no finite maximum, no rows): lifelines'
  public ``CoxPHFitter().fit(...).summary``, with its own warnings for the analyst's log.

lifelines is imported only when a model goes to it (about 0.45 s of a job's start); the grouped fit
of the default run's models never does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ino_study.statistics.comparisons import (
    FIT_OPTIONS, GROUPED_EFRON_MAX_LEVELS, LevelCounts, grouped_efron_values, has_finite_maximum, level_counts,
    lifelines_stratified_cox_estimates, stratified_level_counts,
)

#: Convergence of :func:`grouped_efron_newton`: the last step changed the log partial likelihood by at
#: most this fraction of itself (R's ``coxph.control(eps = 1e-9)`` test, tighter) ...
RELATIVE_LIKELIHOOD_TOLERANCE = 1e-12
#: ... and the next Newton step (on the normalised design) is shorter than this (FIT_OPTIONS' precision).
STEP_TOLERANCE = 1e-10
#: Newton steps and step halvings together (R's ``iter.max`` counts both; its default is 20).
MAX_ITERATIONS = 100
#: A fall of the log partial likelihood by less than this fraction of itself is rounding in its sum
#: (about 1e-15 relative at 100,000 patients), not an overshooting step: it is not halved.
ROUNDING = 1e-12


class CoxFitError(ArithmeticError):
    """The grouped Efron Newton-Raphson did not converge (or met a singular information matrix)."""


def _information_solve(information: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """information^-1 rhs, the information being positive definite (else :class:`CoxFitError`)."""
    try:
        lower = np.linalg.cholesky(information)
    except np.linalg.LinAlgError:
        raise CoxFitError("Cox model: the information matrix is not positive definite (collinear "
                          "covariates?)") from None
    return np.linalg.solve(lower.T, np.linalg.solve(lower, rhs))


def grouped_efron_newton(counts: LevelCounts) -> tuple[np.ndarray, np.ndarray]:
    """Maximum partial likelihood estimate (Efron ties) and its information matrix, from level counts.

    R ``coxph``'s iterations: beta = 0, then Newton steps beta + solve(information, gradient), a step
    that lowers the log partial likelihood halved (towards the last beta) until it does not. Converged
    when the last step changed the log-likelihood by <= :data:`RELATIVE_LIKELIHOOD_TOLERANCE` relative
    and the next step is shorter than :data:`STEP_TOLERANCE`; :class:`CoxFitError` after
    :data:`MAX_ITERATIONS` steps and halvings. Call it where ``has_finite_maximum(counts)`` holds.
    """
    beta = np.zeros(counts.levels.shape[1])
    hessian, gradient, loglik = grouped_efron_values(counts, beta)
    change = np.inf
    iterations = 0
    while True:
        step = _information_solve(-hessian, gradient)
        if change <= RELATIVE_LIKELIHOOD_TOLERANCE and np.linalg.norm(step) < STEP_TOLERANCE:
            return beta, -hessian
        new_beta = beta + step
        while True:
            iterations += 1
            if iterations > MAX_ITERATIONS:
                raise CoxFitError(f"Cox model: Newton-Raphson did not converge in {MAX_ITERATIONS} iterations "
                                  f"(last step {np.linalg.norm(step):.3g}, log-likelihood {loglik:.17g})")
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # an overshoot: halved
                new_hessian, new_gradient, new_loglik = grouped_efron_values(counts, new_beta)
            if np.isfinite(new_loglik) and new_loglik >= loglik - ROUNDING * abs(loglik) \
                    and np.all(np.isfinite(new_hessian)) and np.all(np.isfinite(new_gradient)):
                break
            new_beta = (beta + new_beta) / 2  # step halving
        change = abs(new_loglik - loglik) / abs(loglik) if loglik != 0 else abs(new_loglik)
        beta, hessian, gradient, loglik = new_beta, new_hessian, new_gradient, new_loglik


def lifelines_cox_estimates(df: pd.DataFrame) -> pd.DataFrame:
    """coef and se per design column from lifelines' public ``CoxPHFitter`` (Efron ties)."""
    from lifelines import CoxPHFitter  # here: 0.45 s of a job's start, and most models never need it

    summary = CoxPHFitter().fit(df, duration_col="_time", event_col="_event", fit_options=dict(FIT_OPTIONS)).summary
    return pd.DataFrame({"coef": summary["coef"], "se": summary["se(coef)"]})


def cox_estimates(df: pd.DataFrame) -> pd.DataFrame:
    """coef and se(coef) per design column (the index) of the Efron Cox model of ``df``.

    ``df``: columns ``_time``, ``_event`` (0/1) and the design; no missing values. R
    ``coxph(Surv(_time, _event) ~ ., ties = "efron")``'s coef and se(coef). The grouped fit works on
    the design centred and scaled by column (as R and lifelines do, for the exponentials' range);
    coef = beta / scale, variance = information^-1 / (scale scale').
    """
    return _grouped_estimates(df, None)


def stratified_cox_estimates(df: pd.DataFrame) -> pd.DataFrame:
    """As :func:`cox_estimates` with a column ``_stratum``: R ``coxph(Surv(_time, _event) ~ . +
    strata(_stratum), ties = "efron")``, from the counts of each stratum stacked
    (:func:`~ino_study.statistics.comparisons.stratified_level_counts`); lifelines'
    ``CoxPHFitter(strata=...)`` for what the grouped fit does not take (as :func:`cox_estimates`)."""
    return _grouped_estimates(df, "_stratum")


def _grouped_estimates(df: pd.DataFrame, stratum: str | None) -> pd.DataFrame:
    fallback = lifelines_cox_estimates if stratum is None else lifelines_stratified_cox_estimates
    x = df.drop(columns=["_time", "_event"] + ([stratum] if stratum else []))
    if len(df) < 2:  # no scale to normalise by; lifelines says what is wrong
        return fallback(df)
    values = x.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant column: not finite
        mean, scale = values.mean(axis=0), values.std(axis=0, ddof=1)
        normalised = (values - mean) / scale
    time, event = df["_time"].to_numpy(dtype=float), df["_event"].to_numpy(dtype=bool)
    if stratum is None:
        counts = level_counts(normalised, time, event, GROUPED_EFRON_MAX_LEVELS)
    else:
        counts = stratified_level_counts(normalised, time, event, df[stratum].to_numpy(), GROUPED_EFRON_MAX_LEVELS)
    if counts is None or not has_finite_maximum(counts):
        return fallback(df)
    beta, information = grouped_efron_newton(counts)
    variance = _information_solve(information, np.eye(len(beta))) / np.outer(scale, scale)
    return pd.DataFrame({"coef": beta / scale, "se": np.sqrt(variance.diagonal())}, index=x.columns)
