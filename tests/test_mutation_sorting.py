"""Direct checks of the columnar sort/join helpers of ino_study.endpoints.sorting.

sort_codes, in_order and date_key are checked against Python's own ordering (``sorted`` of the
distinct values, tuple comparison) and against ``Series.sort_values``; join_patients and left_join
against frames worked out by hand and against the pandas merge their docstrings name.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ino_study.endpoints.sorting import date_key, in_order, join_patients, left_join, sort_codes


def ranks_by_python(values: list) -> list[int]:
    """Each value's rank among the distinct non-missing values in Python's sorted order; missing last."""
    distinct = sorted({v for v in values if v is not None})
    rank = {v: i for i, v in enumerate(distinct)}
    return [len(distinct) if v is None else rank[v] for v in values]


# ---------------------------------------------------------------------------------------------- sort_codes
# The pipeline passes Series (whose factorize uniques come back as an Index); a numpy array takes the
# branch that orders text as fixed-width Unicode. Both inputs must give the same ranks.
AS_SERIES_OR_ARRAY = [pytest.param(lambda v: pd.Series(v, dtype=object), id="series"),
                      pytest.param(lambda v: np.array(v, dtype=object), id="ndarray")]


@pytest.mark.parametrize("wrap", AS_SERIES_OR_ARRAY)
def test_sort_codes_ranks_text_in_code_point_order_with_missing_last(wrap):
    # distinct values sorted by code point: "P1" < "P10" < "P2" < "p0" ('P' is 80, 'p' is 112);
    # four distinct values, so None ranks 4
    values = ["P10", "P2", None, "P1", "P2", "p0"]
    assert sort_codes(wrap(values)).tolist() == [1, 2, 4, 0, 2, 3]
    # by code point: "A" (U+0041) < "z" (U+007A) < "Б" (U+0411) < "Я" (U+042F)
    assert sort_codes(wrap(["Я", "Б", "z", "A"])).tolist() == [3, 2, 1, 0]
    # numeric-looking text is still text: "10" < "9"
    assert sort_codes(wrap(["9", "10", "100"])).tolist() == [2, 0, 1]


@pytest.mark.parametrize("wrap", AS_SERIES_OR_ARRAY)
def test_sort_codes_ranks_numbers_by_value_not_by_their_digits(wrap):
    # by value 9 < 10 < 100 (as text "10" < "100" < "9" would give [2, 0, 1, 2])
    assert sort_codes(wrap([9, 10, 100, 9])).tolist() == [0, 1, 2, 0]
    assert sort_codes(wrap([10, None, 9])).tolist() == [1, 2, 0]
    assert sort_codes(wrap([2.5, -1.0, 10.0])).tolist() == [1, 0, 2]


def test_sort_codes_of_numeric_arrays_and_series():
    assert sort_codes(np.array([10, 9, 100, 9])).tolist() == [1, 0, 2, 0]
    assert sort_codes(pd.Series([10.0, np.nan, 9.0, 100.0])).tolist() == [1, 3, 0, 2]
    dates = pd.Series(pd.to_datetime(["2020-03-01", None, "1960-05-01", "2020-03-01"]))
    assert sort_codes(dates).tolist() == [1, 2, 0, 1]
    assert sort_codes(dates.to_numpy()).tolist() == [1, 2, 0, 1]


def test_sort_codes_of_nothing_and_of_only_missing_values():
    # no distinct values: every missing value ranks 0 (= the number of distinct values)
    assert sort_codes(pd.Series([None, None], dtype=object)).tolist() == [0, 0]
    assert sort_codes(pd.Series([], dtype=object)).tolist() == []


# no NUL in the alphabet: pandas' factorize compares strings only up to a NUL
TEXT = st.one_of(st.none(), st.text(alphabet="aAzZ09 _éЯБ", max_size=4))


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT, max_size=12))
def test_sort_codes_of_text_are_pythons_sorted_ranks(values):
    expected = ranks_by_python(values)
    assert sort_codes(pd.Series(values, dtype=object)).tolist() == expected
    assert sort_codes(np.array(values, dtype=object)).tolist() == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-1000, 1000)), max_size=12))
def test_sort_codes_of_integers_are_pythons_sorted_ranks(values):
    expected = ranks_by_python(values)
    assert sort_codes(pd.Series(values, dtype=object)).tolist() == expected
    assert sort_codes(np.array(values, dtype=object)).tolist() == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(TEXT, max_size=12))
def test_sorting_on_sort_codes_orders_rows_as_sort_values(values):
    """The module's promise: a stable sort on the codes gives sort_values' row order (missing last)."""
    series = pd.Series(values, dtype=object)
    by_codes = np.argsort(sort_codes(series), kind="stable").tolist()
    assert by_codes == series.sort_values(kind="stable", na_position="last").index.tolist()


# ------------------------------------------------------------------------------------------------ in_order
def in_order_by_python(*keys: np.ndarray) -> bool:
    rows = list(zip(*(k.tolist() for k in keys)))
    return all(a <= b for a, b in zip(rows, rows[1:]))


def test_in_order_by_hand():
    assert in_order(np.array([1, 2]))
    assert not in_order(np.array([2, 1]))  # two rows are enough to be out of order
    assert in_order(np.array([5]))
    assert not in_order(np.array([1, 3, 2]))  # only the last pair is out of order
    # the second key only matters where the first is tied: rows (0,1) (1,1) (1,0): the last pair is
    # tied on the first key and descends on the second
    assert not in_order(np.array([0, 1, 1]), np.array([0, 1, 0]))
    # rows (0,0,1) (1,0,0): ordered by the first key, so the later keys do not matter
    assert in_order(np.array([0, 1]), np.array([0, 0]), np.array([1, 0]))
    # rows (0,0,0) (0,0,1) (1,1,0): ties carried over two keys, then ordered by the third
    assert in_order(np.array([0, 0, 1]), np.array([0, 0, 1]), np.array([0, 1, 0]))
    assert not in_order(np.array([0, 0, 1]), np.array([0, 0, 1]), np.array([1, 0, 0]))


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 3).flatmap(lambda k: st.lists(
    st.tuples(*[st.integers(0, 2)] * k), max_size=7)), st.integers(1, 3))
def test_in_order_is_lexicographic_order_of_the_rows(rows, n_keys):
    n_keys = len(rows[0]) if rows else n_keys
    keys = [np.array([row[j] for row in rows], dtype=np.int64) for j in range(n_keys)]
    assert in_order(*keys) == in_order_by_python(*keys)
    # rows sorted with Python are always in order
    ordered = sorted(rows)
    assert in_order(*[np.array([row[j] for row in ordered], dtype=np.int64) for j in range(n_keys)])


# ------------------------------------------------------------------------------------------------ date_key
def test_date_key_is_nanoseconds_since_1970_with_missing_dates_last():
    dates = pd.Series(pd.to_datetime(["2020-01-01", None, "1960-01-01", "1970-01-02"]))
    key = date_key(dates)
    assert key.dtype == np.int64
    # 1960-01-01 is 3653 days (3 leap years: 1960, 1964, 1968) before 1970-01-01; 2020-01-01 is 18262 days
    # after (50 years, 12 leap days); NaT takes the largest int64 so that it sorts last
    day = 86_400 * 10**9
    assert key.tolist() == [18262 * day, np.iinfo(np.int64).max, -3653 * day, day]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-30_000, 30_000)), max_size=10))
def test_sorting_on_date_key_orders_rows_as_sort_values(days):
    dates = pd.Series(pd.to_datetime([None if d is None else pd.Timestamp("1970-01-01") + pd.Timedelta(days=d)
                                      for d in days]), dtype="datetime64[ns]")
    by_key = np.argsort(date_key(dates), kind="stable").tolist()
    assert by_key == dates.sort_values(kind="stable", na_position="last").index.tolist()


# ------------------------------------------------------------------------------------------- join_patients
def test_join_patients_with_one_row_per_patient_keeps_matched_rows_in_their_order():
    rows = pd.DataFrame({"patient_id": ["B", "Z", "A", "B"], "x": [1, 2, 3, 4]}, index=[7, 8, 9, 10])
    patients = pd.DataFrame({"patient_id": ["A", "B", "C"], "age": pd.array([30, None, 50], dtype="Int64"),
                             "hsct": [True, False, True],
                             "first_dose_date": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"])})
    got = join_patients(rows, patients, ["age", "first_dose_date", "hsct"])
    # Z has no patient row: dropped; the others keep their order, a fresh 0.. index, the columns' types
    expected = pd.DataFrame({"patient_id": ["B", "A", "B"], "x": [1, 3, 4],
                             "age": pd.array([None, 30, None], dtype="Int64"),
                             "first_dose_date": pd.to_datetime(["2020-02-01", "2020-01-01", "2020-02-01"]),
                             "hsct": [False, True, False]})
    pd.testing.assert_frame_equal(got, expected)
    columns = ["patient_id", "age", "first_dose_date", "hsct"]
    merged = rows.merge(patients[columns], on="patient_id", how="inner")
    pd.testing.assert_frame_equal(got, merged)


def test_join_patients_with_several_rows_per_patient_is_the_inner_merge():
    """Patient B has two rows: each of B's rows comes out twice, in `patients`' order; Z (no row) is dropped.

    Expected frame by hand (pandas' inner merge keeps the left rows' order, the right matches in theirs).
    """
    rows = pd.DataFrame({"patient_id": ["A", "Z", "B", "A"], "x": [1, 2, 3, 4]}, index=[5, 6, 7, 8])
    patients = pd.DataFrame({"patient_id": ["B", "A", "B"], "hsct_date": pd.to_datetime(
        ["2020-01-10", "2020-02-10", "2020-03-10"]), "unused": [0, 0, 0]})
    got = join_patients(rows, patients, ["hsct_date"])
    hsct = pd.to_datetime(["2020-02-10", "2020-01-10", "2020-03-10", "2020-02-10"])
    expected = pd.DataFrame({"patient_id": ["A", "B", "B", "A"], "x": [1, 3, 3, 4], "hsct_date": hsct})
    pd.testing.assert_frame_equal(got, expected)


def test_join_patients_with_several_rows_per_patient_joins_on_patient_id_only():
    """A column in both tables is no join key: the merge on patient_id keeps both, suffixed _x and _y."""
    rows = pd.DataFrame({"patient_id": ["A", "B"], "arm": ["1", "2"]})
    patients = pd.DataFrame({"patient_id": ["A", "A", "B"], "arm": ["1", "9", "3"]})
    got = join_patients(rows, patients, ["arm"])
    expected = pd.DataFrame({"patient_id": ["A", "A", "B"], "arm_x": ["1", "1", "2"],
                             "arm_y": ["1", "9", "3"]})
    pd.testing.assert_frame_equal(got, expected)


# ----------------------------------------------------------------------------------------------- left_join
def test_left_join_by_hand_keeps_every_left_row_and_fills_unmatched_ones():
    left = pd.DataFrame({"patient_id": ["C", "A", "Z"], "x": [1, 2, 3]}, index=[10, 20, 30])
    right = pd.DataFrame({"patient_id": ["A", "B", "C"], "n": [7, 8, 9], "flag": [True, False, True],
                          "text": ["a", "b", "c"], "when": pd.to_datetime(["2020-01-01", None, "2020-01-03"]),
                          "count": pd.array([1, None, 3], dtype="Int64")})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas deprecation (e.g. take of a non-standard array)
        got = left_join(left, right)
    # Z has no row in `right`: missing values, integers becoming floats and booleans objects, as in the merge
    expected = pd.DataFrame({"patient_id": ["C", "A", "Z"], "x": [1, 2, 3], "n": [9.0, 7.0, np.nan],
                             "flag": np.array([True, True, np.nan], dtype=object), "text": ["c", "a", np.nan],
                             "when": pd.to_datetime(["2020-01-03", "2020-01-01", None]),
                             "count": pd.array([3, 1, None], dtype="Int64")})
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(got, left.merge(right, on="patient_id", how="left"))


def test_left_join_of_the_same_patients_in_the_same_order_keeps_integer_columns():
    left = pd.DataFrame({"patient_id": ["A", "B"], "x": [1, 2]})
    right = pd.DataFrame({"patient_id": ["A", "B"], "n": [5, 6]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = left_join(left, right)
    pd.testing.assert_frame_equal(got, pd.DataFrame({"patient_id": ["A", "B"], "x": [1, 2], "n": [5, 6]}))


@pytest.mark.parametrize("right_ids", [["B", "A"], ["A", "B"]], ids=["reordered", "same order"])
def test_left_join_does_not_copy_the_left_columns(right_ids):
    """Its documented design: a shallow copy of `left` with `right`'s columns added, not a merge's copy."""
    left = pd.DataFrame({"patient_id": ["A", "B"], "x": [1.5, 2.5]})
    got = left_join(left, pd.DataFrame({"patient_id": right_ids, "n": [5, 6]}))
    assert np.shares_memory(got["x"].to_numpy(), left["x"].to_numpy())
    assert got["n"].tolist() == ([6, 5] if right_ids == ["B", "A"] else [5, 6])


def test_left_join_falls_back_to_the_merge_when_a_column_is_in_both_tables():
    """A column in both tables: the merge keeps both (_x, _y) and every left row, Z's right values missing."""
    left = pd.DataFrame({"patient_id": ["A", "Z"], "arm": ["1", "2"]})
    right = pd.DataFrame({"patient_id": ["A", "B"], "arm": ["9", "8"]})
    expected = pd.DataFrame({"patient_id": ["A", "Z"], "arm_x": ["1", "2"], "arm_y": ["9", np.nan]})
    pd.testing.assert_frame_equal(left_join(left, right), expected)


def test_left_join_falls_back_to_the_merge_when_right_repeats_a_patient():
    """A repeats: A's left row comes out once per right row; Z (no right row) is kept with a missing value."""
    left = pd.DataFrame({"patient_id": ["Z", "A"], "x": [1, 2]})
    right = pd.DataFrame({"patient_id": ["A", "A"], "n": [5.0, 6.0]})
    expected = pd.DataFrame({"patient_id": ["Z", "A", "A"], "x": [1, 2, 2], "n": [np.nan, 5.0, 6.0]})
    pd.testing.assert_frame_equal(left_join(left, right), expected)
