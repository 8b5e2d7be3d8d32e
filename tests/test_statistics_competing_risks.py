"""Validation of ino_study.statistics.competing_risks.cumulative_incidence.

Sources:
[R-6MP-log]  Published R ``summary(survfit(Surv(t, Status) ~ Group))`` output for the Freireich 6-MP
             arm (see tests/test_statistics_kaplan_meier.py): S and Greenwood std.err.  With a single
             event type the Aalen-Johansen CIF is 1 - KM, and the infinitesimal-jackknife variance of
             the unweighted KM equals Greenwood's (Therneau, survival "methods" vignette), so R's
             ``survfit(Surv(time, factor(status)) ~ 1)`` must reproduce 1 - S and the same std.err.
[HAND]       Hand calculation of the Aalen-Johansen estimator (Putter, Fiocco & Geskus 2007, eq. 8) on a
             10-subject example with ties; IJ derivatives by hand for a 2-subject example.
Two causes against R: tests/test_r_references.py ([R-BMT]: R's printed ``cmprsk::cuminc`` estimates on
the CAMIS bone-marrow-transplant data; the IJ standard error by hand and by numerical derivatives,
as no printed R ``survfit`` multi-state std.err on embeddable data was found). The comparison with
the former implementation below is a regression check, not an oracle.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ino_study.statistics.competing_risks import aalen_johansen_curve, cumulative_incidence
from ino_study.statistics.kaplan_meier import confint

SIX_MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
R_6MP = [(6, 0.857, 0.0764), (7, 0.807, 0.0869), (10, 0.753, 0.0963), (13, 0.690, 0.1068),
         (16, 0.627, 0.1141), (22, 0.538, 0.1282), (23, 0.448, 0.1346)]

# 10 subjects: (time, status) with status 0 = censored, 1 = cause of interest, 2 = competing event
TT = [1, 2, 2, 3, 4, 4, 5, 6, 6, 7]
ST = [1, 2, 1, 0, 2, 1, 0, 1, 2, 0]


def test_single_cause_equals_one_minus_km_with_greenwood_se():
    """[R-6MP-log] CIF = 1 - S(t); SE = printed Greenwood std.err."""
    out = cumulative_incidence(SIX_MP_TIME, SIX_MP_EVENT, 1, [r[0] for r in R_6MP])
    for (t, s, se), (_, row) in zip(R_6MP, out.iterrows()):
        assert row["estimate"] == pytest.approx(1 - s, abs=5e-4)
        assert row["std_err"] == pytest.approx(se, abs=5e-5)


def test_hand_calculated_aalen_johansen_with_ties():
    """[HAND] distinct times, n at risk, d1, d2, S(t-):
    t=1: n=10 d1=1       F1 = 1/10                         S = 9/10
    t=2: n=9  d1=1 d2=1  F1 += 9/10 * 1/9 = .2, F2 = .1    S = 9/10 * 7/9 = 7/10
    t=3: censored
    t=4: n=6  d1=1 d2=1  F1 += 7/10 * 1/6 -> 19/60, F2 -> 13/60, S = 7/10 * 4/6 = 7/15
    t=6: n=3  d1=1 d2=1  F1 += 7/15 * 1/3 -> 0.47222, F2 -> 0.37222, S = 7/45
    """
    f1 = cumulative_incidence(TT, ST, 1, [0.5, 1, 2, 3, 4, 6, 7])["estimate"].to_numpy()
    f2 = cumulative_incidence(TT, ST, 2, [0.5, 1, 2, 3, 4, 6, 7])["estimate"].to_numpy()
    assert f1 == pytest.approx([0, 0.1, 0.2, 0.2, 19 / 60, 19 / 60 + 7 / 45, 19 / 60 + 7 / 45])
    assert f2 == pytest.approx([0, 0, 0.1, 0.1, 13 / 60, 13 / 60 + 7 / 45, 13 / 60 + 7 / 45])
    # F1 + F2 + S = 1 at every time (definition)
    assert f1[-1] + f2[-1] + 7 / 45 == pytest.approx(1)


def test_ij_standard_error_by_hand():
    """[HAND] 2 subjects: cause-1 event at 1, censored at 2.  F(1) = w1/(w1+w2); dF/dw1 = 1/4,
    dF/dw2 = -1/4 -> var = 1/8, se = 0.353553.  Log CI (R default): 0.5*exp(-/+1.96*0.7071)."""
    out = cumulative_incidence([1, 2], [1, 0], 1, [1]).iloc[0]
    assert out["estimate"] == 0.5
    assert out["std_err"] == pytest.approx(math.sqrt(1 / 8))
    z = 1.959963984540054
    assert out["ci_lower"] == pytest.approx(0.5 * math.exp(-z * math.sqrt(0.5)))
    assert out["ci_upper"] == 1.0


def test_ij_se_with_competing_event_is_positive_and_deterministic():
    a = cumulative_incidence(TT, ST, 1, [2, 4, 6])
    b = cumulative_incidence(TT, ST, 1, [2, 4, 6])
    assert a.equals(b)
    assert (a["std_err"] > 0).all()
    # n_risk uses R's convention (time >= t)
    assert a["n_risk"].tolist() == [9, 6, 3]


def test_before_first_and_after_last():
    out = cumulative_incidence(TT, ST, 1, [0, 7, 8])
    assert out["estimate"].iloc[0] == 0 and out["std_err"].iloc[0] == 0
    assert not math.isnan(out["estimate"].iloc[1])
    assert math.isnan(out["estimate"].iloc[2]) and out["n_risk"].iloc[2] == 0


def test_no_events_of_cause():
    out = cumulative_incidence([1, 2, 3], [2, 0, 2], 1, [3])
    assert out["estimate"].iloc[0] == 0 and out["std_err"].iloc[0] == 0


def test_plain_ci_option():
    out = cumulative_incidence(TT, ST, 1, [4], conf_type="plain").iloc[0]
    z = 1.959963984540054
    assert out["ci_lower"] == pytest.approx(max(0, out["estimate"] - z * out["std_err"]))
    assert out["ci_upper"] == pytest.approx(out["estimate"] + z * out["std_err"])


def test_bad_input():
    with pytest.raises(ValueError):
        cumulative_incidence([1, 2], [1], 1, [1])


# --- reference: the former O(n^2 T) implementation (complex-step IJ over an n x n weight matrix) ---------

def _old_aj_curve(t, status, cause, utime, w):
    at_risk = (t[None, :] >= utime[:, None]).astype(float)
    at_time = (t[None, :] == utime[:, None]).astype(float)
    is_event = (status != 0).astype(float)
    is_cause = (status == cause).astype(float)
    n_risk = w @ at_risk.T
    d_all = w @ (at_time * is_event).T
    d_k = w @ (at_time * is_cause).T
    with np.errstate(divide="ignore", invalid="ignore"):
        haz_all = np.where(d_all != 0, d_all / n_risk, 0)
        haz_k = np.where(d_k != 0, d_k / n_risk, 0)
    surv = np.cumprod(1 - haz_all, axis=1)
    surv_prev = np.concatenate([np.ones((w.shape[0], 1)), surv[:, :-1]], axis=1)
    return np.cumsum(surv_prev * haz_k, axis=1)


def _old_cumulative_incidence(time, status, cause, times, conf_level=0.95, conf_type="log"):
    t, s = np.asarray(time, float), np.asarray(status)
    req = np.asarray(times, float).ravel()
    utime = np.unique(t)
    n, step = t.size, 1e-30
    est = _old_aj_curve(t, s, cause, utime, np.ones((1, n)))[0]
    w = np.ones((n, n), dtype=complex) + 1j * step * np.eye(n)
    se = np.sqrt(np.sum((_old_aj_curve(t, s, cause, utime, w).imag / step) ** 2, axis=0))
    idx = np.searchsorted(utime, req, side="right") - 1
    est_t = np.concatenate([[0.0], est])[idx + 1]
    se_t = np.concatenate([[0.0], se])[idx + 1]
    beyond = req > utime[-1]
    est_t, se_t = np.where(beyond, np.nan, est_t), np.where(beyond, np.nan, se_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.where(se_t == 0, 0.0, se_t / est_t)
    lower, upper = confint(est_t, se_log, conf_level, conf_type)
    n_risk = np.array([int(np.sum(t >= r)) for r in req], dtype=int)
    return pd.DataFrame({"time": req, "n_risk": n_risk, "estimate": est_t, "std_err": se_t,
                         "ci_lower": lower, "ci_upper": upper})


def test_grouped_closed_form_equals_former_complex_step_on_random_data():
    """The closed-form grouped IJ variance equals the former complex-step computation (to rounding),
    including heavy ties, several competing causes, all-event last times and censoring-only data."""
    rng = np.random.default_rng(20240601)
    for _ in range(150):
        n = int(rng.integers(1, 50))
        t = rng.integers(0, int(rng.integers(1, 25)), n).astype(float)
        s = rng.choice([0, 1, 2, 3], n, p=rng.dirichlet([1, 1, 1, 1]))
        times = np.unique(np.concatenate([t, [-1, 0.5, t.max() + 1]]))
        for cause in (1, 2):
            for conf_type in ("log", "plain"):
                old = _old_cumulative_incidence(t, s, cause, times, conf_type=conf_type)
                new = cumulative_incidence(t, s, cause, times, conf_type=conf_type)
                assert new["n_risk"].tolist() == old["n_risk"].tolist()
                for col in ("estimate", "std_err", "ci_lower", "ci_upper"):
                    np.testing.assert_allclose(new[col], old[col], rtol=1e-10, atol=1e-14, equal_nan=True)


def test_curve_matches_table_at_distinct_times():
    curve = aalen_johansen_curve(TT, ST, 1)
    assert curve["time"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert curve["n_risk"].tolist() == [10, 9, 7, 6, 4, 3, 1]
    table = cumulative_incidence(TT, ST, 1, curve["time"])
    pd.testing.assert_frame_equal(curve, table, check_dtype=False)
    assert aalen_johansen_curve([], [], 1).empty


def test_hundred_thousand_subjects_two_thousand_times_fast():
    """Scaling: 100,000 subjects, 2,000 distinct times in well under a second (the former
    implementation needed an n x n complex matrix: 160 GB).  Accuracy at this size is checked
    against the un-expanded sum of squared grouped influences (O(T^2)) on a 300-time subset."""
    rng = np.random.default_rng(3)
    n = 100_000
    t = rng.integers(0, 2000, n).astype(float)
    s = rng.choice([0, 1, 2], n, p=[0.5, 0.3, 0.2])
    out = cumulative_incidence(t, s, 1, np.arange(0, 2000, 50))
    curve = aalen_johansen_curve(t, s, 2)
    assert len(curve) == 2000 and out["estimate"].notna().sum() == 40
    # F1 + F2 <= 1 and SE of order sqrt(F(1-F)/n)
    f1 = cumulative_incidence(t, s, 1, curve["time"])["estimate"].to_numpy()
    assert np.all(f1 + curve["estimate"].to_numpy() <= 1 + 1e-12)
    assert 0 < out["std_err"].iloc[-1] < 0.01


def _direct_grouped_se(t, s, cause):
    """Un-expanded O(T^2) sum over distinct times of multiplicity x (influence)^2."""
    utime, inv = np.unique(t, return_inverse=True)
    nc = np.bincount(inv[s == 0], minlength=utime.size).astype(float)
    nk = np.bincount(inv[s == cause], minlength=utime.size).astype(float)
    no = np.bincount(inv[(s != 0) & (s != cause)], minlength=utime.size).astype(float)
    nr = np.cumsum((nc + nk + no)[::-1])[::-1]
    h, hk = (nk + no) / nr, nk / nr
    sp = np.concatenate([[1.0], np.cumprod(1 - h)[:-1]])
    f = np.cumsum(sp * hk)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = np.concatenate([[0.0], np.cumsum(np.where(h < 1, h / (nr * (1 - h)), 0))[:-1]])
    g = np.cumsum(sp * hk * (cap - 1 / nr))
    gp = np.concatenate([[0.0], g[:-1]])
    beyond = nr[0] - np.cumsum(nc + nk + no)
    var = np.zeros(utime.size)
    for m in range(utime.size):
        v = beyond[m] * g[m] ** 2
        for mult, d, k in ((nc, 0, 0), (nk, 1, 1), (no, 1, 0)):
            sl = slice(0, m + 1)
            b = gp[sl] + sp[sl] * ((k - hk[sl]) / nr[sl] + hk[sl] * cap[sl])
            with np.errstate(divide="ignore", invalid="ignore"):
                c = cap[sl] - np.where(h[sl] < 1, (d - h[sl]) / (nr[sl] * (1 - h[sl])), 0)
            v += np.sum(mult[sl] * (b + c * (f[m] - f[sl])) ** 2)
        var[m] = v
    return np.sqrt(var)


def test_cumulative_sums_do_not_lose_precision_at_scale():
    rng = np.random.default_rng(11)
    t = rng.integers(0, 300, 100_000).astype(float)
    s = rng.choice([0, 1, 2], t.size, p=[0.6, 0.25, 0.15])
    se = aalen_johansen_curve(t, s, 1)["std_err"].to_numpy()
    np.testing.assert_allclose(se, _direct_grouped_se(t, s, 1), rtol=1e-10)


def test_missing_or_unreadable_times_are_refused_with_the_message():
    message = r"^time and status must be 1-d, same length, no missing times$"
    for times in ([1.0, float("nan")], [1.0, None]):
        with pytest.raises(ValueError, match=message):
            cumulative_incidence(times, [1, 0], 1, [1.0])
        with pytest.raises(ValueError, match=message):
            aalen_johansen_curve(times, [1, 0], 1)


def test_no_patients_gives_no_estimate_and_nobody_at_risk():
    """Empty input: every requested time is after the (absent) follow-up, so NaN, with 0 at risk; the curve
    is an empty frame with the table's columns (n_risk integer, the rest float)."""
    out = cumulative_incidence([], [], 1, [1.0, 2.0])
    assert out["time"].tolist() == [1.0, 2.0] and out["n_risk"].tolist() == [0, 0]
    assert out[["estimate", "std_err", "ci_lower", "ci_upper"]].isna().all().all()
    curve = aalen_johansen_curve([], [], 1)
    assert curve.empty
    assert curve.columns.tolist() == ["time", "n_risk", "estimate", "std_err", "ci_lower", "ci_upper"]
    assert curve.dtypes.map(str).tolist() == ["float64", "int64", "float64", "float64", "float64", "float64"]


def test_counts_are_integers_and_times_floats_whatever_the_input_types():
    """Integer times in, as read from a config's timepoints (12, not 12.0): the table's time column is float
    and n_risk integer, in the whole curve as at the requested times. By hand: times 1, 2, 3 (cause 1,
    competing, censored): at risk 3, 2, 1."""
    at = cumulative_incidence([1, 2, 3], [1, 2, 0], 1, [1, 2])
    assert at["time"].dtype == np.float64 and at["n_risk"].dtype == np.int64
    assert at["n_risk"].tolist() == [3, 2]
    curve = aalen_johansen_curve([1, 2, 3], [1, 2, 0], 1)
    assert curve["n_risk"].dtype == np.int64 and curve["n_risk"].tolist() == [3, 2, 1]


def test_no_numpy_warnings_when_the_last_patients_all_have_events():
    """The last time with every patient at risk having an event (hazard 1) and times before the first
    event of the cause (estimate 0, se 0) are handled without division warnings (which would fill the
    pipeline's logs). By hand: times 1 (competing), 2 (cause), 2 (competing): F(1) = 0; free of any event
    after 1: 2/3; at 2 one of the 2 at risk has the cause: F(2) = 2/3 * 1/2 = 1/3."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curve = aalen_johansen_curve([1.0, 2.0, 2.0], [2, 1, 2], 1)
        at = cumulative_incidence([1.0, 2.0, 2.0], [2, 1, 2], 1, [0.5, 1.0, 2.0])
    assert curve["estimate"].tolist() == pytest.approx([0.0, 1 / 3])
    assert at["estimate"].tolist() == pytest.approx([0.0, 0.0, 1 / 3])
