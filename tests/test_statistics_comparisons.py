"""Validation of ino_study.statistics.comparisons against published R output.

Sources:
[R-AKH]  Public R-markdown "Pembahasan Contoh Soal" (survival package output printed verbatim):
         * ``survdiff(Surv(t, Status) ~ Group)`` on the Freireich 6-MP data:
           ``Chisq= 16.8 on 1 degrees of freedom, p= 4e-05``; (O-E)^2/V = 16.8.
         * ``coxph(Surv(t, status) ~ Group)`` (Group2 = placebo vs 6-MP):
           coef 1.5721, exp(coef) 4.8169, se(coef) 0.4124, z 3.812, p 0.000138 (Efron ties).
           The same numbers are quoted for MASS::gehan ``coxph(Surv(time, cens) ~ treat)`` in
           Venables & Ripley, MASS 4th ed. (coef 1.57, se 0.412).
         * ``coxph(Surv(waktu, status) ~ X1)`` on 4 subjects (2:1:X=1, 5:1:X=0, 7:0:X=0, 8:1:X=1):
           coef 0.3466, exp(coef) 1.4142, se(coef) 1.4355, p 0.809.  Closed form by hand:
           score = 1 - u/(u+1) - u/(u+2) = 0 => u = e^b = sqrt(2), b = log(2)/2 = 0.34657.
         * ``cox.zph(coxph(Surv(t, status) ~ Group))``: chisq 0.0229, p 0.88 (survival >= 3.0, km).
[R-LUNG] survival's ``lung`` data (NCCTG lung cancer; tied times), R's printed output:
         * ``coxph(Surv(time, status) ~ sex, data = lung)``: n= 228, number of events= 165, coef -0.5310,
           exp(coef) 0.5880, se(coef) 0.1672, z -3.176, p 0.00149 (``summary``, as quoted in the Cross
           Validated question "Get standard error of exponentiated coefficient in cox regression").
         * ``coxph(Surv(time, status) ~ ph.ecog)``: coef 0.476, exp(coef) 1.61, se(coef) 0.113, z 4.2,
           p 2.7e-05, n= 227, number of events= 164, 1 observation deleted due to missingness
           (https://www.biostars.org/p/109199/).
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from ino_study.statistics.comparisons import (
    cox_time_varying,
    cox_univariable,
    design_matrix,
    events_per_variable_warning,
    landmark,
    logrank_test,
    ph_test,
    split_at_exposure,
)

warnings.filterwarnings("ignore", category=Warning, module="lifelines")

SIX_MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
TIME = np.array(SIX_MP_TIME + PLACEBO_TIME, dtype=float)
EVENT = np.array(SIX_MP_EVENT + [1] * 21)
TREAT = np.array(["6-MP"] * 21 + ["control"] * 21)


def test_logrank_gehan_matches_survdiff():
    """[R-AKH] survdiff: Chisq = 16.8 on 1 df, p = 4e-05."""
    res = logrank_test(TIME, EVENT, TREAT)
    assert res.df == 1
    assert res.chi2 == pytest.approx(16.8, abs=0.05)
    assert res.p_value == pytest.approx(4e-5, abs=5e-6)


def test_logrank_leaves_out_rows_with_a_missing_value_as_survdiff_does():
    """[R-AKH] survdiff's default na.action (na.omit) leaves out a row with a missing group, time or
    status: the Freireich data with such rows added still give Chisq = 16.8 on 1 df (a missing group
    was a third group, and a missing time a NaN statistic)."""
    time = np.append(TIME, [5.0, np.nan, 3.0])
    event = np.append(EVENT.astype(float), [1.0, 1.0, np.nan])
    group = np.append(TREAT.astype(object), [None, "control", "6-MP"])
    res = logrank_test(time, event, group)
    assert res.df == 1
    assert res.chi2 == pytest.approx(16.8, abs=0.05)
    # two more complete rows but for a missing stratum: left out (kept, they would be a stratum of their
    # own with one event among two at risk, which moves the statistic)
    time, event = np.append(TIME, [1.0, 2.0]), np.append(EVENT, [1, 0])
    group, strata = np.append(TREAT, ["6-MP", "control"]), np.append(np.repeat("a", 42).astype(object), [None, None])
    assert logrank_test(time, event, group, strata=strata).chi2 == pytest.approx(16.8, abs=0.05)


def test_logrank_three_groups_df_and_invariance():
    """k groups -> df = k - 1; relabelling groups does not change the statistic (definition)."""
    g = np.array(["a"] * 14 + ["b"] * 14 + ["c"] * 14)
    r1 = logrank_test(TIME, EVENT, g)
    r2 = logrank_test(TIME, EVENT, np.where(g == "a", "z", g))
    assert r1.df == 2 and r1.chi2 == pytest.approx(r2.chi2)
    assert 0 <= r1.p_value <= 1


def test_cox_gehan_efron_matches_r():
    """[R-AKH] coxph Efron: coef 1.5721, HR 4.8169, se 0.4124, p 0.000138; reference = 6-MP (first sorted)."""
    out = cox_univariable(TIME, EVENT, pd.DataFrame({"treat": TREAT}))
    r = out.iloc[0]
    assert r["covariate"] == "treatcontrol" and r["reference"] == "6-MP"
    assert r["coef"] == pytest.approx(1.5721, abs=5e-5)
    assert r["hr"] == pytest.approx(4.8169, abs=5e-5)
    assert r["se"] == pytest.approx(0.4124, abs=5e-5)
    assert r["p_value"] == pytest.approx(0.000138, abs=5e-7)
    assert (r["n"], r["n_events"]) == (42, 30)
    # Wald CI: exp(1.5721 -/+ 1.96 * 0.4124) = 2.147 - 10.81 (by hand from the published coef/se)
    assert (r["hr_ci_lower"], r["hr_ci_upper"]) == pytest.approx((2.147, 10.81), abs=2e-3)


def test_cox_rows_follow_the_covariate_frame_rows_whatever_its_index():
    """[R-AKH] the Gehan numbers again, the covariates in a frame indexed by patient (rows 100-141 of a
    larger table, as a filtered cohort is): time and event are matched by position, not by index label."""
    frame = pd.DataFrame({"treat": TREAT}, index=range(100, 142))
    r = cox_univariable(TIME, EVENT, frame).iloc[0]
    assert r["coef"] == pytest.approx(1.5721, abs=5e-5) and r["se"] == pytest.approx(0.4124, abs=5e-5)
    assert (r["n"], r["n_events"]) == (42, 30)


def test_cox_numeric_coding_equals_dummy():
    num = cox_univariable(TIME, EVENT, pd.DataFrame({"placebo": (TREAT == "control").astype(int)}))
    assert num.iloc[0]["coef"] == pytest.approx(1.5721, abs=5e-5)
    assert num.iloc[0]["reference"] is None


def test_cox_four_subjects_closed_form():
    """[R-AKH] coef 0.3466 (= log(2)/2 exactly), se 1.4355, p 0.809."""
    out = cox_univariable([2, 5, 7, 8], [1, 1, 0, 1], pd.DataFrame({"X1": [1, 0, 0, 1]})).iloc[0]
    assert out["coef"] == pytest.approx(math.log(2) / 2, abs=1e-10)
    assert out["se"] == pytest.approx(1.4355, abs=5e-5)
    # information at u = sqrt(2): u/(u+1)^2 + 2u/(u+2)^2 = 6 sqrt(2) - 8 (by hand)
    assert out["se"] == pytest.approx(1 / math.sqrt(6 * math.sqrt(2) - 8), abs=1e-10)
    assert out["p_value"] == pytest.approx(0.809, abs=5e-4)


def test_cox_missing_covariate_dropped_and_counts():
    x = pd.Series([1.0, np.nan, 0.0, 1.0, 0.0] * 8 + [1.0, 0.0], name="x")
    out = cox_univariable(TIME, EVENT, x.to_frame()).iloc[0]
    assert out["n"] == 34


def test_design_matrix_reference_first_sorted_level():
    x, ref = design_matrix(pd.Series(["b", "a", "c", "a"], name="arm"))
    assert ref == "a" and list(x.columns) == ["armb", "armc"]
    assert x["armb"].tolist() == [1, 0, 0, 0]


def test_ph_test_matches_cox_zph():
    """[R-AKH] cox.zph (survival >= 3, transform 'km'): chisq 0.0229, p = 0.88, to the printed digits.
    The full check against R, every transform and a multi-level factor, is in
    tests/test_statistics_proportional_hazards.py."""
    out = ph_test(TIME, EVENT, pd.DataFrame({"treat": TREAT}), transform="km")
    assert out["covariate"].tolist() == ["treatcontrol"] and out["term"].tolist() == ["treat"]
    assert round(out["statistic"].iloc[0], 4) == 0.0229 and round(out["p_value"].iloc[0], 2) == 0.88
    assert out["df"].tolist() == [1]


def test_ph_test_tests_a_factors_dummies_together():
    rng = np.random.default_rng(3)
    arm = pd.Series(rng.choice(["a", "b", "c"], 60), name="arm")
    out = ph_test(rng.exponential(10, 60).round(1), rng.integers(0, 2, 60), arm.to_frame())
    assert out["covariate"].tolist() == ["armb", "armc"] and out["term"].tolist() == ["arm", "arm"]
    assert out["df"].tolist() == [2, 2] and out["p_value"].nunique() == 1


def test_events_per_variable_warning():
    assert events_per_variable_warning(30, 3) is None
    msg = events_per_variable_warning(9, 2)
    assert msg is not None and "4.5" in msg
    assert events_per_variable_warning(9, 0) is None


def test_landmark():
    out = landmark([2, 5, 10, 12], [1, 0, 1, 0], 5, status_at_landmark=["R", "R", "NR", "R"])
    assert out["index"].tolist() == [2, 3]
    assert out["time"].tolist() == [5, 7] and out["event"].tolist() == [1, 0]
    assert out["group"].tolist() == ["NR", "R"]


def test_split_at_exposure():
    out = split_at_exposure([1, 2, 3, 4], [10, 8, 6, 5], [1, 0, 1, 1], [4, np.nan, 0, 5])
    assert out.values.tolist() == [
        [1, 0.0, 4.0, 0, 0], [1, 4.0, 10.0, 1, 1],
        [2, 0.0, 8.0, 0, 0],
        [3, 0.0, 6.0, 1, 1],
        [4, 0.0, 5.0, 1, 0],
    ]


def test_cox_time_varying_equals_fixed_when_split_does_not_change_covariate():
    """Counting-process identity (Therneau & Grambsch 2000, sec. 3.7): splitting follow-up into
    (start, stop] pieces with an unchanged covariate leaves the partial likelihood unchanged, so the
    fit must reproduce the published fixed-covariate coxph [R-AKH] coef 1.5721 / se 0.4124."""
    x = (TREAT == "control").astype(float)
    rows = []
    for i, (t, e, xi) in enumerate(zip(TIME, EVENT, x)):
        if t > 5:
            rows += [(i, 0.0, 5.0, 0, xi), (i, 5.0, t, e, xi)]
        else:
            rows.append((i, 0.0, t, e, xi))
    df = pd.DataFrame(rows, columns=["id", "start", "stop", "event", "x"])
    out = cox_time_varying(df.start, df.stop, df.event, df.x, ids=df.id).iloc[0]
    assert out["coef"] == pytest.approx(1.5721, abs=5e-5)
    assert out["se"] == pytest.approx(0.4124, abs=5e-5)
    assert out["n_events"] == 30


def test_cox_time_varying_with_exposure_split_runs():
    rng_free_times = TIME
    exposure = np.where(np.arange(42) % 3 == 0, 3.0, np.nan)
    cp = split_at_exposure(np.arange(42), rng_free_times, EVENT, exposure)
    out = cox_time_varying(cp.start, cp.stop, cp.event, cp.exposed, ids=cp.id)
    assert out.iloc[0]["n_events"] == 30 and np.isfinite(out.iloc[0]["coef"])


#: lifelines' CoxPHFitter run to its own step-norm limit: with its defaults (and FIT_OPTIONS) its
#: relative-likelihood and Newton-decrement stops can leave it ~1e-6 relative short of the maximum.
LIFELINES_TO_CONVERGENCE = {"precision": 1e-16, "r_precision": 0.0}


def _lifelines_summary(df: pd.DataFrame, fit_options: dict) -> pd.DataFrame:
    """lifelines' public CoxPHFitter (Efron ties, its per-row loop): the second check beside R."""
    from lifelines import CoxPHFitter

    return CoxPHFitter().fit(df, duration_col="_time", event_col="_event", fit_options=dict(fit_options)).summary


@pytest.fixture
def grouped_only(monkeypatch):
    """The fits of the test must be the grouped Newton-Raphson: the lifelines route fails."""
    from ino_study.statistics import cox_fit

    def refuse(df):
        raise AssertionError("went through lifelines instead of the grouped Efron fit")

    monkeypatch.setattr(cox_fit, "lifelines_cox_estimates", refuse)


def tied_design(rng: np.random.Generator, n_range: tuple[int, int], max_levels: int) -> pd.DataFrame:
    """A random Cox design with many tied times: _time, _event and the dummies of a factor with
    2..max_levels levels whose hazard falls with the level."""
    n, k = int(rng.integers(*n_range)), int(rng.integers(2, max_levels + 1))
    level = rng.integers(0, k, n)
    return pd.concat([pd.DataFrame({"_time": np.round(rng.exponential(8 * (1 + 0.4 * level))) + 1,
                                    "_event": (rng.random(n) < 0.6).astype(int)}),
                      design_matrix(pd.Series(np.array(list("abcd"))[level], name="x"))[0]], axis=1)


def lung_design(column: str) -> pd.DataFrame:
    """survival's lung data (lifelines ships the same 228 rows, status 0/1), one covariate, NA dropped."""
    from lifelines import datasets

    lung = datasets.load_lung()
    return pd.DataFrame({"_time": lung["time"].astype(float), "_event": lung["status"].astype(int),
                         column: lung[column].astype(float)}).dropna()


def test_grouped_fit_lung_sex_matches_r(grouped_only):
    """[R-LUNG] coxph(Surv(time, status) ~ sex): coef -0.5310, se 0.1672, p 0.00149 (tied times)."""
    from ino_study.statistics.comparisons import cox_estimates, wald_hazard_ratio

    df = lung_design("sex")
    assert (len(df), df["_event"].sum()) == (228, 165)
    fit = cox_estimates(df).loc["sex"]
    assert fit["coef"] == pytest.approx(-0.5310, abs=5e-5)
    assert fit["se"] == pytest.approx(0.1672, abs=5e-5)
    assert wald_hazard_ratio(fit["coef"], fit["se"], 0.95)["p_value"] == pytest.approx(0.00149, abs=5e-6)


def test_grouped_fit_lung_ecog_four_levels_matches_r(grouped_only):
    """[R-LUNG] coxph(Surv(time, status) ~ ph.ecog), ph.ecog 0-3 as a number (four levels, one of
    them a single patient): n 227, 164 events, coef 0.476, se 0.113, p 2.7e-05."""
    from ino_study.statistics.comparisons import cox_estimates, wald_hazard_ratio

    df = lung_design("ph.ecog")
    assert (len(df), df["_event"].sum(), df["ph.ecog"].nunique()) == (227, 164, 4)
    fit = cox_estimates(df).loc["ph.ecog"]
    assert fit["coef"] == pytest.approx(0.476, abs=5e-4)
    assert fit["se"] == pytest.approx(0.113, abs=5e-4)
    assert wald_hazard_ratio(fit["coef"], fit["se"], 0.95)["p_value"] == pytest.approx(2.7e-5, abs=5e-7)


@pytest.mark.parametrize("seed", range(6))
def test_grouped_fit_agrees_with_lifelines_coxphfitter(seed, grouped_only):
    """Our grouped Newton-Raphson and lifelines' public CoxPHFitter (its own per-row Efron sums and
    iterations) agree to 1e-8 on random factors of 2-4 levels with many tied times."""
    from ino_study.statistics.comparisons import cox_estimates

    df = tied_design(np.random.default_rng(seed), n_range=(30, 2000), max_levels=4)
    ours, theirs = cox_estimates(df), _lifelines_summary(df, LIFELINES_TO_CONVERGENCE)
    assert ours.index.tolist() == theirs.index.tolist()
    np.testing.assert_allclose(ours["coef"], theirs["coef"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(ours["se"], theirs["se(coef)"], rtol=1e-8, atol=0)


def test_overshooting_newton_step_is_halved(monkeypatch, grouped_only):
    """A strong effect (hazard ratio ~ e^3, every patient an event): the first full Newton step lowers
    the log-likelihood, is halved as R's coxph does, and the fit still agrees with lifelines."""
    from ino_study.statistics import cox_fit

    rng = np.random.default_rng(8)
    x = rng.integers(0, 2, 40).astype(float)
    df = pd.DataFrame({"_time": np.round(rng.exponential(1 / np.exp(4 * x)) * 10) + 1, "_event": 1, "x": x})
    log_likelihoods, original = [], cox_fit.grouped_efron_values

    def recording(counts, beta):
        values = original(counts, beta)
        log_likelihoods.append(values[2])
        return values

    monkeypatch.setattr(cox_fit, "grouped_efron_values", recording)
    ours, theirs = cox_fit.cox_estimates(df), _lifelines_summary(df, LIFELINES_TO_CONVERGENCE)
    assert any(later < earlier for earlier, later in zip(log_likelihoods, log_likelihoods[1:]))
    np.testing.assert_allclose(ours["coef"], theirs["coef"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(ours["se"], theirs["se(coef)"], rtol=1e-8, atol=0)


def test_newton_raphson_that_does_not_converge_says_so(monkeypatch):
    from ino_study.statistics import cox_fit

    monkeypatch.setattr(cox_fit, "MAX_ITERATIONS", 1)
    df = pd.DataFrame({"_time": TIME, "_event": EVENT, "control": (TREAT == "control").astype(float)})
    with pytest.raises(cox_fit.CoxFitError, match="did not converge in 1 iterations"):
        cox_fit.cox_estimates(df)


def test_design_without_finite_maximum_goes_through_lifelines(monkeypatch):
    """No finite maximum (all events in one level): not our Newton-Raphson but lifelines' public
    CoxPHFitter, digit for digit, with its warnings (which the steps copy into the job's log)."""
    from lifelines.exceptions import ConvergenceWarning

    from ino_study.statistics import cox_fit
    from ino_study.statistics.comparisons import FIT_OPTIONS, cox_estimates, has_finite_maximum, level_counts

    def refuse(counts):
        raise AssertionError("the grouped Newton-Raphson was used without a finite maximum")

    monkeypatch.setattr(cox_fit, "grouped_efron_newton", refuse)
    time = np.arange(1.0, 21.0)
    event = np.array([1, 0] * 10)
    x = (np.arange(20) % 2 == 0).astype(float)  # events only where x = 1
    assert not has_finite_maximum(level_counts(x[:, None], time, event, 64))
    df = pd.DataFrame({"_time": time, "_event": event, "x": x})
    with pytest.warns(ConvergenceWarning, match="complete separation"):
        ours = cox_estimates(df)
    with pytest.warns(ConvergenceWarning, match="complete separation"):
        theirs = _lifelines_summary(df, FIT_OPTIONS)
    assert ours["coef"].tolist() == theirs["coef"].tolist()
    assert ours["se"].tolist() == theirs["se(coef)"].tolist()
    assert has_finite_maximum(level_counts((TREAT == "control").astype(float)[:, None], TIME, EVENT, 64))


def test_many_levels_go_through_lifelines(monkeypatch):
    """A continuous covariate (more than GROUPED_EFRON_MAX_LEVELS distinct rows): lifelines' fit."""
    from ino_study.statistics import cox_fit
    from ino_study.statistics.comparisons import FIT_OPTIONS, cox_estimates

    monkeypatch.setattr(cox_fit, "grouped_efron_newton", lambda counts: pytest.fail("grouped fit used"))
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"_time": TIME, "_event": EVENT, "z": rng.normal(size=TIME.size)})
    ours, theirs = cox_estimates(df), _lifelines_summary(df, FIT_OPTIONS)
    assert ours["coef"].tolist() == theirs["coef"].tolist()
    assert ours["se"].tolist() == theirs["se(coef)"].tolist()


@pytest.mark.parametrize("seed", range(4))
def test_logrank_equals_lifelines_multivariate_logrank(seed):
    """The count-array log-rank statistic is lifelines' multivariate_logrank_test to rounding."""
    from lifelines.statistics import multivariate_logrank_test

    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(5, 3000)), int(rng.integers(2, 5))
    group = np.array(list("abcd"))[rng.integers(0, k, n)]
    time = np.round(rng.exponential(10, n))
    event = (rng.random(n) < 0.5).astype(int)
    expected = multivariate_logrank_test(time, group, event).test_statistic
    assert logrank_test(time, event, group).chi2 == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_split_at_exposure_row_order_and_types():
    """Rows in input order, a split patient's two rows adjacent; dtypes as the row-by-row build gave."""
    cp = split_at_exposure(np.array(["a", "b", "c", "d"], dtype=object), [5.0, 4.0, 6.0, 3.0], [1, 0, 1, 1],
                           [2.0, np.nan, 0.0, 3.0])
    assert cp.values.tolist() == [["a", 0.0, 2.0, 0, 0], ["a", 2.0, 5.0, 1, 1], ["b", 0.0, 4.0, 0, 0],
                                  ["c", 0.0, 6.0, 1, 1], ["d", 0.0, 3.0, 1, 0]]
    assert [str(t) for t in cp.dtypes] == ["object", "float64", "float64", "int64", "int64"]
    assert split_at_exposure([], [], [], []).columns.tolist() == ["id", "start", "stop", "event", "exposed"]


def test_logrank_with_one_group_says_so():
    with pytest.raises(ValueError, match="log-rank test needs at least two groups"):
        logrank_test([1.0, 2.0], [1, 0], ["a", "a"])


@pytest.fixture
def stratified_grouped_only(monkeypatch):
    """The stratified fits of the test must be the grouped Newton-Raphson: the lifelines route fails."""
    from ino_study.statistics import cox_fit

    def refuse(df):
        raise AssertionError("went through lifelines instead of the grouped stratified Efron fit")

    monkeypatch.setattr(cox_fit, "lifelines_stratified_cox_estimates", refuse)


def test_grouped_stratified_fit_matches_r_test1(stratified_grouped_only):
    """[R-COXPH-STRATA] Therneau & Grambsch's test1 with strata(sex), Efron ties: coef 0.8023,
    se 0.8224 (as tests/test_centres.py), now from the stacked per-stratum counts, not lifelines."""
    from ino_study.statistics.comparisons import stratified_cox_estimates

    df = pd.DataFrame({"_time": [4.0, 3, 1, 1, 2, 2, 3], "_event": [1, 1, 1, 0, 1, 1, 0],
                       "_stratum": [0, 0, 0, 0, 1, 1, 1], "x": [0.0, 2, 1, 1, 1, 0, 0]})
    fit = stratified_cox_estimates(df).loc["x"]
    assert round(fit["coef"], 4) == 0.8023 and round(fit["se"], 4) == 0.8224


def test_stratified_fit_beyond_the_grouped_levels_goes_through_lifelines_and_matches_r(monkeypatch):
    """[R-COXPH-STRATA] A design with more distinct levels than the grouped fit takes (a continuous
    covariate) is fitted by lifelines' CoxPHFitter(strata=...): test1 with strata(sex) again gives R's
    printed coef 0.8023, se 0.8224 (here the limit is lowered to 1 level so that x's 3 exceed it)."""
    from ino_study.statistics import cox_fit
    from ino_study.statistics.comparisons import stratified_cox_estimates

    monkeypatch.setattr(cox_fit, "GROUPED_EFRON_MAX_LEVELS", 1)
    df = pd.DataFrame({"_time": [4.0, 3, 1, 1, 2, 2, 3], "_event": [1, 1, 1, 0, 1, 1, 0],
                       "_stratum": [0, 0, 0, 0, 1, 1, 1], "x": [0.0, 2, 1, 1, 1, 0, 0]})
    fit = stratified_cox_estimates(df)
    assert fit.columns.tolist() == ["coef", "se"] and fit.index.tolist() == ["x"]
    assert round(fit.loc["x", "coef"], 4) == 0.8023 and round(fit.loc["x", "se"], 4) == 0.8224


@pytest.mark.parametrize("seed", range(4))
def test_grouped_stratified_fit_agrees_with_lifelines(seed, stratified_grouped_only):
    """The stacked per-stratum counts and lifelines' public CoxPHFitter(strata=...) (its own per-row
    Efron sums within each stratum) agree to 1e-8: random factors, many ties, 2-6 strata, one of them
    a single patient with an event and (seed 0) one with no events."""
    from lifelines import CoxPHFitter
    from ino_study.statistics.comparisons import stratified_cox_estimates

    rng = np.random.default_rng(seed)
    df = tied_design(rng, n_range=(200, 3000), max_levels=4)
    df["_stratum"] = rng.integers(0, int(rng.integers(2, 7)), len(df)).astype(float)
    df.loc[0, ["_stratum", "_event"]] = [99.0, 1]  # a one-patient stratum
    if seed == 0:
        df.loc[1:3, ["_stratum", "_event"]] = [98.0, 0]  # a stratum without events
    ours = stratified_cox_estimates(df)
    theirs = CoxPHFitter(strata=["_stratum"]).fit(df, duration_col="_time", event_col="_event",
                                                  fit_options=dict(LIFELINES_TO_CONVERGENCE)).summary
    assert ours.index.tolist() == theirs.index.tolist()
    np.testing.assert_allclose(ours["coef"], theirs["coef"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(ours["se"], theirs["se(coef)"], rtol=1e-8, atol=0)


def test_landmark_without_status_and_its_columns_and_types():
    """Documented: columns index, time, event, group; group NaN without a status; time reset to the landmark
    as a float and event an integer whatever types come in (integer days, 0.0/1.0 events)."""
    out = landmark([2, 5, 10, 12], [1.0, 0.0, 1.0, 0.0], 5)
    assert out.columns.tolist() == ["index", "time", "event", "group"]
    assert out["time"].tolist() == [5.0, 7.0] and out["time"].dtype == np.float64
    assert out["event"].tolist() == [1, 0] and out["event"].dtype == np.int64
    assert out["group"].dtype == np.float64 and out["group"].isna().all()


def test_split_at_exposure_early_in_the_first_day_is_still_a_split():
    """R tmerge(tdc(s)) with s = 1 and follow-up 10: (0, 1] unexposed without the event, (1, 10] exposed
    with it; only an exposure at time 0 or earlier makes the whole follow-up exposed."""
    out = split_at_exposure(["A", "B"], [10.0, 10.0], [1, 1], [1.0, 0.0])
    assert out.values.tolist() == [["A", 0.0, 1.0, 0, 0], ["A", 1.0, 10.0, 1, 1], ["B", 0.0, 10.0, 1, 1]]


@pytest.mark.parametrize("events, chi2", [([1, 0, 1], 0.5), ([1, 1, 0], 1 / 17)])
def test_logrank_with_one_patient_left_at_risk_by_hand_and_without_warnings(events, chi2):
    """Times 1, 2, 3 in groups a, b, a; at time 3 one patient is left at risk (variance factor
    (n - d)/(n - 1) = 0/0 with an event, 1/0 without: set to 1, no numpy warning in the logs).
    Events 1, 0, 1: t=1 n=3 (a 2), d=1 (a): E_a = 2/3, V = 2*1*1*2/(9*2) = 2/9; t=3: n=1, E_a = 1, V = 0;
    O_a - E_a = 2 - 5/3 = 1/3, chi2 = (1/9)/(2/9) = 1/2. Events 1, 1, 0: t=1 as before; t=2 n=2, d=1 (b):
    E_a = 1/2, V = 1/4; O_a - E_a = 1 - 7/6, chi2 = (1/36)/(17/36) = 1/17."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = logrank_test([1, 2, 3], events, ["a", "b", "a"])
    assert result.chi2 == pytest.approx(chi2, rel=1e-12) and result.df == 1


def test_design_matrix_booleans_mixed_types_ordered_categories_and_a_single_level():
    """bool covariates become a dummy like a factor (R: ``xTRUE``, reference FALSE), not a number;
    levels of mixed types sort by type first (numbers before text) instead of failing to compare; an
    ordered categorical keeps its own order of the levels present; one level gives no dummy but still
    one row per patient (the covariate's index)."""
    x, ref = design_matrix(pd.Series([True, False, True], name="flag"))
    assert ref == "False" and x.columns.tolist() == ["flagTrue"] and x["flagTrue"].tolist() == [1.0, 0.0, 1.0]
    x, ref = design_matrix(pd.Series([2, "b", 1, "a"], dtype=object, name="m"))
    assert ref == "1" and x.columns.tolist() == ["m2", "ma", "mb"]
    assert x["ma"].tolist() == [0.0, 0.0, 0.0, 1.0]
    grade = pd.Series(pd.Categorical(["mid", "high", "low", "mid"], ordered=True,
                                     categories=["low", "mid", "high", "unused"]), name="g")
    x, ref = design_matrix(grade)
    assert ref == "low" and x.columns.tolist() == ["gmid", "ghigh"]
    assert x["ghigh"].tolist() == [0.0, 1.0, 0.0, 0.0]
    x, ref = design_matrix(pd.Series(["a", "a"], index=[10, 11], name="c"))
    assert ref == "a" and x.shape == (2, 0) and x.index.tolist() == [10, 11]


def test_level_counts_takes_exactly_max_levels():
    """A design with exactly ``max_levels`` distinct rows is grouped; one more level than allowed is not.
    By hand: x = 0, 1, 0 at times 1, 2, 3, all events: at t = 1, 2, 3 level 0 has 2, 1, 1 at risk."""
    from ino_study.statistics.comparisons import level_counts

    x, time, event = np.array([[0.0], [1.0], [0.0]]), np.array([1.0, 2.0, 3.0]), np.array([1, 1, 1])
    counts = level_counts(x, time, event, 2)
    assert counts is not None and counts.levels.tolist() == [[0.0], [1.0]]
    assert counts.at_risk.tolist() == [[2.0, 1.0], [1.0, 1.0], [1.0, 0.0]]
    assert level_counts(x, time, event, 1) is None


def test_has_finite_maximum_one_level_non_finite_levels_and_a_level_gone_before_the_others_events():
    """One level (nothing to compare), a non-finite level (a constant column normalised by 0) and
    separation: level A (events at t = 1, 2) has left the risk set before level B's events (t = 3, 4),
    so the log-likelihood rises for ever with score(A) - score(B) (by hand: the terms at t = 3, 4 are
    0, those at t = 1, 2 increase) -> no finite maximum."""
    from ino_study.statistics.comparisons import LevelCounts, has_finite_maximum, level_counts

    one = LevelCounts(levels=np.array([[0.0]]), at_risk=np.array([[2.0]]), events=np.array([[1.0]]))
    assert not has_finite_maximum(one)
    both_ways = np.array([[2.0, 2.0], [1.0, 1.0]])  # each level at risk at the other's event
    nan_level = LevelCounts(levels=np.array([[0.0], [np.nan]]), at_risk=both_ways, events=np.eye(2))
    finite_levels = np.array([[0.0], [1.0]])
    assert has_finite_maximum(LevelCounts(levels=finite_levels, at_risk=both_ways, events=np.eye(2)))
    assert not has_finite_maximum(nan_level)
    separated = level_counts(np.array([[0.0], [0.0], [1.0], [1.0]]), np.array([1.0, 2.0, 3.0, 4.0]),
                             np.array([1, 1, 1, 1]), 64)
    assert not has_finite_maximum(separated)


def test_collinear_covariates_say_so():
    """Two copies of one covariate: the information matrix is singular (R coxph gives the second
    coefficient NA); the grouped fit stops with this message instead of returning numbers."""
    from ino_study.statistics import cox_fit

    control = (TREAT == "control").astype(float)
    df = pd.DataFrame({"_time": TIME, "_event": EVENT, "a": control, "b": control})
    message = "Cox model: the information matrix is not positive definite (collinear covariates?)"
    with pytest.raises(cox_fit.CoxFitError, match=f"^{re.escape(message)}$"):
        cox_fit.cox_estimates(df)


def test_max_iterations_counts_every_evaluation_after_the_start(monkeypatch):
    """MAX_ITERATIONS counts Newton steps and halvings (each one evaluation of the likelihood after the
    one at beta = 0): a fit that needs N of them converges with MAX_ITERATIONS = N and not with N - 1."""
    from ino_study.statistics import cox_fit

    df = pd.DataFrame({"_time": TIME, "_event": EVENT, "control": (TREAT == "control").astype(float)})
    evaluations, original = [], cox_fit.grouped_efron_values

    def counting(counts, beta):
        evaluations.append(beta)
        return original(counts, beta)

    monkeypatch.setattr(cox_fit, "grouped_efron_values", counting)
    expected = cox_fit.cox_estimates(df)
    needed = len(evaluations) - 1
    assert needed >= 3
    monkeypatch.setattr(cox_fit, "MAX_ITERATIONS", needed)
    assert cox_fit.cox_estimates(df).equals(expected)
    monkeypatch.setattr(cox_fit, "MAX_ITERATIONS", needed - 1)
    with pytest.raises(cox_fit.CoxFitError, match=f"did not converge in {needed - 1} iterations"):
        cox_fit.cox_estimates(df)


def test_grouped_fit_to_full_precision_closed_form(grouped_only):
    """Four patients (time, event, x): (1, 1, 1), (2, 1, 0), (3, 1, 1), (4, 0, 0). By hand, with r = e^b:
    risk sets {2 x=1, 2 x=0}, {1, 2}, {1, 1}, events in x = 1, 0, 1, so
    l(b) = 2b - log(2r + 2) - log(r + 2) - log(r + 1); l'(b) = 0 <=> 2/r = 2/(r + 1) + 1/(r + 2)
    <=> r^2 - r - 4 = 0, r = (1 + sqrt(17))/2; information 2r/(r + 1)^2 + 2r/(r + 2)^2.
    The fit stops only when both the likelihood and the step have converged: exact to rounding."""
    from ino_study.statistics.comparisons import cox_estimates

    df = pd.DataFrame({"_time": [1.0, 2, 3, 4], "_event": [1, 1, 1, 0], "x": [1.0, 0, 1, 0]})
    r = (1 + math.sqrt(17)) / 2
    fit = cox_estimates(df).loc["x"]
    assert fit["coef"] == pytest.approx(math.log(r), rel=1e-13)
    assert fit["se"] == pytest.approx(1 / math.sqrt(2 * r / (r + 1) ** 2 + 2 * r / (r + 2) ** 2), rel=1e-12)


def test_overshooting_newton_step_is_halved_towards_the_last_estimate(monkeypatch, grouped_only):
    """Five patients at x = 0 (times 2, 4, .., 10), five at x = 1 (3, 5, .., 11), one at x = 20 (2.5),
    all events: the first Newton step from 0 lowers the log partial likelihood (seen below), so the
    next evaluation is at half that step (R coxph's step halving), and the fit agrees with lifelines'
    CoxPHFitter run to convergence."""
    from ino_study.statistics import cox_fit

    n = 5
    df = pd.DataFrame({"_time": np.r_[np.arange(1, n + 1) * 2.0, np.arange(1, n + 1) * 2.0 + 1, [2.5]],
                       "_event": 1, "x": np.r_[np.zeros(n), np.ones(n), [20.0]]})
    calls, original = [], cox_fit.grouped_efron_values

    def recording(counts, beta):
        values = original(counts, beta)
        calls.append((beta.copy(), values[2]))
        return values

    monkeypatch.setattr(cox_fit, "grouped_efron_values", recording)
    ours, theirs = cox_fit.cox_estimates(df), _lifelines_summary(df, LIFELINES_TO_CONVERGENCE)
    (start, l0), (full, l1), (half, l2) = calls[:3]
    assert start.tolist() == [0.0] and l1 < l0 and half.tolist() == (full / 2).tolist() and l2 > l0
    np.testing.assert_allclose(ours["coef"], theirs["coef"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(ours["se"], theirs["se(coef)"], rtol=1e-8, atol=0)


@pytest.mark.filterwarnings("ignore:Your dataset has more variables than samples")
def test_one_patient_is_left_to_lifelines_which_says_what_is_wrong():
    """One row: no scale to normalise by, so the data go to lifelines unchanged, whose error names the
    problem (a model needs at least two patients)."""
    from ino_study.statistics.comparisons import cox_estimates

    with pytest.raises(ValueError, match="must have length at least 2"):
        cox_estimates(pd.DataFrame({"_time": [1.0], "_event": [1], "x": [1.0]}))


def test_newton_step_that_overflows_is_halved_without_numpy_warnings(monkeypatch, grouped_only):
    """1500 patients at x = 0 (times 2, 4, ..), 20 at x = 1 (3, 5, ..) and one at x = 1000 (2.5), all
    events: the first Newton step puts that patient's linear predictor beyond log(max float) ~ 709.8, so
    its risk score overflows; the step is halved silently (no numpy warning reaches the log) and the
    fit is the maximum of the partial likelihood computed patient by patient."""
    from ino_study.statistics import cox_fit

    df = pd.DataFrame({"_time": np.r_[np.arange(1, 1501) * 2.0, np.arange(1, 21) * 2.0 + 1, [2.5]],
                       "_event": 1, "x": np.r_[np.zeros(1500), np.ones(20), [1000.0]]})
    predictors, original = [], cox_fit.grouped_efron_values

    def recording(counts, beta):
        predictors.append(float(np.max(counts.levels @ beta)))
        return original(counts, beta)

    monkeypatch.setattr(cox_fit, "grouped_efron_values", recording)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = cox_fit.cox_estimates(df)
    assert predictors[1] > math.log(np.finfo(float).max) and predictors[2] == predictors[1] / 2
    # lifelines' own Newton-Raphson (no halving) overflows here and stops; instead the textbook
    # partial likelihood (times all distinct, so no ties) patient by patient: score(b) = sum over events
    # of x_i - E_b[x | risk set], solved by bisection; information = sum of the risk-set variances.
    order = np.argsort(df["_time"].to_numpy())
    x = df["x"].to_numpy()[order]

    def moments(b):
        w = np.exp(b * x)  # |b| <= 0.5: at most e^500, no overflow
        tail = np.cumsum(w[::-1])[::-1]  # risk set of the i-th death: patients i, i+1, ..
        m1 = np.cumsum((w * x)[::-1])[::-1] / tail
        return m1, np.cumsum((w * x * x)[::-1])[::-1] / tail - m1 ** 2

    from scipy.optimize import brentq
    b = brentq(lambda b: np.sum(x - moments(b)[0]), -0.5, 0.5, xtol=1e-15)
    assert ours.loc["x", "coef"] == pytest.approx(b, rel=1e-9)
    assert ours.loc["x", "se"] == pytest.approx(1 / math.sqrt(np.sum(moments(b)[1])), rel=1e-7)


@pytest.mark.parametrize("column", [[1.0] * 42, [0.0] * 41 + [1e-200]])
def test_column_without_spread_goes_to_lifelines_without_numpy_warnings(monkeypatch, column):
    """A constant covariate beside another (scale 0: 0/0 when normalised), or one whose spread
    underflows (0 and 1e-200: the squares in its standard deviation are 0, so x/0): its normalised
    values are not finite, so the model is not the grouped fit's (each column normalised by its own
    scale) but lifelines' (here a stand-in), and numpy's division warnings stay out of the log."""
    from ino_study.statistics import cox_fit

    monkeypatch.setattr(cox_fit, "grouped_efron_newton", lambda counts: pytest.fail("grouped fit used"))
    seen = []
    monkeypatch.setattr(cox_fit, "lifelines_cox_estimates",
                        lambda df: seen.append(df.columns.tolist()) or "lifelines")
    control = (TREAT == "control").astype(float)
    df = pd.DataFrame({"_time": TIME, "_event": EVENT, "k": column, "control": control})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cox_fit.cox_estimates(df) == "lifelines"
    assert seen == [["_time", "_event", "k", "control"]]


def test_covariates_far_from_zero_are_centred_before_the_fit(grouped_only):
    """A covariate near 10^6 (a date, say) beside a 0/1 one: each column is centred on its own mean
    before exp(x b) (as R and lifelines do), so nothing overflows and the fit is lifelines' (which
    centres too) to 1e-8; alone, the shifted Gehan covariate gives [R-AKH]'s coef 1.5721, se 0.4124."""
    from ino_study.statistics.comparisons import cox_estimates

    control = (TREAT == "control").astype(float)
    shifted = pd.DataFrame({"_time": TIME, "_event": EVENT, "control": control + 1e6})
    alone = cox_estimates(shifted).loc["control"]
    assert round(alone["coef"], 4) == 1.5721 and round(alone["se"], 4) == 0.4124
    df = pd.DataFrame({"_time": TIME, "_event": EVENT, "control": control,
                       "day": 1e6 + (np.arange(42) % 3 == 0)})
    ours, theirs = cox_estimates(df), _lifelines_summary(df, LIFELINES_TO_CONVERGENCE)
    np.testing.assert_allclose(ours["coef"], theirs["coef"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(ours["se"], theirs["se(coef)"], rtol=1e-8, atol=0)


def test_two_patients_are_fitted_by_the_grouped_fit():
    """Two patients dying at the same time are already a model with a finite maximum (each at risk at
    the other's death). One covariate: by hand, Efron's l(b) = b - 2 log(1 + e^b) + log 2 (x = 0, 1) is
    largest at b = 0 with information 2 e^b/(1 + e^b)^2 = 1/2, se sqrt(2). Two covariates are collinear
    on two rows: the grouped fit says so."""
    from ino_study.statistics import cox_fit

    df = pd.DataFrame({"_time": [1.0, 1.0], "_event": [1, 1], "x": [0.0, 1.0]})
    fit = cox_fit.cox_estimates(df).loc["x"]
    assert fit["coef"] == pytest.approx(0.0, abs=1e-12)
    assert fit["se"] == pytest.approx(math.sqrt(2), rel=1e-12)
    df["y"] = [3.0, 1.0]
    with pytest.raises(cox_fit.CoxFitError, match="not positive definite"):
        cox_fit.cox_estimates(df)
