"""Validation of ino_study.statistics.proportions.clopper_pearson.

Sources:
[R-binom]   R ``binom.test(x, n)`` printed "95 percent confidence interval".  Values:
            * binom.test(682, 925, p = 0.75) (R's ?binom.test example, Mendel's peas):
              0.7076683 0.7654066 (R documentation example output).
            * binom.test(0, 10): 0.0000000 0.3084971; the upper limit has the closed form
              1 - 0.025^(1/10) = 0.30850 (by hand).
            * binom.test(10, 10): 0.6915029 1.0000000 (mirror of the above, closed form 0.025^(1/10)).
[CP-closed] x = n = 1: lower = alpha/2 = 0.025 exactly (closed form of qbeta(0.025, 1, 1)).
[scipy]     Cross-check against scipy.stats.binomtest(...).proportion_ci("exact"), an independent
            implementation (scipy >= 1.7).
"""

from __future__ import annotations

import math

import pytest
from scipy.stats import binomtest

from ino_study.statistics.proportions import clopper_pearson


def test_mendel_peas_r_example():
    """[R-binom] binom.test(682, 925): 95% CI 0.7076683-0.7654066."""
    rate, lo, up = clopper_pearson(682, 925)
    assert rate == pytest.approx(682 / 925)
    assert (lo, up) == pytest.approx((0.7076683, 0.7654066), abs=5e-8)


def test_zero_and_all_successes_closed_form():
    """[R-binom] 0/10 -> (0, 0.3084971); 10/10 -> (0.6915029, 1)."""
    assert clopper_pearson(0, 10) == pytest.approx((0.0, 0.0, 1 - 0.025 ** 0.1))
    assert clopper_pearson(0, 10)[2] == pytest.approx(0.3084971, abs=5e-8)
    assert clopper_pearson(10, 10) == pytest.approx((1.0, 0.025 ** 0.1, 1.0))


def test_one_of_one():
    """[CP-closed]"""
    assert clopper_pearson(1, 1) == pytest.approx((1.0, 0.025, 1.0))


@pytest.mark.parametrize("x,n", [(1, 17), (9, 17), (7, 12), (3, 50), (49, 50)])
def test_matches_scipy_exact(x, n):
    """[scipy] independent implementation of the same definition."""
    ci = binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")
    _, lo, up = clopper_pearson(x, n)
    assert (lo, up) == pytest.approx((ci.low, ci.high), abs=1e-10)


def test_conf_level_90():
    ci = binomtest(5, 20).proportion_ci(confidence_level=0.9, method="exact")
    assert clopper_pearson(5, 20, 0.9)[1:] == pytest.approx((ci.low, ci.high), abs=1e-10)


def test_n_zero_returns_nan():
    assert all(math.isnan(v) for v in clopper_pearson(0, 0))


@pytest.mark.parametrize("x,n", [(-1, 5), (6, 5), (1.5, 5)])
def test_invalid(x, n):
    with pytest.raises(ValueError):
        clopper_pearson(x, n)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5])
def test_conf_level_outside_0_1_is_refused_with_its_message(level):
    with pytest.raises(ValueError, match=r"^conf_level must be in \(0, 1\)$"):
        clopper_pearson(3, 10, level)


def test_invalid_counts_message():
    with pytest.raises(ValueError, match="^need integers 0 <= successes <= n$"):
        clopper_pearson(6, 5)
