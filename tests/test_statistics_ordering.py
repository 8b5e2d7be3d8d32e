"""sort_stable: the same rows in the same order as sort_values(kind="stable"), sorted or not."""

import numpy as np
import pandas as pd
import pytest

from ino_study.statistics.ordering import in_order, sort_stable


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("by", [["p"], ["p", "x"], ["x", "p"]])
def test_sort_stable_equals_stable_sort_values(seed, by):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    frame = pd.DataFrame({"p": np.array(["a", "b", "aa", "B"])[rng.integers(0, 4, n)],
                          "x": rng.integers(0, 3, n).astype(float), "row": np.arange(n)})
    if seed % 2:
        frame = frame.sort_values(by, kind="stable")
    if seed % 5 == 0 and n:
        frame.loc[frame.index[0], "x"] = np.nan
    expected = frame.sort_values(by, kind="stable")
    result = sort_stable(frame, by)
    assert result.equals(expected) and result.index.tolist() == expected.index.tolist()


def test_in_order_needs_every_key_and_no_missing_values():
    frame = pd.DataFrame({"p": ["a", "a", "b"], "x": [2, 1, 0]})
    assert in_order(frame, ["p"]) and not in_order(frame, ["p", "x"])
    assert not in_order(pd.DataFrame({"p": ["a", None]}), ["p"])


def test_in_order_cases_by_hand():
    """Short frames are in order; a later key counts only between rows tied on every earlier key."""
    assert in_order(pd.DataFrame({"p": []}), ["p"]) and in_order(pd.DataFrame({"p": ["b"]}), ["p"])
    assert in_order(pd.DataFrame({"p": ["a", "b"], "x": [1, 0]}), ["p", "x"])  # x falls across a p change
    assert not in_order(pd.DataFrame({"p": ["a", "b", "b"], "x": [0, 5, 1]}), ["p", "x"])  # 5 > 1 within b
    # tied on q but not on p: r may fall
    assert in_order(pd.DataFrame({"p": ["a", "b"], "q": [1, 1], "r": [5, 0]}), ["p", "q", "r"])
    assert not in_order(pd.DataFrame({"p": ["b", 1]}), ["p"])  # incomparable: left to sort_values


def test_sort_stable_returns_the_frame_itself_when_in_order():
    frame = pd.DataFrame({"p": ["a", "b", "b"], "x": [0, 1, 1]})
    assert sort_stable(frame, ["p", "x"]) is frame
