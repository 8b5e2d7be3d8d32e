"""The columnar helpers of the endpoint derivation (issue #23) against what they replace.

`left_join` / `join_patients` replace pandas merges on patient_id, `sort_codes` / `date_key` the
string and date sorts, and `mrd_methods` a Python function per patient: each is checked against the
pandas operation it stands for (an independent implementation) or against a hand-worked example.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ino_study.endpoints.adrs import NO_MRD_RESULT, mrd_methods
from ino_study.endpoints.sorting import date_key, join_patients, left_join, sort_codes

IDS = st.sampled_from(["P1", "P2", "P10", "p2", "Ж-3", "é", "P 1", "A,B"])


def right_table(ids: list[str]) -> pd.DataFrame:
    """One row per patient with a column of every type the analysis datasets carry."""
    n = len(ids)
    return pd.DataFrame({
        "patient_id": ids,
        "count": np.arange(n, dtype=np.int64),
        "value": np.linspace(0, 1, n),
        "flag": np.arange(n) % 2 == 0,
        "text": pd.Series(["x", None, "z", "w"] * n, dtype=object)[:n].to_numpy(),
        "date": pd.to_datetime(pd.Series(["2021-01-01", None] * n)[:n].to_numpy()),
        "grade": pd.array([1, None] * n, dtype="Int64")[:n],
        "known": pd.array([True, None] * n, dtype="boolean")[:n],
    })


@settings(max_examples=60, deadline=None)
@given(left_ids=st.lists(IDS, max_size=8), right_ids=st.lists(IDS, max_size=8, unique=True))
def test_left_join_is_the_left_merge(left_ids, right_ids):
    left = pd.DataFrame({"patient_id": left_ids, "order": range(len(left_ids))}, index=range(5, 5 + len(left_ids)))
    right = right_table(right_ids)
    expected, before = left.merge(right, on="patient_id", how="left"), left.copy()
    out = left_join(left, right)
    pd.testing.assert_frame_equal(out, expected)
    out["order"] = -1  # the result shares left's columns until one is set: left stays as it was
    pd.testing.assert_frame_equal(left, before)


def test_left_join_same_patients_in_order_and_fallbacks():
    right = right_table(["P1", "P2", "P3"])
    left = right[["patient_id"]].copy()
    pd.testing.assert_frame_equal(left_join(left, right), left.merge(right, on="patient_id", how="left"))
    # a repeated patient on the right, or a shared column name: the merge's own rules (rows repeated, suffixes)
    repeated = pd.concat([right, right.iloc[:1]], ignore_index=True)
    pd.testing.assert_frame_equal(left_join(left, repeated), left.merge(repeated, on="patient_id", how="left"))
    shared = left.assign(value=1.0)
    out = left_join(shared, right)
    assert {"value_x", "value_y"} <= set(out.columns)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(IDS, max_size=10), patients=st.lists(IDS, max_size=6, unique=True))
def test_join_patients_is_the_inner_merge(rows, patients):
    events = pd.DataFrame({"patient_id": rows, "source_row": range(len(rows))})
    base = right_table(patients)
    expected = events.merge(base[["patient_id", "date", "grade", "count"]], on="patient_id", how="inner")
    pd.testing.assert_frame_equal(join_patients(events, base, ["date", "grade", "count"]), expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(IDS, st.none(), st.text(max_size=3)), max_size=12))
def test_sort_codes_order_rows_as_sort_values(values):
    series = pd.Series(values, dtype=object)
    frame = pd.DataFrame({"id": series, "row": range(len(values))})
    expected = frame.sort_values("id", kind="stable")["row"].to_numpy()
    assert np.array_equal(np.argsort(sort_codes(series), kind="stable"), expected)


def test_sort_codes_by_hand():
    # code points: "B" (66) < "a" (97) < "ab" < "b" < "é" (233); missing last
    assert sort_codes(pd.Series(["b", None, "a", "B", "é", "a", "ab"])).tolist() == [3, 5, 1, 0, 4, 1, 2]


def test_date_key_puts_missing_dates_last():
    dates = pd.Series(pd.to_datetime(["2021-03-01", None, "2020-01-01", "2021-03-01"]))
    assert np.argsort(date_key(dates), kind="stable").tolist() == [2, 0, 3, 1]


def test_mrd_methods_by_hand():
    """Methods of the counted results (in the window, classed negative or positive), joined in the order
    flow, PCR, NGS; the lowest limit among them."""
    rows = [  # patient, in window, mrd_negative, method, limit
        ("A", True, True, "PCR", 0.001), ("A", True, False, "flow", 0.01), ("A", True, True, "PCR", None),
        ("A", False, True, "NGS", 0.0001),  # outside the window: not counted
        ("B", True, None, "flow", 0.01),  # cannot tell: not counted -> no MRD result
        ("C", True, True, None, None),  # counted, method not recorded
        ("D", True, False, "NGS", 0.0001), ("D", True, True, "flow", None),
        ("E", True, True, "FISH", 0.1),  # a method outside the list: named, but none of flow/PCR/NGS
    ]
    adrs = pd.DataFrame(rows, columns=["patient_id", "in_response_window", "mrd_negative", "mrd_method",
                                       "mrd_detection_limit_pct"])
    adrs["mrd_negative"] = adrs["mrd_negative"].astype("boolean")
    out = mrd_methods(adrs, pd.Series(["E", "D", "C", "B", "A", "F"]))
    assert out["patient_id"].tolist() == ["E", "D", "C", "B", "A", "F"]
    assert out["mrd_method"].tolist() == ["", "flow + NGS", None, NO_MRD_RESULT, "flow + PCR", NO_MRD_RESULT]
    limits = out["mrd_detection_limit_pct"].tolist()
    assert limits[0] == 0.1 and limits[1] == 0.0001 and limits[4] == 0.001
    assert np.isnan(limits[2]) and np.isnan(limits[3]) and np.isnan(limits[5])


@pytest.mark.parametrize("n", [0, 1])
def test_mrd_methods_small(n):
    adrs = pd.DataFrame({"patient_id": ["A"] * n, "in_response_window": [True] * n,
                         "mrd_negative": pd.array([True] * n, dtype="boolean"), "mrd_method": ["flow"] * n,
                         "mrd_detection_limit_pct": [0.01] * n})
    out = mrd_methods(adrs, pd.Series(["A"]))
    assert out["mrd_method"].tolist() == (["flow"] if n else [NO_MRD_RESULT])
