"""Group comparisons and Cox models for time-to-event endpoints.

* :func:`logrank_test` mirrors R ``survival::survdiff(Surv(time, event) ~ group)`` (rho = 0).
* :func:`cox_univariable` mirrors one R ``coxph(Surv(time, event) ~ x)`` per covariate
  (Efron ties, Wald z test): :func:`cox_estimates`, our Newton-Raphson on grouped Efron sums for
  few-level designs, else lifelines ``CoxPHFitter`` (:mod:`.cox_fit`).
* :func:`ph_test` is R ``cox.zph`` (survival >= 3.0: the score test per model
  term, a factor's dummies together; :mod:`.proportional_hazards`).  R's default
  is ``transform = "km"``; ours is ``"rank"`` (as specified for this pipeline)
  and any of cox.zph's transforms can be requested.
* :func:`landmark` / :func:`split_at_exposure` / :func:`cox_time_varying`
  support landmark and time-dependent (counting-process) analyses, cf. R
  ``survival::tmerge`` and ``coxph(Surv(start, stop, event) ~ x)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ino_study.statistics.kaplan_meier import two_sided_z

COX_COLUMNS = [
    "covariate", "coef", "se", "hr", "hr_ci_lower", "hr_ci_upper", "p_value", "n", "n_events", "reference",
]


@dataclass(frozen=True)
class LogrankResult:
    """Log-rank chi-square statistic, degrees of freedom (k - 1) and p-value (R ``survdiff``)."""

    chi2: float
    df: int
    p_value: float


def logrank_sums(time: ArrayLike, event: ArrayLike, codes: np.ndarray, k: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed and expected events per group (k groups, ``codes`` 0..k-1) and the hypergeometric
    variance matrix of O - E: R ``survdiff``'s ``obs``, ``exp`` and ``var`` of one stratum."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=int)
    utime, at = np.unique(t, return_inverse=True)
    cell = at.ravel() * k + codes
    removed = np.bincount(cell, minlength=utime.size * k).reshape(utime.size, k).astype(float)
    observed = np.bincount(cell, weights=e, minlength=utime.size * k).reshape(utime.size, k)
    # at risk per group at each time: everyone not removed at an earlier time
    at_risk = removed.sum(axis=0) - np.vstack([np.zeros(k), np.cumsum(removed, axis=0)[:-1]])
    deaths = observed.sum(axis=1)
    n_risk = at_risk.sum(axis=1)
    expected = (at_risk * (deaths / n_risk)[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (n_risk - deaths) / (n_risk - 1)
    ratio[~np.isfinite(ratio)] = 1.0  # a single subject at risk (lifelines: replace inf / NaN by 1)
    root = np.sqrt(ratio * deaths / n_risk**2)
    per_group, total = at_risk * root[:, None], n_risk * root
    variance = -(per_group.T @ per_group)
    variance[np.diag_indices(k)] += total @ per_group  # diagonal: sum f n_g (n - n_g)
    return observed.sum(axis=0), expected, variance


def logrank_test(time: ArrayLike, event: ArrayLike, group: ArrayLike, strata: ArrayLike | None = None
                 ) -> LogrankResult:
    """k-sample log-rank test; mirrors ``survdiff(Surv(time, event) ~ group)`` in R, and with
    ``strata`` (one label per row) ``survdiff(Surv(time, event) ~ group + strata(s))``.

    Uses the hypergeometric variance (identical to survdiff's ``(O-E)' V^- (O-E)``),
    computed as lifelines ``multivariate_logrank_test`` does (groups in sorted order, the last
    one left out, pseudo-inverse) but from count arrays: lifelines builds per-group pandas
    survival tables, 0.2 s per test at 100,000 patients.  df = number of groups - 1.

    Stratified: O - E and its variance are computed within each stratum (risk sets never mix
    strata) and summed over the strata before the quadratic form, as survdiff does. A stratum with
    one patient, or with one group only, adds nothing (its O - E and variance are 0), as in R.

    A row with a missing time, event, group or stratum is left out, as R's default
    ``na.action = na.omit`` leaves it out (the pipeline labels a missing group before it tests).
    """
    from scipy import special  # imported when used: the figure processes import this module
    g, t = np.asarray(group), np.asarray(time, dtype=float)
    event_values = pd.to_numeric(pd.Series(np.asarray(event)), errors="coerce").to_numpy(float)
    complete = ~(pd.isna(g) | np.isnan(t) | np.isnan(event_values))
    if strata is not None:
        complete &= ~pd.isna(np.asarray(strata))
    if not complete.all():
        g, t, event_values = g[complete], t[complete], event_values[complete]
        strata = np.asarray(strata)[complete] if strata is not None else None
    # sorted levels as np.unique gives them, by hashing (np.unique sorts 100,000 Python strings: 0.1 s)
    codes, levels = pd.factorize(g, sort=True)
    k = levels.size
    if k < 2:
        raise ValueError("log-rank test needs at least two groups")
    e = event_values.astype(int)
    if strata is None:
        observed, expected, variance = logrank_sums(t, e, codes, k)
    else:
        stratum_codes = pd.factorize(np.asarray(strata), sort=True)[0]
        observed, expected, variance = np.zeros(k), np.zeros(k), np.zeros((k, k))
        for stratum in np.unique(stratum_codes):
            rows = stratum_codes == stratum
            o, x, v = logrank_sums(t[rows], e[rows], codes[rows], k)
            observed, expected, variance = observed + o, expected + x, variance + v
    z = observed - expected
    stat = float(z[:-1] @ np.linalg.pinv(variance[:-1, :-1]) @ z[:-1])
    return LogrankResult(chi2=stat, df=k - 1, p_value=float(special.chdtrc(k - 1, stat)))


def design_matrix(covariate: pd.Series) -> tuple[pd.DataFrame, str | None]:
    """Numeric covariates pass through; categorical/object/bool ones become 0/1 dummies.

    The reference level is the first level in sorted order (as R's default
    ``factor()`` levels for character data); returned as the second element.
    Dummy columns are named ``"<name><level>"`` like R's coefficient names.
    """
    name = str(covariate.name)
    if pd.api.types.is_numeric_dtype(covariate) and not pd.api.types.is_bool_dtype(covariate):
        return covariate.astype(float).to_frame(name), None
    levels = sorted(covariate.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    if isinstance(covariate.dtype, pd.CategoricalDtype) and covariate.cat.ordered:
        levels = [lv for lv in covariate.cat.categories if lv in set(levels)]
    cols = {f"{name}{lv}": (covariate == lv).astype(float).where(covariate.notna()) for lv in levels[1:]}
    return pd.DataFrame(cols, index=covariate.index), str(levels[0])


#: Newton-Raphson tolerances tighter than lifelines' defaults so that flat
#: likelihoods converge to the MLE that R's coxph (eps = 1e-9) prints.
FIT_OPTIONS: dict[str, float] = {"precision": 1e-10, "r_precision": 1e-14}


#: Designs with more distinct covariate rows than this go through lifelines' own per-row loop (a
#: continuous covariate has about one level per patient, where grouping by level saves nothing).
GROUPED_EFRON_MAX_LEVELS = 64


@dataclass(frozen=True)
class LevelCounts:
    """Risk-set and event counts per distinct event time and distinct covariate row ("level").

    ``levels`` (k, d): the distinct rows of the design matrix; ``at_risk`` (m, k): rows of each level
    with time >= t_j; ``events`` (m, k): events of each level at t_j, for the m distinct event times.
    """

    levels: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray


def level_counts(x: np.ndarray, time: np.ndarray, event: np.ndarray, max_levels: int) -> LevelCounts | None:
    """:class:`LevelCounts` of a design ``x`` (n, d); None when it has more than ``max_levels`` levels."""
    found = design_levels(x, max_levels)
    if found is None:
        return None
    levels, codes = found
    at_risk, events = counts_by_level(codes, len(levels), time, np.asarray(event, dtype=bool))
    return LevelCounts(levels=levels, at_risk=at_risk, events=events)


def design_levels(x: np.ndarray, max_levels: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(levels: the distinct rows of ``x``, codes: each row's level); None above ``max_levels`` levels."""
    if x.shape[1] == 1:  # one column (a binary covariate): the 1-d unique is ~10x faster than axis=0
        values, codes = np.unique(x[:, 0], return_inverse=True)
        levels = values[:, None]
    else:
        levels, codes = np.unique(x, axis=0, return_inverse=True)
    if len(levels) > max_levels:
        return None
    return levels, codes.ravel()


def counts_by_level(codes: np.ndarray, k: int, time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(at_risk, events), each (m, k): rows of each of the k levels with time >= t_j, and their events
    at t_j, for the m distinct event times t_j of these rows. O(k n log n)."""
    event_times = np.unique(time[event])
    at_risk = np.empty((event_times.size, k))
    events = np.empty((event_times.size, k))
    for g in range(k):
        in_level = codes == g
        level_times = np.sort(time[in_level])
        at_risk[:, g] = level_times.size - np.searchsorted(level_times, event_times, side="left")
        level_events = np.searchsorted(event_times, time[in_level & event])
        events[:, g] = np.bincount(level_events, minlength=event_times.size)
    return at_risk, events


def stratified_level_counts(x: np.ndarray, time: np.ndarray, event: np.ndarray, stratum: np.ndarray,
                            max_levels: int) -> LevelCounts | None:
    """:class:`LevelCounts` of a stratified model: one row per (stratum, event time), the risk set
    counted within the stratum. The Efron partial likelihood is a sum over these rows, each depending
    on its own risk set only, so :func:`grouped_efron_values` of the stacked counts is the stratified
    likelihood (R ``coxph(... + strata(s))``); a stratum without events adds no row, and a one-patient
    stratum a row that adds 0. None above ``max_levels`` levels."""
    found = design_levels(x, max_levels)
    if found is None:
        return None
    levels, codes = found
    event = np.asarray(event, dtype=bool)
    order = np.argsort(stratum, kind="stable")
    bounds = np.flatnonzero(np.r_[True, stratum[order][1:] != stratum[order][:-1], True])
    parts = [counts_by_level(codes[rows], len(levels), time[rows], event[rows])
             for rows in (order[a:b] for a, b in zip(bounds[:-1], bounds[1:]))]
    return LevelCounts(levels=levels, at_risk=np.vstack([a for a, _ in parts]),
                       events=np.vstack([e for _, e in parts]))


def has_finite_maximum(counts: LevelCounts) -> bool:
    """True when the partial likelihood of the levels has a finite maximum (no separation).

    Along a direction giving level g the score s_g the likelihood rises for ever exactly when every
    event's level scores at least as high as every level at risk then.  Draw an arc h -> g whenever
    a level g event happens while level h is at risk: such non-constant scores exist iff some levels
    cannot be reached from the others, so the maximum is finite iff the arcs connect every level to
    every other (strongly connected).  Without a finite maximum the estimate that lifelines prints
    (e.g. coef -23.6, se 78,556) depends on where rounding stops its iterations, so those fits keep
    lifelines' own arithmetic.
    """
    k = counts.levels.shape[0]
    if k < 2 or not np.all(np.isfinite(counts.levels)):
        return False
    arcs = ((counts.at_risk > 0).T.astype(int) @ (counts.events > 0).astype(int)) > 0  # arcs[h, g]
    for step in (arcs, arcs.T):  # every level reachable from level 0, and level 0 from every level
        seen = np.zeros(k, dtype=bool)
        seen[0] = True
        frontier = seen.copy()
        while frontier.any():
            frontier = step[frontier].any(axis=0) & ~seen
            seen |= frontier
        if not seen.all():
            return False
    return True


def efron_tie_fractions(n_tied: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the events of each event time in turn (``n_tied[j]`` >= 1 events at time j, contiguous):
    the index j of each event's time and its Efron fraction l / d (the l-th of d tied events, l from
    0), by which the tied events' share is taken out of its risk-set sums."""
    time_of = np.repeat(np.arange(n_tied.size), n_tied)
    rank_in_tie = np.arange(time_of.size) - np.repeat(np.cumsum(n_tied) - n_tied, n_tied)
    return time_of, rank_in_tie / n_tied[time_of]


def grouped_efron_values(counts: LevelCounts, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Hessian, gradient and log partial likelihood (Efron ties, unit weights) from level counts.

    The same sums as lifelines' ``CoxPHFitter._get_efron_values_single``, which walks the rows one
    by one in Python: every row of a level has the same risk score, so each risk-set sum is a
    (counts x per-level values) product, and the Efron term of the l-th of d tied events
    (``risk - l/d * tied``) is evaluated for all events at once.  O(k (n + m)) numpy instead of
    O(n) Python steps per Newton iteration.
    """
    x = counts.levels
    phi = np.exp(x @ beta)
    phi_x = phi[:, None] * x
    phi_xx = np.einsum("ka,kb->kab", x, phi_x)
    at_risk, events = counts.at_risk, counts.events
    risk_phi, tie_phi = at_risk @ phi, events @ phi
    risk_phi_x, tie_phi_x = at_risk @ phi_x, events @ phi_x
    x_death_sum = events.sum(axis=0) @ x

    n_tied = events.sum(axis=1).astype(int)  # >= 1: these are event times
    time_of, frac = efron_tie_fractions(n_tied)
    inv_denom = 1.0 / (risk_phi[time_of] - frac * tie_phi[time_of])
    summand = (risk_phi_x[time_of] - frac[:, None] * tie_phi_x[time_of]) * inv_denom[:, None]
    # sum over events of (risk_xx - frac * tie_xx) / denom, summed per time first (m x d x d is small)
    risk_weight = np.bincount(time_of, weights=inv_denom, minlength=n_tied.size)
    tie_weight = np.bincount(time_of, weights=frac * inv_denom, minlength=n_tied.size)
    a1 = np.einsum("m,mk,kab->ab", risk_weight, at_risk, phi_xx) - np.einsum("m,mk,kab->ab", tie_weight, events, phi_xx)
    a2 = summand.T @ summand
    gradient = x_death_sum - summand.sum(axis=0)
    log_lik = float(x_death_sum @ beta + np.log(inv_denom).sum())
    return a2 - a1, gradient, log_lik


def cox_estimates(df: pd.DataFrame) -> pd.DataFrame:
    """coef and se per design column of the Efron Cox model of ``df`` (_time, _event, design); see
    :func:`ino_study.statistics.cox_fit.cox_estimates` (imported when first fitted: it imports lifelines)."""
    from ino_study.statistics.cox_fit import cox_estimates as estimates

    return estimates(df)


def wald_hazard_ratio(b: float, se: float, conf_level: float) -> dict[str, float]:
    """hr = exp(b), its Wald interval exp(b -+ z se) and the two-sided Wald p value (R ``summary.coxph``)."""
    from scipy import special  # imported when used: the figure processes import this module

    z = two_sided_z(conf_level)
    return {"hr": float(np.exp(b)), "hr_ci_lower": float(np.exp(b - z * se)), "hr_ci_upper": float(np.exp(b + z * se)),
            "p_value": float(2 * special.ndtr(-abs(b / se)))}


def stratified_cox_estimates(df: pd.DataFrame) -> pd.DataFrame:
    """coef and se per design column of the stratified Efron Cox model of ``df`` (_time, _event,
    _stratum, design): R ``coxph(Surv(_time, _event) ~ . + strata(_stratum))``, a baseline hazard per
    stratum and risk sets within strata; a stratum of one patient adds nothing to the partial
    likelihood (its only risk set is itself), as in R. See
    :func:`ino_study.statistics.cox_fit.stratified_cox_estimates`."""
    from ino_study.statistics.cox_fit import stratified_cox_estimates as estimates

    return estimates(df)


def lifelines_stratified_cox_estimates(df: pd.DataFrame) -> pd.DataFrame:
    """The same from lifelines' public ``CoxPHFitter(strata=...)`` (per-row Python: 13 s CPU at a million rows)."""
    from lifelines import CoxPHFitter  # imported when used: it takes 0.45 s to import

    summary = CoxPHFitter(strata=["_stratum"]).fit(df, duration_col="_time", event_col="_event",
                                                   fit_options=dict(FIT_OPTIONS)).summary
    return pd.DataFrame({"coef": summary["coef"], "se": summary["se(coef)"]})


def cox_univariable(
    time: ArrayLike, event: ArrayLike, covariate_frame: pd.DataFrame, conf_level: float = 0.95,
    strata: ArrayLike | None = None,
) -> pd.DataFrame:
    """One Cox model per column of ``covariate_frame``; mirrors R ``summary(coxph(Surv(time, event) ~ x))``,
    and with ``strata`` (one label per row) ``coxph(Surv(time, event) ~ x + strata(s))``.

    Efron ties (lifelines and R default).  ``p_value`` is the Wald test,
    ``hr_ci_*`` are ``exp(coef -/+ z * se)``.  Rows with a missing covariate (or stratum)
    are dropped per model (R ``na.omit``); ``n``/``n_events`` count the rows
    used.  Categorical covariates give one row per non-reference level, the
    reference (first sorted level) is reported in ``reference``.
    """
    base = pd.DataFrame({"_time": np.asarray(time, float), "_event": np.asarray(event, int)},
                        index=covariate_frame.index)
    if strata is not None:
        labels = pd.Series(np.asarray(strata, dtype=object), index=covariate_frame.index)
        base["_stratum"] = pd.Series(pd.factorize(labels, sort=True)[0], index=labels.index).where(labels.notna())
    rows = []
    for col in covariate_frame.columns:
        x, ref = design_matrix(covariate_frame[col])
        df = pd.concat([base, x], axis=1).dropna()
        s = cox_estimates(df) if strata is None else stratified_cox_estimates(df)
        for cov in x.columns:
            b, se = float(s.loc[cov, "coef"]), float(s.loc[cov, "se"])
            rows.append({
                "covariate": cov, "coef": b, "se": se, **wald_hazard_ratio(b, se, conf_level), "n": len(df),
                "n_events": int(df["_event"].sum()), "reference": ref,
            })
    return pd.DataFrame(rows, columns=COX_COLUMNS)


def ph_test(
    time: ArrayLike, event: ArrayLike, covariate_frame: pd.DataFrame, transform: str = "rank",
    coefficients: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Proportional-hazards test of one multivariable Cox model: R ``cox.zph(coxph(...), transform)``.

    Rows with a missing covariate are dropped (R ``na.omit``); each column of ``covariate_frame`` is one
    model term (a categorical one as its dummies, tested together with as many degrees of freedom).
    Returns one row per model column (``covariate``, as in :func:`cox_univariable`) with its term's
    ``statistic`` (chi-square), ``df`` and ``p_value``; the global test is not repeated here.
    ``coefficients``: the model's fitted coefficients by model column, when the caller has fitted it
    already (:func:`cox_univariable`'s ``coef``); else the model is fitted here.
    """
    from ino_study.statistics.proportional_hazards import cox_zph

    base = pd.DataFrame({"_time": np.asarray(time, float), "_event": np.asarray(event, int)},
                        index=covariate_frame.index)
    parts = {column: design_matrix(covariate_frame[column])[0] for column in covariate_frame.columns}
    df = pd.concat([base, *parts.values()], axis=1).dropna()
    x = df.drop(columns=["_time", "_event"])
    if coefficients is None:
        coefficients = cox_estimates(df)["coef"].to_dict()
    beta = np.array([coefficients[column] for column in x.columns], dtype=float)
    terms = {str(column): list(part.columns) for column, part in parts.items()}
    table = cox_zph(df["_time"], df["_event"], x, beta, terms, transform).set_index("term")
    rows = [{"covariate": str(c), "term": term, "statistic": table.at[term, "chisq"], "df": int(table.at[term, "df"]),
             "p_value": table.at[term, "p_value"]} for term, columns in terms.items() for c in columns]
    return pd.DataFrame(rows, columns=["covariate", "term", "statistic", "df", "p_value"])


def events_per_variable_warning(n_events: int, n_parameters: int, minimum: float = 10) -> str | None:
    """Warning text when events per model parameter < ``minimum`` (Peduzzi et al. 1996); else None."""
    if n_parameters <= 0:
        return None
    epv = n_events / n_parameters
    if epv < minimum:
        return (f"Only {n_events} events for {n_parameters} parameter(s) "
                f"({epv:.1f} events per variable < {minimum:g}): estimates may be unreliable.")
    return None


def landmark(
    time: ArrayLike, event: ArrayLike, landmark_time: float, status_at_landmark: ArrayLike | None = None
) -> pd.DataFrame:
    """Landmark data set: patients with follow-up beyond ``landmark_time``, time reset to it.

    Keeps rows with ``time > landmark_time`` (alive and uncensored at the
    landmark; an event or censoring exactly at the landmark is excluded, as
    in ``subset(data, time > L)``).  ``status_at_landmark`` (e.g. response or
    HSCT by the landmark) is carried along as the ``group`` column.  Returns
    columns ``index`` (original position), ``time``, ``event``, ``group``.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=int)
    g = np.full(t.shape, np.nan) if status_at_landmark is None else np.asarray(status_at_landmark)
    keep = t > landmark_time
    return pd.DataFrame({
        "index": np.flatnonzero(keep), "time": t[keep] - landmark_time, "event": e[keep], "group": g[keep],
    }).reset_index(drop=True)


def split_at_exposure(
    ids: ArrayLike, time: ArrayLike, event: ArrayLike, exposure_time: ArrayLike
) -> pd.DataFrame:
    """Counting-process rows for a binary time-varying exposure (R ``tmerge(..., tdc(exposure_time))``).

    A patient exposed at ``s`` with ``0 < s < time`` gets rows ``(0, s]``
    with exposed = 0 and event = 0 and ``(s, time]`` with exposed = 1 and the
    original event.  Exposure at time 0 (or earlier) gives one exposed row;
    missing exposure or exposure at/after ``time`` gives one unexposed row.
    Columns: id, start, stop, event, exposed.
    """
    columns = ["id", "start", "stop", "event", "exposed"]
    ids = np.asarray(ids)
    t, e, s = np.asarray(time, float), np.asarray(event, int), np.asarray(exposure_time, float)
    if t.size == 0:
        return pd.DataFrame([], columns=columns)  # as the row-by-row construction gave (object columns)
    unexposed = np.isnan(s) | (s >= t)
    exposed_from_start = ~unexposed & (s <= 0)
    split = ~unexposed & ~exposed_from_start
    # vectorised: one output row per patient, two for a split patient (at most 200,000 rows)
    source = np.repeat(np.arange(t.size), np.where(split, 2, 1))
    second = np.zeros(source.size, dtype=bool)  # the (s, time] row of a split patient
    second[np.cumsum(np.where(split, 2, 1))[split] - 1] = True
    first_of_split = split[source] & ~second
    return pd.DataFrame({
        "id": ids[source],
        "start": np.where(second, s[source], 0.0),
        "stop": np.where(first_of_split, s[source], t[source]),
        "event": np.where(first_of_split, 0, e[source]),
        "exposed": np.where(second | exposed_from_start[source], 1, 0),
    }, columns=columns)


def cox_time_varying(
    start: ArrayLike, stop: ArrayLike, event: ArrayLike, covariate: ArrayLike,
    ids: ArrayLike | None = None, conf_level: float = 0.95,
) -> pd.DataFrame:
    """Cox model with one time-varying covariate; mirrors ``coxph(Surv(start, stop, event) ~ x)``.

    lifelines ``CoxTimeVaryingFitter`` (Efron ties).  Returns one row with
    coef, se, hr, hr_ci_lower, hr_ci_upper, p_value (Wald), n (rows),
    n_events.
    """
    n = len(np.asarray(start))
    df = pd.DataFrame({
        "id": np.arange(n) if ids is None else np.asarray(ids), "start": np.asarray(start, float),
        "stop": np.asarray(stop, float), "event": np.asarray(event, int), "x": np.asarray(covariate, float),
    })
    from lifelines import CoxTimeVaryingFitter

    s = CoxTimeVaryingFitter().fit(df, event_col="event", start_col="start", stop_col="stop",
                                   id_col="id", fit_options=dict(FIT_OPTIONS)).summary
    b, se = float(s.loc["x", "coef"]), float(s.loc["x", "se(coef)"])
    return pd.DataFrame([{
        "coef": b, "se": se, **wald_hazard_ratio(b, se, conf_level),
        "n": n, "n_events": int(df["event"].sum()),
    }])
