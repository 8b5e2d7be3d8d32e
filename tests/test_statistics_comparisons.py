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


def test_cox_numeric_coding_equals_dummy():
    num = cox_univariable(TIME, EVENT, pd.DataFrame({"placebo": (TREAT == "control").astype(int)}))
    assert num.iloc[0]["coef"] == pytest.approx(1.5721, abs=5e-5)
    assert num.iloc[0]["reference"] is None


def test_cox_four_subjects_closed_form():
    """[R-AKH] coef 0.3466 (= log(2)/2 exactly), se 1.4355, p 0.809."""
    out = cox_univariable([2, 5, 7, 8], [1, 1, 0, 1], pd.DataFrame({"X1": [1, 0, 0, 1]})).iloc[0]
    assert out["coef"] == pytest.approx(math.log(2) / 2, abs=1e-6)
    assert out["se"] == pytest.approx(1.4355, abs=5e-5)
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


def _lifelines_own_fit(df: pd.DataFrame):
    """The fit cox_univariable used before the grouped Efron sums: lifelines' per-row loop."""
    from lifelines import CoxPHFitter

    from ino_study.statistics.comparisons import FIT_OPTIONS
    return CoxPHFitter().fit(df, duration_col="_time", event_col="_event", fit_options=dict(FIT_OPTIONS))


def tied_design(rng: np.random.Generator, n_range: tuple[int, int], max_levels: int) -> pd.DataFrame:
    """A random Cox design with many tied times: _time, _event and the dummies of a factor with
    2..max_levels levels whose hazard falls with the level."""
    n, k = int(rng.integers(*n_range)), int(rng.integers(2, max_levels + 1))
    level = rng.integers(0, k, n)
    return pd.concat([pd.DataFrame({"_time": np.round(rng.exponential(8 * (1 + 0.4 * level))) + 1,
                                    "_event": (rng.random(n) < 0.6).astype(int)}),
                      design_matrix(pd.Series(np.array(list("abcd"))[level], name="x"))[0]], axis=1)


@pytest.mark.parametrize("seed", range(6))
def test_grouped_efron_fit_equals_lifelines_row_loop(seed):
    """Same coef / se / p as lifelines' own Efron loop to rounding, with many ties and 2-4 levels."""
    from ino_study.statistics.comparisons import _fit_cox

    df = tied_design(np.random.default_rng(seed), n_range=(30, 2000), max_levels=4)
    ours, theirs = _fit_cox(df).summary, _lifelines_own_fit(df).summary
    for column in ("coef", "se(coef)", "p"):
        np.testing.assert_allclose(ours[column], theirs[column], rtol=1e-9, atol=0)


def test_separated_levels_keep_lifelines_own_arithmetic():
    """No finite maximum (all events in one level): the grouped sums are not used, so the
    arbitrary stopping point of the diverging estimate is lifelines' own, digit for digit."""
    from lifelines.exceptions import ConvergenceWarning

    from ino_study.statistics.comparisons import _fit_cox, has_finite_maximum, level_counts

    time = np.arange(1.0, 21.0)
    event = np.array([1, 0] * 10)
    x = (np.arange(20) % 2 == 0).astype(float)  # events only where x = 1
    counts = level_counts(x[:, None], time, event, 64)
    assert not has_finite_maximum(counts)
    df = pd.DataFrame({"_time": time, "_event": event, "x": x})
    # and lifelines' own warnings too, which the steps copy into the job's log for the analyst
    with pytest.warns(ConvergenceWarning, match="complete separation"):
        ours = _fit_cox(df).summary["coef"].iloc[0]
    with pytest.warns(ConvergenceWarning, match="complete separation"):
        theirs = _lifelines_own_fit(df).summary["coef"].iloc[0]
    assert ours == theirs
    assert has_finite_maximum(level_counts((TREAT == "control").astype(float)[:, None], TIME, EVENT, 64))


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


@pytest.mark.parametrize("seed", range(4))
def test_cox_estimates_are_the_full_fit_bit_for_bit(seed):
    """_cox_estimates runs lifelines' own steps without the extras of fit(): identical floats."""
    from ino_study.statistics.comparisons import _cox_estimates, _fit_cox

    df = tied_design(np.random.default_rng(seed), n_range=(20, 1500), max_levels=3)
    full, fast = _fit_cox(df).summary, _cox_estimates(df)
    assert fast["coef"].tolist() == full["coef"].tolist()
    assert fast["se"].tolist() == full["se(coef)"].tolist()
