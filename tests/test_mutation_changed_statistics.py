"""Tests for the survivors of the mutation recheck of ``logrank_test`` and ``_clean_inputs`` (issue #25),
changed in 097c8c4: logrank_test leaves out rows with a missing time, event, group or stratum as R's
``survdiff`` (``na.action = na.omit``) does; ``_clean_inputs`` refuses zero observations.

Expected numbers come from R's printed output, never from our own functions:

[R-AKH]  ``survdiff(Surv(t, Status) ~ Group)`` on the Freireich 6-MP data: ``Chisq= 16.8 on 1 degrees of
         freedom, p= 4e-05`` (the source quoted at the top of tests/test_statistics_comparisons.py).
[R-SURVDIFF-STRATA] ``survdiff(Surv(time, status) ~ pat.karno + strata(inst), data=lung)``, the survival
         package's tests/Examples/survival-Ex.Rout.save (the source quoted at the top of
         tests/test_centres.py):
         ``n=224, 4 observations deleted due to missingness`` ... ``Chisq= 21.4 on 7 degrees of freedom,
         p= 0.003``.  The 228-row lung data have 1 missing ``inst`` and 3 missing ``pat.karno``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ino_study.statistics.comparisons import logrank_test
from ino_study.statistics.kaplan_meier import km_fit

warnings.filterwarnings("ignore", category=Warning, module="lifelines")

SIX_MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
TIME = SIX_MP_TIME + PLACEBO_TIME
EVENT = SIX_MP_EVENT + [1] * 21
TREAT = ["6-MP"] * 21 + ["control"] * 21


def test_stratified_logrank_on_the_whole_lung_data_leaves_out_the_4_incomplete_rows_as_r():
    """[R-SURVDIFF-STRATA] given all 228 rows (not the 224 complete ones), R deletes the 4 rows with a missing
    group (pat.karno) or stratum (inst) and prints Chisq = 21.4 on 7 df, p = 0.003.  The missing group rows
    must go although a stratum is given, and the test must stay stratified after the rows are left out
    (unstratified these data give another chi-square, asserted in tests/test_centres.py)."""
    from lifelines import datasets

    lung = datasets.load_lung()
    assert len(lung) == 228 and lung["inst"].isna().sum() == 1 and lung["pat.karno"].isna().sum() == 3
    result = logrank_test(lung["time"], lung["status"], lung["pat.karno"], strata=lung["inst"])
    assert result.df == 7 and round(result.chi2, 1) == 21.4 and round(result.p_value, 3) == 0.003


def test_stratified_logrank_leaves_out_a_missing_time_event_or_group():
    """[R-AKH] the Freireich data in one stratum with three incomplete rows added (time, status, group
    missing), as survdiff(... + strata(s)) with na.omit: still Chisq = 16.8 on 1 df, p = 4e-05."""
    time = np.array(TIME + [5.0, np.nan, 3.0])
    event = np.array(EVENT + [1.0, 1.0, np.nan])
    group = np.array(TREAT + [None, "control", "6-MP"], dtype=object)
    result = logrank_test(time, event, group, strata=["a"] * 45)
    assert result.df == 1
    assert result.chi2 == pytest.approx(16.8, abs=0.05) and result.p_value == pytest.approx(4e-5, abs=5e-6)


def test_logrank_takes_a_missing_time_given_as_none():
    """[R-AKH] a time column holding None for a missing value (an object column, as pandas gives one with
    missing entries of mixed type): the row is left out, Chisq = 16.8 (converted to NaN, not a TypeError
    from testing an object array for NaN)."""
    time = TIME + [None]
    result = logrank_test(time, EVENT + [1], TREAT + ["control"])
    assert result.chi2 == pytest.approx(16.8, abs=0.05)


def test_logrank_takes_text_event_codes_with_r_missing_marker():
    """[R-AKH] status read as text, "1"/"0" with R's missing marker "NA" on one extra row: the codes are read
    as numbers and the "NA" row is left out (as R's read.csv + survdiff na.omit), Chisq = 16.8."""
    event = [str(v) for v in EVENT] + ["NA"]
    result = logrank_test(TIME + [2], event, TREAT + ["control"])
    assert result.df == 1 and result.chi2 == pytest.approx(16.8, abs=0.05)


def test_logrank_with_one_group_left_says_so():
    """Two groups given, but every row of one has a missing time: one group is left, and the error says
    what is wrong (R's survdiff: "There is only 1 group"), the whole message, nothing around it."""
    with pytest.raises(ValueError, match="^log-rank test needs at least two groups$"):
        logrank_test([1.0, 2.0, np.nan], [1, 0, 1], ["a", "a", "b"])


def test_km_no_observations_whole_message():
    """R: survfit on zero rows stops ("no (non-missing) observations"); here the whole message."""
    with pytest.raises(ValueError, match="^no observations: a Kaplan-Meier fit needs at least one time$"):
        km_fit([], [])


def test_km_missing_time_given_as_none_says_so():
    """A missing time given as None (object column) is refused with the message for missing times, as
    NaN is (not a TypeError from np.isnan on an object array)."""
    with pytest.raises(ValueError, match="^time contains missing values$"):
        km_fit([1.0, None, 3.0], [1, 0, 1])


def test_km_takes_text_event_codes():
    """Events read as text "1"/"0" are the 0/1 codes (as logrank_test reads them).  By hand: times 1, 2, 3
    with events 1, 0, 1: S(1) = 2/3, S(2) = 2/3 (censored), S(3) = 2/3 * (1 - 1/1) = 0."""
    table = km_fit([1.0, 2.0, 3.0], ["1", "0", "1"]).table
    assert table["n_event"].tolist() == [1, 0, 1] and table["n_censor"].tolist() == [0, 1, 0]
    assert table["survival"].tolist() == pytest.approx([2 / 3, 2 / 3, 0.0])
