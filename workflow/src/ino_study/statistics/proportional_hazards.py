"""The proportional-hazards test of a fitted Cox model, as R ``survival::cox.zph`` (survival >= 3.0).

For a model with coefficients beta, cox.zph asks whether adding ``x * g(t)`` terms (each covariate
times a transform g of time) would improve the fit: the score test of gamma = 0 in the model
``x beta + x g(t) gamma``, at beta's fitted value, with the full information matrix of (beta, gamma).
The score for gamma is the sum over events of g(t) times the Schoenfeld residual; the information
blocks are the sums over event times of V(t), g(t) V(t) and g(t)^2 V(t), V(t) being the
(Efron-weighted) covariance of x in the risk set. One test per model term (a factor's dummies are
tested together, with as many degrees of freedom) and a global test of all terms: R's table.

Written by hand because no Python library does this: lifelines' ``proportional_hazard_test``
implements the earlier Grambsch-Therneau approximation from scaled Schoenfeld residuals (what
survival < 3.0 reported), which gives other numbers, and its residuals cost O(n^2) time. Here every
sum runs over the event times at once (numpy cumulative sums over the sorted data): O(n log n).
Checked against R's own output (tests/test_statistics_proportional_hazards.py).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ino_study.statistics.comparisons import efron_tie_fractions
from ino_study.statistics.kaplan_meier import km_fit

#: The time transforms of cox.zph: g(t) for each observation's time, from all the times and events.
TRANSFORMS = ("km", "rank", "identity", "log")


def time_transform(time: np.ndarray, event: np.ndarray, transform: str) -> np.ndarray:
    """g(t) for every observation as cox.zph computes it: 'identity' t; 'log' log t; 'rank' the rank of
    t among all the times, censored ones included (ties get their mean rank, R's ``rank``); 'km'
    1 - S(t-), the left-continuous Kaplan-Meier estimate of all observations."""
    if transform == "identity":
        return time.astype(float)
    if transform == "log":
        return np.log(time.astype(float))
    if transform == "rank":
        return pd.Series(time).rank(method="average").to_numpy(float)
    if transform == "km":  # R: survfitKM over all observations, read just before each time
        table = km_fit(time, event).table
        before = np.concatenate([[1.0], table["survival"].to_numpy()[:-1]])
        return 1.0 - before[np.searchsorted(table["time"].to_numpy(), time)]
    raise ValueError(f"unknown time transform {transform!r}; cox.zph's are {', '.join(TRANSFORMS)}")


def _risk_set_sums(time: np.ndarray, event: np.ndarray, x: np.ndarray, beta: np.ndarray, g: np.ndarray):
    """Per distinct event time: the risk-set sums of w, w x and w x x' (w = exp(x beta)), the same over
    the events at that time, the sum of the events' x, the number of events and g(t)."""
    order = np.argsort(-time, kind="stable")  # latest first: a cumulative sum is then a risk-set sum
    t, d, xs = time[order], event[order], x[order]
    w = np.exp((xs - xs.mean(axis=0)) @ beta)  # centred: the same ratios, no overflow
    wx = w[:, None] * xs
    wxx = wx[:, :, None] * xs[:, None, :]
    last_of_time = np.r_[t[1:] != t[:-1], True]  # the row that closes each group of equal times
    cumulative = [np.cumsum(a, axis=0)[last_of_time] for a in (w, wx, wxx)]
    first_of_time = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])

    def per_time(values: np.ndarray) -> np.ndarray:  # the rows of each time are contiguous
        return np.add.reduceat(values, first_of_time, axis=0)

    dead = d.astype(float)
    tied = [per_time(a * dead.reshape(-1, *([1] * (a.ndim - 1)))) for a in (w, wx, wxx)]
    x_dead, n_dead = per_time(xs * dead[:, None]), per_time(dead)
    has_event = n_dead > 0
    return ([a[has_event] for a in cumulative], [a[has_event] for a in tied], x_dead[has_event],
            n_dead[has_event].astype(int), g[order][last_of_time][has_event])


def zph_score_and_information(time: ArrayLike, event: ArrayLike, x: ArrayLike, beta: ArrayLike,
                              g: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Score (length 2p; the first p, beta's own, are 0 at the fitted beta) and information (2p x 2p) of
    the model with covariates (x, x g(t)) at (beta, 0), Efron ties: what R's C routine zph1 returns."""
    time, event = np.asarray(time, float), np.asarray(event, int)
    x, beta = np.asarray(x, float).reshape(len(time), -1), np.asarray(beta, float)
    (s0, s1, s2), (d0, d1, d2), x_dead, n_dead, g_t = _risk_set_sums(time, event, x, beta, np.asarray(g, float))
    # Efron: the k-th of the d events at a time sees the risk set less k/d of the tied events
    time_of, fraction = efron_tie_fractions(n_dead)
    denominator = s0[time_of] - fraction * d0[time_of]
    mean = (s1[time_of] - fraction[:, None] * d1[time_of]) / denominator[:, None]
    second = (s2[time_of] - fraction[:, None, None] * d2[time_of]) / denominator[:, None, None]
    variance = second - mean[:, :, None] * mean[:, None, :]
    p = x.shape[1]
    first_event = np.cumsum(n_dead) - n_dead  # the events of each time are contiguous
    v_t, mean_t = (np.add.reduceat(a, first_event, axis=0) for a in (variance, mean))
    residual = x_dead - mean_t  # the Schoenfeld residuals summed per event time
    score = np.concatenate([np.zeros(p), g_t @ residual])
    blocks = [np.einsum("m,mab->ab", g_t ** k, v_t) for k in (0, 1, 2)]
    information = np.block([[blocks[0], blocks[1]], [blocks[1], blocks[2]]])
    return score, information


def cox_zph(time: ArrayLike, event: ArrayLike, x: pd.DataFrame, beta: ArrayLike,
            terms: Mapping[str, Sequence[str]] | None = None, transform: str = "km") -> pd.DataFrame:
    """R ``cox.zph(fit, transform)$table`` for a fitted Cox model (Efron ties, no strata or weights).

    `x`: the model's design matrix (one column per coefficient); `beta`: the fitted coefficients;
    `terms`: the columns of each model term (a factor's dummies together); each column its own term
    if None. Returns one row per term and a last row "GLOBAL": term, chisq, df, p_value (the score
    test, chi-square with df degrees of freedom)."""
    from scipy import special

    time_a, event_a = np.asarray(time, float), np.asarray(event, int)
    if not event_a.any():
        raise ValueError("cox_zph: no events, so no proportional-hazards test (R: a null model)")
    if terms is None:
        terms = {str(column): [column] for column in x.columns}
    g = time_transform(time_a, event_a, transform)
    g = g - g[event_a == 1].mean()  # as cox.zph; the test does not depend on it
    score, information = zph_score_and_information(time_a, event_a, x.to_numpy(float), beta, g)
    p = x.shape[1]
    position = {column: i for i, column in enumerate(x.columns)}
    rows = []
    for name, columns in [*terms.items(), ("GLOBAL", list(x.columns))]:
        keep = np.r_[np.arange(p), [p + position[c] for c in columns]]
        u = score[keep]
        chisq = float(u @ np.linalg.solve(information[np.ix_(keep, keep)], u))
        rows.append({"term": name, "chisq": chisq, "df": len(columns),
                     "p_value": float(special.chdtrc(len(columns), chisq))})
    return pd.DataFrame(rows, columns=["term", "chisq", "df", "p_value"])
