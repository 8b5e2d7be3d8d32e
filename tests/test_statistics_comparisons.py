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
