"""Validation of ino_study.statistics.kaplan_meier against published R output.

Data: Freireich et al. (1963) 6-MP remission trial (R: MASS::gehan, lifelines
``load_leukemia`` / Kleinbaum & Klein).  Reference sources, named per test:

[R-6MP-log]  R output of ``summary(survfit(Surv(t, Status) ~ Group))`` on the
             Freireich data (default conf.type = "log"), printed in the public
             R-markdown "Pembahasan Contoh Soal" (Group=1 is 6-MP, Group=2
             placebo); the 6-MP half is also printed identically in a second
             public course note using KMsurv::drug6mp
             ``summary(survfit(Surv(t2, relapse) ~ 1, data=drug6mp))``.
[FORMULA]    Values computed by hand (exact fractions in this file) from the
             definitions in R ``survival:::survfit_confint`` (survival 3.x,
             R/survfit.R) and Klein & Moeschberger (2003) eqs. 4.3.1-4.3.3;
             these are checks against the definition, not published printout.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from ino_study.statistics.kaplan_meier import (
    confint,
    km_at,
    km_fit,
    km_median,
    km_quantile,
    median_follow_up,
    risk_table,
)

SIX_MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
PLACEBO_EVENT = [1] * 21

# [R-6MP-log]: time, n.risk, n.event, survival, std.err, lower 95% CI, upper 95% CI
R_6MP_LOG = [
    (6, 21, 3, 0.857, 0.0764, 0.720, 1.000),
    (7, 17, 1, 0.807, 0.0869, 0.653, 0.996),
    (10, 15, 1, 0.753, 0.0963, 0.586, 0.968),
    (13, 12, 1, 0.690, 0.1068, 0.510, 0.935),
    (16, 11, 1, 0.627, 0.1141, 0.439, 0.896),
    (22, 7, 1, 0.538, 0.1282, 0.337, 0.858),
    (23, 6, 1, 0.448, 0.1346, 0.249, 0.807),
]
# [R-6MP-log] placebo arm (survival printed to 4 dp, lower CI to 5 significant digits)
R_PLACEBO_LOG = [
    (1, 21, 2, 0.9048, 0.0641, 0.78754, 1.000),
    (2, 19, 2, 0.8095, 0.0857, 0.65785, 0.996),
    (3, 17, 1, 0.7619, 0.0929, 0.59988, 0.968),
    (4, 16, 2, 0.6667, 0.1029, 0.49268, 0.902),
    (5, 14, 2, 0.5714, 0.1080, 0.39455, 0.828),
    (8, 12, 4, 0.3810, 0.1060, 0.22085, 0.657),
    (11, 8, 2, 0.2857, 0.0986, 0.14529, 0.562),
    (12, 6, 2, 0.1905, 0.0857, 0.07887, 0.460),
    (15, 4, 1, 0.1429, 0.0764, 0.05011, 0.407),
    (17, 3, 1, 0.0952, 0.0641, 0.02549, 0.356),
    (22, 2, 1, 0.0476, 0.0465, 0.00703, 0.322),
]


def _event_rows(fit):
    return fit.table[fit.table["n_event"] > 0].reset_index(drop=True)


@pytest.mark.parametrize("row", R_6MP_LOG)
def test_6mp_log_ci_matches_published_r_output(row):
    """Source [R-6MP-log]; tolerance = half a unit in the last printed digit."""
    t, n, d, s, se, lo, up = row
    tab = _event_rows(km_fit(SIX_MP_TIME, SIX_MP_EVENT, conf_type="log")).set_index("time")
    r = tab.loc[t]
    assert r["n_risk"] == n and r["n_event"] == d
    assert r["survival"] == pytest.approx(s, abs=5e-4)
    assert r["std_err"] == pytest.approx(se, abs=5e-5)
    assert r["ci_lower"] == pytest.approx(lo, abs=5e-4)
    assert r["ci_upper"] == pytest.approx(up, abs=5e-4)


@pytest.mark.parametrize("row", R_PLACEBO_LOG)
def test_placebo_log_ci_matches_published_r_output(row):
    """Source [R-6MP-log], Group=2."""
    t, n, d, s, se, lo, up = row
    tab = km_fit(PLACEBO_TIME, PLACEBO_EVENT, conf_type="log").table.set_index("time")
    r = tab.loc[t]
    assert (r["n_risk"], r["n_event"]) == (n, d)
    assert r["survival"] == pytest.approx(s, abs=5e-5)
    assert r["std_err"] == pytest.approx(se, abs=5e-5)
    assert r["ci_lower"] == pytest.approx(lo, abs=5e-6)
    assert r["ci_upper"] == pytest.approx(up, abs=5e-4)


def test_placebo_last_row_s_zero_is_nan_like_r():
    """Source [R-6MP-log]: R prints ``23 1 1 0.0000 NaN NA NA`` (n == d at the last time)."""
    r = km_fit(PLACEBO_TIME, PLACEBO_EVENT, conf_type="log").table.iloc[-1]
    assert r["time"] == 23 and r["survival"] == 0.0
    assert math.isnan(r["std_err"]) and math.isnan(r["ci_lower"]) and math.isnan(r["ci_upper"])
    for ct in ("plain", "log-log"):
        r = km_fit(PLACEBO_TIME, PLACEBO_EVENT, conf_type=ct).table.iloc[-1]
        assert math.isnan(r["ci_lower"]) and math.isnan(r["ci_upper"])


def test_censored_rows_present_like_summary_censored_true():
    """R summary(..., censored=TRUE) lists every distinct time; 6-MP has 16 distinct times."""
    tab = km_fit(SIX_MP_TIME, SIX_MP_EVENT).table
    assert tab["time"].tolist() == [6, 7, 9, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 34, 35]
    assert tab["n_censor"].tolist() == [1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 2, 1, 1]
    # a censoring row carries the survival of the previous event row
    assert tab.set_index("time").loc[9, "survival"] == tab.set_index("time").loc[7, "survival"]


# ---------------------------------------------------------------- [FORMULA] plain and log-log

def _exact_6mp():
    """Exact KM and Greenwood sums at 6-MP event times (hand-tabulated risk sets)."""
    steps = [(6, 21, 3), (7, 17, 1), (10, 15, 1), (13, 12, 1), (16, 11, 1), (22, 7, 1), (23, 6, 1)]
    s, v, out = Fraction(1), Fraction(0), []
    for t, n, d in steps:
        s *= Fraction(n - d, n)
        v += Fraction(d, n * (n - d))
        out.append((t, float(s), math.sqrt(float(v))))
    return out


# Hand-computed by [FORMULA] to 3 dp: (time, plain lower, plain upper, log-log lower, log-log upper).
# plain: S -/+ 1.96 * S * sigma clipped to [0, 1];
# log-log (R): exp(-exp(log(-log S) -/+ 1.96 * sigma / log S)), sigma = sqrt(sum d/(n(n-d))).
FORMULA_6MP = [
    (6, 0.707, 1.000, 0.620, 0.952),
    (7, 0.636, 0.977, 0.563, 0.923),
    (10, 0.564, 0.942, 0.503, 0.889),
    (13, 0.481, 0.900, 0.432, 0.849),
    (16, 0.404, 0.851, 0.368, 0.805),
    (22, 0.286, 0.789, 0.268, 0.747),
    (23, 0.184, 0.712, 0.188, 0.680),
]


def test_formula_table_is_consistent_with_definition():
    """Guards the hand-typed FORMULA_6MP numbers against the exact-fraction definition."""
    z = norm.ppf(0.975)
    for (t, s, sig), (t2, pl, pu, ll, lu) in zip(_exact_6mp(), FORMULA_6MP):
        assert t == t2
        assert max(s - z * s * sig, 0) == pytest.approx(pl, abs=5e-4)
        assert min(s + z * s * sig, 1) == pytest.approx(pu, abs=5e-4)
        assert math.exp(-math.exp(math.log(-math.log(s)) - z * sig / math.log(s))) == pytest.approx(ll, abs=5e-4)
        assert math.exp(-math.exp(math.log(-math.log(s)) + z * sig / math.log(s))) == pytest.approx(lu, abs=5e-4)


@pytest.mark.parametrize("row", FORMULA_6MP)
def test_6mp_plain_and_loglog_ci(row):
    """[FORMULA]; R command: summary(survfit(Surv(time, cens) ~ 1, data = gehan[gehan$treat == "6-MP", ],
    conf.type = "plain" / "log-log")).  Note MASS's ?gehan example uses conf.type = "log-log"."""
    t, pl, pu, ll, lu = row
    plain = _event_rows(km_fit(SIX_MP_TIME, SIX_MP_EVENT, conf_type="plain")).set_index("time").loc[t]
    loglog = _event_rows(km_fit(SIX_MP_TIME, SIX_MP_EVENT, conf_type="log-log")).set_index("time").loc[t]
    assert (plain["ci_lower"], plain["ci_upper"]) == pytest.approx((pl, pu), abs=5e-4)
    assert (loglog["ci_lower"], loglog["ci_upper"]) == pytest.approx((ll, lu), abs=5e-4)
    assert loglog["ci_lower"] < loglog["survival"] < loglog["ci_upper"]


# ---------------------------------------------------------------- median (print.survfit)

def test_6mp_median_log_ci():
    """R print(survfit(Surv(time, cens) ~ treat, data = gehan)) (log CI): 6-MP median 23, 0.95LCL 16,
    0.95UCL NA; placebo median 8, CI 4-12 (values given in the brief, reproduced by hand: the log lower
    curve is 0.4394 < 0.5 first at t = 16; the upper curve never drops below 0.5)."""
    assert km_median(km_fit(SIX_MP_TIME, SIX_MP_EVENT, conf_type="log")) == pytest.approx(
        (23, 16, np.nan), nan_ok=True
    )
    assert km_median(km_fit(PLACEBO_TIME, PLACEBO_EVENT, conf_type="log")) == (8, 4, 12)


def test_median_by_hand_plain_and_loglog():
    """[FORMULA] quantile.survfit rule applied to the FORMULA_6MP curves: plain lower curve first < 0.5 at
    13 (0.481); log-log lower curve first < 0.5 at 13 (0.432); upper curves never < 0.5."""
    for ct in ("plain", "log-log"):
        med = km_median(km_fit(SIX_MP_TIME, SIX_MP_EVENT, conf_type=ct))
        assert med == pytest.approx((23, 13, np.nan), nan_ok=True)


def test_median_flat_segment_midpoint_rule():
    """R ?quantile.survfit: if S equals 0.5 exactly over an interval, the median is its mid-point.
    times 1..4 all events: S = .75, .5, .25, 0 -> median = (2 + 3) / 2 = 2.5 (R gives 2.5)."""
    assert km_median(km_fit([1, 2, 3, 4], [1, 1, 1, 1]))[0] == 2.5


def test_median_flat_at_end_uses_last_follow_up():
    """findq 'end of the curve' rule: S = 0.5 after t = 2 with censorings to 10 -> (2 + 10) / 2 = 6."""
    assert km_median(km_fit([1, 2, 5, 10], [1, 1, 0, 0]))[0] == 6.0


def test_median_not_reached():
    assert math.isnan(km_median(km_fit([1, 2, 3, 4], [1, 0, 0, 0]))[0])


def test_quantile_25():
    """Placebo: 1 - S first exceeds 0.25 at t = 4 (S(3) = .762, S(4) = .667)."""
    assert km_quantile(km_fit(PLACEBO_TIME, PLACEBO_EVENT), 0.25)[0] == 4


# ---------------------------------------------------------------- km_at / risk_table

def test_km_at_values_and_counts():
    fit = km_fit(SIX_MP_TIME, SIX_MP_EVENT, conf_type="log")
    out = km_at(fit, [0, 5.9, 6, 8, 12, 23, 35, 36]).set_index("time")
    # R summary(fit, times = c(0, 6, 12)): n.risk 21, 21, 12; surv 1, 0.857, 0.753  ([R-6MP-log] rows)
    assert out.loc[0, "survival"] == 1.0 and out.loc[0, "n_risk"] == 21 and out.loc[0, "std_err"] == 0
    assert out.loc[6, "n_risk"] == 21 and out.loc[6, "survival"] == pytest.approx(0.857, abs=5e-4)
    assert out.loc[12, "n_risk"] == 12 and out.loc[12, "survival"] == pytest.approx(0.753, abs=5e-4)
    assert out.loc[12, "ci_lower"] == pytest.approx(0.586, abs=5e-4)
    assert out.loc[8, "n_event_cumulative"] == 4 and out.loc[8, "n_censor_cumulative"] == 1
    assert out.loc[35, "survival"] == pytest.approx(0.448, abs=5e-4) and out.loc[35, "n_risk"] == 1
    assert math.isnan(out.loc[36, "survival"]) and out.loc[36, "n_risk"] == 0  # documented: NaN beyond
    assert out.loc[36, "n_event_cumulative"] == 9 and out.loc[36, "n_censor_cumulative"] == 12


def test_risk_table():
    rt = risk_table(PLACEBO_TIME, PLACEBO_EVENT, [0, 5, 10, 20, 30])
    assert list(rt.columns) == ["time", "n_risk", "n_event_cumulative", "n_censor_cumulative"]
    assert rt["n_risk"].tolist() == [21, 14, 8, 2, 0]
    assert rt["n_event_cumulative"].tolist() == [0, 9, 13, 19, 21]


# ---------------------------------------------------------------- study cohort check

def _cohort():
    """17 patients; deaths at months 1..9 with risk sets 17,15,14,13,12,10,9,8,6; 3 censored between;
    5 alive beyond 12 months."""
    time = [1, 1.5, 2, 3, 4, 5, 5.5, 6, 7, 8, 8.5, 9] + [12.5, 14, 20, 24, 30]
    event = [1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1] + [0] * 5
    return time, event


def test_cohort_12_month_plain_ci():
    """The reproduced study reports KM at 12 months 0.4026, 95% CI 0.148-0.657 (plain Greenwood)."""
    time, event = _cohort()
    fit = km_fit(time, event, conf_type="plain")
    assert fit.table[fit.table.n_event > 0]["n_risk"].tolist() == [17, 15, 14, 13, 12, 10, 9, 8, 6]
    r = km_at(fit, [12]).iloc[0]
    assert r["survival"] == pytest.approx(0.4026, abs=5e-5)
    assert (r["ci_lower"], r["ci_upper"]) == pytest.approx((0.148, 0.657), abs=5e-4)


def test_cohort_12_month_log_ci_differs():
    """[FORMULA] log CI: 0.4026 * exp(-/+ 1.96 * 0.32266) = 0.214-0.758 (differs from the plain CI)."""
    time, event = _cohort()
    r = km_at(km_fit(time, event, conf_type="log"), [12]).iloc[0]
    assert (r["ci_lower"], r["ci_upper"]) == pytest.approx((0.214, 0.758), abs=5e-4)


# ---------------------------------------------------------------- edge cases

def test_all_censored():
    tab = km_fit([3, 5, 7], [0, 0, 0], conf_type="log-log").table
    assert (tab["survival"] == 1).all() and (tab["std_err"] == 0).all()
    # R survfit_confint: se == 0 -> limits equal p
    assert (tab["ci_lower"] == 1).all() and (tab["ci_upper"] == 1).all()
    assert math.isnan(km_median(km_fit([3, 5, 7], [0, 0, 0]))[0])


def test_one_patient_with_event():
    tab = km_fit([4], [1]).table
    assert tab["survival"].tolist() == [0.0] and math.isnan(tab["std_err"].iloc[0])
    # S drops from 1 to 0 at t = 4 -> median 4 (R: print(survfit(Surv(4, 1) ~ 1)) median 4)
    assert km_median(km_fit([4], [1]))[0] == 4


def test_death_at_time_zero():
    tab = km_fit([0, 2, 3], [1, 0, 1]).table
    assert tab["time"].tolist() == [0, 2, 3]
    assert tab["survival"].iloc[0] == pytest.approx(2 / 3)


def test_event_and_censoring_tied_events_first():
    """Censored at t are at risk at t (R survfitkm.c counts n.risk as time >= t)."""
    tab = km_fit([2, 2, 3, 4], [1, 0, 1, 0]).table
    assert tab.iloc[0]["n_risk"] == 4 and tab.iloc[0]["survival"] == pytest.approx(0.75)
    assert tab.iloc[1]["n_risk"] == 2 and tab.iloc[1]["survival"] == pytest.approx(0.375)


def test_s_reaches_zero_with_tied_censoring():
    """Last death tied with a censoring: n = 2, d = 1 at t=3 then n = d = 1 at 5."""
    tab = km_fit([1, 3, 3, 5], [1, 1, 0, 1], conf_type="plain").table
    assert tab["survival"].iloc[-1] == 0 and math.isnan(tab["std_err"].iloc[-1])
    out = km_at(km_fit([1, 3, 3, 5], [1, 1, 0, 1]), [4, 5, 6])
    assert out["survival"].iloc[1] == 0 and math.isnan(out["survival"].iloc[2])


def test_median_follow_up_reverse_km():
    """Reverse KM on 6-MP, by hand: censorings become events at 6,9,10,11,17,19,20,25,32(x2),34,35 with
    risk sets 21,16,15,13,10,9,8,5,4,2,1 (tied deaths at 6 and 10 stay at risk).  S_c = 20/21, x15/16,
    x14/15, x12/13, x9/10, x8/9, x7/8 = 0.538 at 20, x4/5 = 0.431 at 25 -> median follow-up 25 weeks."""
    med, lo, up = median_follow_up(SIX_MP_TIME, SIX_MP_EVENT)
    assert med == 25
    assert lo <= med


def test_median_follow_up_interval_at_the_requested_level_and_type():
    """By hand: five patients censored at 1..5, so the reverse KM has 'events' at each: S = 0.8, 0.6, 0.4,
    0.2, 0, Greenwood sums 1/20, 2/15, 3/10, 4/5 (infinite at S = 0: R's band is NA there), se = S sqrt(sum)
    = 0.1789, 0.2191, 0.2191, 0.1789; median 3. The interval ends are the first times each band is <= 0.5.
    Plain 95% (z 1.96): lower band 0.449 at 1 -> 1; the upper band stays above 0.5 -> NA.
    Plain 50% (z 0.6745): lower band 0.679, 0.452 -> 2; upper band 0.548 at 3, 0.321 at 4 -> 4.
    Log 95%: lower band 0.8 exp(-1.96 sqrt(1/20)) = 0.516, 0.6 exp(-1.96 sqrt(2/15)) = 0.293 -> 2."""
    censored = ([1, 2, 3, 4, 5], [0, 0, 0, 0, 0])
    med, lo, up = median_follow_up(*censored, conf_level=0.95, conf_type="plain")
    assert (med, lo) == (3, 1) and math.isnan(up)
    assert median_follow_up(*censored, conf_level=0.5, conf_type="plain") == (3, 2, 4)
    med, lo, up = median_follow_up(*censored, conf_level=0.95, conf_type="log")
    assert (med, lo) == (3, 2) and math.isnan(up)


def test_bad_inputs():
    with pytest.raises(ValueError):
        km_fit([1, 2], [1, 2])
    with pytest.raises(ValueError):
        km_fit([1, 2], [1], conf_type="plain")
    with pytest.raises(ValueError):
        km_fit([1, 2], [1, 0], conf_type="arcsin")
    assert isinstance(km_fit(np.array([1.0, 2.0]), np.array([True, False])).table, pd.DataFrame)


@pytest.mark.parametrize("p, tabulated", [
    # Abramowitz & Stegun (1964), Handbook of Mathematical Functions, Table 26.5 (percentage points
    # of the normal distribution), Q(x) = 0.05, 0.025, 0.005, 0.0005: x to 9 decimals.
    (0.95, 1.644853627), (0.975, 1.959963985), (0.995, 2.575829304), (0.9995, 3.290526731),
])
def test_normal_quantile_matches_the_tabulated_percentage_points(p, tabulated):
    from ino_study.statistics.kaplan_meier import normal_quantile

    assert normal_quantile(p) == pytest.approx(tabulated, abs=5e-10)
    assert normal_quantile(p) == pytest.approx(norm.ppf(p), rel=1e-15)  # scipy: another implementation


# ---------------------------------------------------------------- confint: R survfit_confint's edge rules

def test_confint_defaults_are_plain_95():
    """[FORMULA] plain: p -/+ 1.959964 * se_log * p; p = 0.5, se_log = 0.2 -> 0.5 -/+ 0.195996."""
    lower, upper = confint([0.5], [0.2])
    assert (lower[0], upper[0]) == pytest.approx((0.5 - 0.1959964, 0.5 + 0.1959964), abs=1e-7)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5])
def test_confint_refuses_a_level_outside_0_1(level):
    with pytest.raises(ValueError, match=r"^conf_level must be in \(0, 1\)$"):
        confint([0.5], [0.2], level)


def test_confint_refuses_an_unknown_type():
    with pytest.raises(ValueError, match="conf_type must be one of"):
        confint([0.5], [0.2], 0.95, "logit")


@pytest.mark.parametrize("conf_type", ["log", "log-log"])
def test_confint_zero_se_gives_p_itself_even_at_0(conf_type):
    """R survfit_confint: where se == 0 the log and log-log limits are p, also at p = 0 (where the
    log would otherwise be NaN)."""
    lower, upper = confint([0.0, 0.3], [0.0, 0.0], 0.95, conf_type)
    assert lower.tolist() == [0.0, 0.3] and upper.tolist() == [0.0, 0.3]


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_confint_log_log_is_nan_at_0_and_1_with_positive_se(p):
    """R survfit_confint (log-log): p in {0, 1} with se > 0 -> NaN limits."""
    lower, upper = confint([p], [0.1], 0.95, "log-log")
    assert math.isnan(lower[0]) and math.isnan(upper[0])


@pytest.mark.parametrize(("time", "event", "message"), [
    ([1.0, 2.0], [1], "time and event must be 1-d arrays of equal length"),
    ([[1.0]], [[1]], "time and event must be 1-d arrays of equal length"),
    ([1.0, math.nan], [1, 0], "time contains missing values"),
    ([1.0, 2.0], [1, 2], r"event must be coded 0/1 \(or boolean\)"),
    ([1.0, 2.0], [1, 0.5], r"event must be coded 0/1 \(or boolean\)"),
    ([-1.0, 2.0], [1, 0], "negative survival times"),
])
def test_km_bad_input_says_what_is_wrong(time, event, message):
    with pytest.raises(ValueError, match=f"^{message}$"):  # the whole message, nothing around it
        km_fit(time, event)


def test_km_boolean_events_are_events():
    """Events given as booleans count as 1/0: S(1) = 1/2, S(2) = 1/2 (censored), as with 1/0."""
    tab = km_fit([1.0, 2.0], [True, False]).table
    assert tab["n_event"].tolist() == [1, 0] and tab["survival"].tolist() == [0.5, 0.5]


# ---------------------------------------------------------------- more of the documented behaviour

def test_counts_are_integers_and_times_floats():
    """Counts are whole numbers (tables print 3, not 3.0); times come back as floats whatever the request."""
    fit = km_fit(SIX_MP_TIME, SIX_MP_EVENT)
    for column in ("n_risk", "n_event", "n_censor"):
        assert fit.table[column].dtype.kind == "i", column
    out = km_at(fit, [0, 6, 12])  # integer request times
    assert out["time"].dtype.kind == "f"
    for column in ("n_risk", "n_event_cumulative", "n_censor_cumulative"):
        assert out[column].dtype.kind == "i", column
    assert km_at(fit, [])["n_risk"].dtype.kind == "i"  # an empty request: no rows, still integer counts


def test_risk_table_censorings_start_at_zero():
    """6-MP by hand: nobody is censored before t = 6; censorings at 6, 9, 10, 11 -> 4 by t = 12."""
    rt = risk_table(SIX_MP_TIME, SIX_MP_EVENT, [0, 5, 6, 12])
    assert rt["n_censor_cumulative"].tolist() == [0, 0, 1, 4]
    assert rt["n_event_cumulative"].tolist() == [0, 0, 3, 5]


def test_log_scale_std_err_is_r_fit_std_err():
    """[R-6MP-log] R's fit$std.err is the printed std.err divided by survival: 0.0764 / 0.857 = 0.0891 at t = 6;
    by hand sqrt(3 / (21 * 18)) = 0.08909 (Greenwood sum on the cumulative-hazard scale)."""
    fit = km_fit(SIX_MP_TIME, SIX_MP_EVENT, conf_level=0.9, conf_type="log")
    first = fit.table.iloc[0]
    assert first["std_err_log"] == pytest.approx(math.sqrt(3 / (21 * 18)), rel=1e-12)
    assert first["std_err_log"] == pytest.approx(0.0764 / 0.857, abs=5e-4)
    assert (fit.conf_level, fit.conf_type, fit.n) == (0.9, "log", 21)


def test_fit_where_everyone_dies_warns_nothing():
    """n == d at the last time: the infinite SE and the NaN SE of S = 0 are R's values, not warnings."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tab = km_fit(PLACEBO_TIME, PLACEBO_EVENT).table
    assert math.isinf(tab["std_err_log"].iloc[-1]) and math.isnan(tab["std_err"].iloc[-1])


def test_km_at_on_a_fit_without_data_is_nan():
    """Documented: beyond the last follow-up time S is NaN; a fit with no rows has no follow-up at all."""
    from ino_study.statistics.kaplan_meier import TABLE_COLUMNS, KMFit

    empty = KMFit(table=pd.DataFrame({c: np.array([], dtype=float) for c in TABLE_COLUMNS}), n=0,
                  conf_level=0.95, conf_type="plain")
    out = km_at(empty, [0.0, 5.0, 7.0])
    assert out["survival"].isna().all() and out["ci_lower"].isna().all()
    assert out["n_risk"].tolist() == [0, 0, 0]


def test_quantile_default_is_the_median_and_quantile_0_is_the_start():
    """R ?quantile.survfit: default probs include 0.5; times 1..4 all events -> median 2.5 (flat-segment
    mid-point).  findq: the 0 quantile is the curve's first x, the start time 0 (for all three curves)."""
    fit = km_fit([1, 2, 3, 4], [1, 1, 1, 1])
    assert km_quantile(fit)[0] == 2.5
    assert km_quantile(km_fit(SIX_MP_TIME, SIX_MP_EVENT, conf_type="log"), 0.0) == (0.0, 0.0, 0.0)


def test_r_approx_constant_right_is_rs_approx():
    """R: approx(x, y, v, method = "constant", f = 1, rule = 1, ties = mean), by hand:
    pairs with NA are dropped (c(1, 2, 3), c(10, NA, 30) at 2 -> 30, the value to the right);
    ends are inside the range (c(1, 2), c(10, 20) at 1 -> 10, at 2 -> 20), outside is NA;
    tied x are averaged (c(1, 1, 2), c(1, 3, 5) at 1 -> 2); one point is its own value; no points -> NA."""
    from ino_study.statistics.kaplan_meier import _r_approx_constant_right as approx

    a = np.array
    assert approx(a([1.0, 2.0, 3.0]), a([10.0, np.nan, 30.0]), 2.0) == 30.0
    assert approx(a([1.0, 2.0]), a([10.0, 20.0]), 1.0) == 10.0
    assert approx(a([1.0, 2.0]), a([10.0, 20.0]), 2.0) == 20.0
    assert math.isnan(approx(a([1.0, 2.0]), a([10.0, 20.0]), 2.5))
    assert approx(a([1.0, 1.0, 2.0]), a([1.0, 3.0, 5.0]), 1.0) == 2.0
    assert approx(a([5.0]), a([7.0]), 5.0) == 7.0
    assert math.isnan(approx(a([np.nan]), a([1.0]), 1.0))


def test_findq_edges_as_r():
    """survival:::findq (quantile.survfit), by hand, tol = 2^-26:
    * max(y) < p, however close -> NA (y ends at p - tol / 2);
    * all y NA -> NA, without a warning;
    * y[n] within tol of p -> (x[i1] + max(x)) / 2, judged on the LAST y (a NA earlier changes nothing):
      x 0, 1, 2 and y 0, NA, 0.5 -> (2 + 2) / 2 = 2;
    * |p - y[n]| exactly tol is not "within": x 0..3, y 0, .25, .5 + tol, .5 + tol -> both i1 and i2 are the
      third point, 2 (the end rule would give (2 + 3) / 2)."""
    import warnings

    from ino_study.statistics.kaplan_meier import _findq

    tol = 2.0 ** -26
    x = np.array([0.0, 1.0, 2.0, 3.0])
    assert math.isnan(_findq(x[:3], np.array([0.0, 0.25, 0.5 - tol / 2]), 0.5, tol))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(_findq(x[:2], np.array([np.nan, np.nan]), 0.5, tol))
    assert _findq(x[:3], np.array([0.0, np.nan, 0.5]), 0.5, tol) == 2.0
    assert _findq(x, np.array([0.0, 0.25, 0.5 + tol, 0.5 + tol]), 0.5, tol) == 2.0


def test_no_observations_is_refused_with_a_message():
    """R: survfit(Surv(numeric(0), numeric(0)) ~ 1) stops ("no (non-missing) observations"); here a
    ValueError that says so (was pandas' "All arrays must be of the same length")."""
    with pytest.raises(ValueError, match="no observations"):
        km_fit([], [])
