"""Validation of ino_study.statistics.competing_risks.cumulative_incidence.

Sources:
[R-6MP-log]  Published R ``summary(survfit(Surv(t, Status) ~ Group))`` output for the Freireich 6-MP
             arm (see tests/test_statistics_kaplan_meier.py): S and Greenwood std.err.  With a single
             event type the Aalen-Johansen CIF is 1 - KM, and the infinitesimal-jackknife variance of
             the unweighted KM equals Greenwood's (Therneau, survival "methods" vignette), so R's
             ``survfit(Surv(time, factor(status)) ~ 1)`` must reproduce 1 - S and the same std.err.
[HAND]       Hand calculation of the Aalen-Johansen estimator (Putter, Fiocco & Geskus 2007, eq. 8) on a
             10-subject example with ties; IJ derivatives by hand for a 2-subject example.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ino_study.statistics.competing_risks import cumulative_incidence

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
