"""Binomial proportions with exact (Clopper-Pearson) intervals.

Mirrors R ``binom.test(x, n, conf.level = ...)$conf.int`` (Clopper & Pearson
1934), computed from beta quantiles:
``lower = qbeta(a/2, x, n - x + 1)`` (0 when x = 0) and
``upper = qbeta(1 - a/2, x + 1, n - x)`` (1 when x = n).
"""

from __future__ import annotations

import math


def clopper_pearson(successes: int, n: int, conf_level: float = 0.95) -> tuple[float, float, float]:
    """Return ``(rate, lower, upper)``; NaNs when ``n == 0`` (no error).

    Raises ValueError for negative counts, successes > n, non-integers or a
    confidence level outside (0, 1).
    """
    from scipy import special  # imported when used: the figure processes import this module
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must be in (0, 1)")
    if int(successes) != successes or int(n) != n or successes < 0 or n < 0 or successes > n:
        raise ValueError("need integers 0 <= successes <= n")
    x, n = int(successes), int(n)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    alpha = 1 - conf_level
    lower = 0.0 if x == 0 else float(special.betaincinv(x, n - x + 1, alpha / 2))
    upper = 1.0 if x == n else float(special.betaincinv(x + 1, n - x, 1 - alpha / 2))
    return (x / n, lower, upper)
