"""Apply a per-value function to a long column once per distinct value.

Labels for groups and table rows come from small functions of one value (booleans as yes/no,
missing as its own label); a column of 100,000 patients has a handful of distinct values.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd


def map_distinct(values: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """``values.map(function)`` as an object Series, with `function` called once per distinct value.

    ``use_na_sentinel=False`` keeps None / NaN / NA as values of their own, so `function` labels
    them itself.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    results = np.array([function(value) for value in uniques], dtype=object)
    return pd.Series(results[codes], index=values.index, name=values.name, dtype=object)
