"""Cumulative incidence under competing risks (Aalen-Johansen), deterministic.

Mirrors R ``survfit(Surv(time, factor(status)) ~ 1)`` (multi-state
Aalen-Johansen, survival >= 3.0) for the competing-risks case (one initial
state, absorbing causes):

* estimate: ``F_k(t) = sum_{t_j <= t} S(t_{j-1}) d_kj / n_j`` over distinct
  times, with ``S`` the all-cause Kaplan-Meier; all events and censorings
  tied at ``t_j`` are handled together (censored subjects at risk at t_j);
  no random jittering (unlike lifelines' ``AalenJohansenFitter``).
* standard error: the infinitesimal-jackknife (IJ) variance that R's
  ``survfitAJ`` reports, ``var F(t) = sum_i (dF(t)/dw_i)^2`` with ``w_i`` the
  case weights, evaluated at ``w = 1``.
* interval: ``survival:::survfit_confint(p, se, logse = FALSE, ...)``; the
  default "log" is R's default (``exp(log F -/+ z se/F)``, upper clipped at 1).

How the IJ variance is computed (closed form, O(n log n + T) time, O(n + T)
memory, T = number of distinct times).  With distinct times ``u_1 < ... <
u_T``, weighted risk sets ``n_j``, all-cause and cause-k hazards ``h_j =
d_j / n_j`` and ``hk_j = dk_j / n_j``, and ``S_j = prod_{l<=j} (1 - h_l)``,
``F_m = sum_{j<=m} S_{j-1} hk_j``.  Differentiating with respect to the
weight of a subject observed at ``u_c`` with event indicator ``D`` (any
cause) and cause indicator ``K`` gives, with ``CA_j = sum_{l<=j} h_l /
(n_l (1 - h_l))`` and ``G_m = sum_{j<=m} S_{j-1} hk_j (CA_{j-1} - 1/n_j)``::

    dF_m/dw = G_m                                   for m < c
    dF_m/dw = B + C (F_m - F_c)                     for m >= c
        B = G_{c-1} + S_{c-1} ((K - hk_c)/n_c + hk_c CA_{c-1})
        C = CA_{c-1} - (D - h_c) / (n_c (1 - h_c))

(``h_l < 1`` for every ``l < T`` because only the last distinct time can
exhaust the risk set, so nothing is divided by zero.)  The influence depends
on the subject only through ``(c, D, K)``: at each distinct time there are at
most three influence values (censored, cause k, competing cause), so
``var F_m = (#{t > u_m}) G_m^2 + sum_{c <= m} sum_type mult (B' + C F_m)^2``
with ``B' = B - C F_c``, i.e. three cumulative sums.  This is the same
quantity as the former implementation (complex-step derivatives over an
n x n weight matrix, O(n^2 T)), which the tests keep as a reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ino_study.statistics.kaplan_meier import confint

CIF_COLUMNS = ["time", "n_risk", "estimate", "std_err", "ci_lower", "ci_upper"]


def _validate(time: ArrayLike, status: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    s = np.asarray(status)
    if t.shape != s.shape or t.ndim != 1 or np.any(np.isnan(t)):
        raise ValueError("time and status must be 1-d, same length, no missing times")
    return t, s


def _grouped_counts(t: np.ndarray, s: np.ndarray, cause) -> tuple[np.ndarray, ...]:
    """Distinct times and, per time, numbers at risk, censored, cause-k events and competing events."""
    utime, inv = np.unique(t, return_inverse=True)
    inv = inv.ravel()
    size = utime.size
    is_event = s != 0
    is_cause = s == cause
    n_cens = np.bincount(inv[~is_event], minlength=size).astype(float)
    n_cause = np.bincount(inv[is_cause], minlength=size).astype(float)
    n_other = np.bincount(inv[is_event & ~is_cause], minlength=size).astype(float)
    n_here = n_cens + n_cause + n_other
    n_risk = np.cumsum(n_here[::-1])[::-1]  # number with time >= u_j
    return utime, n_risk, n_cens, n_cause, n_other


def _aj_grouped(n_risk: np.ndarray, n_cens: np.ndarray, n_cause: np.ndarray,
                n_other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Aalen-Johansen CIF and its IJ standard error at every distinct time (see module docstring)."""
    d_all = n_cause + n_other
    haz_all = d_all / n_risk  # n_risk >= 1 at every observed time
    haz_k = n_cause / n_risk
    surv = np.cumprod(1 - haz_all)
    surv_prev = np.concatenate([[1.0], surv[:-1]])
    est = np.cumsum(surv_prev * haz_k)

    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(haz_all < 1, haz_all / (n_risk * (1 - haz_all)), 0.0)
    ca = np.cumsum(a)
    ca_prev = np.concatenate([[0.0], ca[:-1]])
    g = np.cumsum(surv_prev * haz_k * (ca_prev - 1 / n_risk))
    g_prev = np.concatenate([[0.0], g[:-1]])

    n_total = n_risk[0]
    n_beyond = n_total - np.cumsum(n_cens + d_all)  # number with time > u_m
    var = n_beyond * g**2
    sum_c2 = np.zeros_like(est)
    sum_bc = np.zeros_like(est)
    sum_b2 = np.zeros_like(est)
    # (multiplicity, D, K) of the three subject types at each distinct time
    for mult, d_ind, k_ind in ((n_cens, 0.0, 0.0), (n_cause, 1.0, 1.0), (n_other, 1.0, 0.0)):
        b = g_prev + surv_prev * ((k_ind - haz_k) / n_risk + haz_k * ca_prev)
        with np.errstate(divide="ignore", invalid="ignore"):
            # at the last time with h = 1, C multiplies F_m - F_c = 0: any finite value will do
            c = ca_prev - np.where(haz_all < 1, (d_ind - haz_all) / (n_risk * (1 - haz_all)), 0.0)
        b_shift = b - c * est
        sum_c2 += mult * c * c
        sum_bc += mult * b_shift * c
        sum_b2 += mult * b_shift * b_shift
    var = var + np.cumsum(sum_b2) + 2 * est * np.cumsum(sum_bc) + est**2 * np.cumsum(sum_c2)
    se = np.sqrt(np.maximum(var, 0.0))
    return est, se


def _ci(est: np.ndarray, se: np.ndarray, conf_level: float, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.where(se == 0, 0.0, se / est)  # R: logse = FALSE conversion
    return confint(est, se_log, conf_level, conf_type)


def aalen_johansen_curve(
    time: ArrayLike, status: ArrayLike, cause, conf_level: float = 0.95, conf_type: str = "log",
) -> pd.DataFrame:
    """The whole Aalen-Johansen step function of ``cause``: one row per distinct observed time.

    Columns as :func:`cumulative_incidence` (``time, n_risk, estimate,
    std_err, ci_lower, ci_upper``); ``n_risk`` is the number with time >= t.
    Vectorised: O(n log n) time, O(n) memory.  Empty input gives an empty frame.
    """
    t, s = _validate(time, status)
    if t.size == 0:
        return pd.DataFrame({c: pd.Series(dtype=int if c == "n_risk" else float) for c in CIF_COLUMNS})
    utime, n_risk, n_cens, n_cause, n_other = _grouped_counts(t, s, cause)
    est, se = _aj_grouped(n_risk, n_cens, n_cause, n_other)
    lower, upper = _ci(est, se, conf_level, conf_type)
    return pd.DataFrame({"time": utime, "n_risk": n_risk.astype(int), "estimate": est, "std_err": se,
                         "ci_lower": lower, "ci_upper": upper})


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
    t, s = _validate(time, status)
    req = np.asarray(times, dtype=float).ravel()
    if t.size:
        utime, n_risk_u, n_cens, n_cause, n_other = _grouped_counts(t, s, cause)
        est, se = _aj_grouped(n_risk_u, n_cens, n_cause, n_other)
    else:
        utime, est, se = np.array([]), np.array([]), np.array([])
    idx = np.searchsorted(utime, req, side="right") - 1
    est_t = np.concatenate([[0.0], est])[idx + 1]
    se_t = np.concatenate([[0.0], se])[idx + 1]
    beyond = req > (utime[-1] if utime.size else -np.inf)
    est_t = np.where(beyond, np.nan, est_t)
    se_t = np.where(beyond, np.nan, se_t)
    lower, upper = _ci(est_t, se_t, conf_level, conf_type)
    t_sorted = np.sort(t)
    n_risk = (t.size - np.searchsorted(t_sorted, req, side="left")).astype(int)  # time >= r
    return pd.DataFrame({"time": req, "n_risk": n_risk, "estimate": est_t, "std_err": se_t,
                         "ci_lower": lower, "ci_upper": upper})
