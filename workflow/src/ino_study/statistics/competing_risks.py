"""Cumulative incidence under competing risks (Aalen-Johansen), deterministic.

Mirrors R ``survfit(Surv(time, factor(status)) ~ 1)`` (multi-state
Aalen-Johansen, survival >= 3.0) for the competing-risks case (one initial
state, absorbing causes):

* estimate: ``F_k(t) = sum_{t_j <= t} S(t_{j-1}) d_kj / n_j`` over distinct
  times, with ``S`` the all-cause Kaplan-Meier; all events and censorings
  tied at ``t_j`` are handled together (censored subjects at risk at t_j);
  no random jittering (unlike lifelines' ``AalenJohansenFitter``).
* standard error: the infinitesimal-jackknife (IJ) variance that R's
  ``survfitAJ`` reports, ``var = sum_i (dF/dw_i)^2`` with ``w_i`` the case
  weights.  The derivatives are computed exactly (to rounding) by
  complex-step differentiation of the closed-form estimator, because F is a
  rational function of the weights.
* interval: ``survival:::survfit_confint(p, se, logse = FALSE, ...)``; the
  default "log" is R's default (``exp(log F -/+ z se/F)``, upper clipped at 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ino_study.statistics.kaplan_meier import confint

_STEP = 1e-30  # complex-step size; exact for analytic functions, no cancellation


def _aj_curve(t: np.ndarray, status: np.ndarray, cause, utime: np.ndarray, w: np.ndarray) -> np.ndarray:
    """CIF of ``cause`` at each ``utime`` for weight matrix ``w`` (rows = weight vectors)."""
    at_risk = (t[None, :] >= utime[:, None]).astype(float)  # (T, n)
    at_time = (t[None, :] == utime[:, None]).astype(float)
    is_event = (status != 0).astype(float)
    is_cause = (status == cause).astype(float)
    n_risk = w @ at_risk.T  # (m, T)
    d_all = w @ (at_time * is_event).T
    d_k = w @ (at_time * is_cause).T
    with np.errstate(divide="ignore", invalid="ignore"):
        haz_all = np.where(d_all != 0, d_all / n_risk, 0)
        haz_k = np.where(d_k != 0, d_k / n_risk, 0)
    surv = np.cumprod(1 - haz_all, axis=1)
    surv_prev = np.concatenate([np.ones((w.shape[0], 1)), surv[:, :-1]], axis=1)
    return np.cumsum(surv_prev * haz_k, axis=1)


def _ij_se(t: np.ndarray, status: np.ndarray, cause, utime: np.ndarray) -> np.ndarray:
    """Infinitesimal-jackknife SE at each utime via complex-step derivatives."""
    n = t.size
    w = np.ones((n, n), dtype=complex) + 1j * _STEP * np.eye(n)
    infl = _aj_curve(t, status, cause, utime, w).imag / _STEP  # (n, T): dF(t)/dw_i
    return np.sqrt(np.sum(infl**2, axis=0))


def cumulative_incidence(
    time: ArrayLike, status: ArrayLike, cause, times: ArrayLike,
    conf_level: float = 0.95, conf_type: str = "log",
) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of ``cause`` at ``times``.

    ``status``: 0 = censored, any other value = the event type (``cause`` or
    a competing event).  Output columns: time, n_risk (time >= t, R's n.risk
    convention), estimate, std_err (IJ, as R), ci_lower, ci_upper.  Before
    the first observed time the estimate is 0 (SE 0); after the last
    follow-up time everything but n_risk is NaN (as :func:`km_at`).
    """
    t = np.asarray(time, dtype=float)
    s = np.asarray(status)
    if t.shape != s.shape or t.ndim != 1 or np.any(np.isnan(t)):
        raise ValueError("time and status must be 1-d, same length, no missing times")
    req = np.asarray(times, dtype=float).ravel()
    utime = np.unique(t)
    est = _aj_curve(t, s, cause, utime, np.ones((1, t.size)))[0] if t.size else np.array([])
    se = _ij_se(t, s, cause, utime) if t.size else np.array([])
    idx = np.searchsorted(utime, req, side="right") - 1
    est_t = np.concatenate([[0.0], est])[idx + 1]
    se_t = np.concatenate([[0.0], se])[idx + 1]
    beyond = req > (utime[-1] if utime.size else -np.inf)
    est_t = np.where(beyond, np.nan, est_t)
    se_t = np.where(beyond, np.nan, se_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.where(se_t == 0, 0.0, se_t / est_t)  # R: logse = FALSE conversion
    lower, upper = confint(est_t, se_log, conf_level, conf_type)
    n_risk = np.array([int(np.sum(t >= r)) for r in req], dtype=int)
    return pd.DataFrame({
        "time": req, "n_risk": n_risk, "estimate": est_t, "std_err": se_t, "ci_lower": lower, "ci_upper": upper,
    })
