"""Inputs the pipeline's own tables do not produce but a caller (or another centre's export) can: missing
or differently typed patient identifiers in the columnar joins, a nullable text column of MRD methods,
labels with a no-break space. Each expected result is pandas' merge (what the joins' docstrings say they
give) or worked out by hand; each input failed or gave a wrong result before the fix named beside it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ino_study.endpoints.adrs import mrd_methods
from ino_study.endpoints.labels import Labels
from ino_study.endpoints.sorting import join_patients, left_join, sort_codes


def test_left_join_with_missing_identifiers_in_both_tables_is_the_merge():
    """Was: TypeError 'boolean value of NA is ambiguous' (the same-order check compared with NA)."""
    left = pd.DataFrame({"patient_id": pd.array(["A", None], dtype="string"), "x": [1, 2]})
    right = pd.DataFrame({"patient_id": pd.array(["A", None], dtype="string"), "n": [5, 6]})
    pd.testing.assert_frame_equal(left_join(left, right), left.merge(right, on="patient_id", how="left"))
    shuffled = right.iloc[::-1].reset_index(drop=True)  # not in the same order: the lookup path
    pd.testing.assert_frame_equal(left_join(left, shuffled), left.merge(shuffled, on="patient_id", how="left"))


def test_left_join_of_text_and_numeric_identifiers_fails_as_the_merge_does():
    """Was: every row unmatched, silently (a lookup of "1" among 1s finds nothing); pandas' merge refuses
    to join text with integers, and matches True with 1."""
    left = pd.DataFrame({"patient_id": ["1", "2"], "x": [1, 2]})
    right = pd.DataFrame({"patient_id": [1, 2], "n": [5, 6]})
    with pytest.raises(ValueError, match="merge on object and int64"):
        left_join(left, right)
    booleans = pd.DataFrame({"patient_id": [True, False], "x": [1, 2]})
    pd.testing.assert_frame_equal(left_join(booleans, right), booleans.merge(right, on="patient_id", how="left"))


def test_joins_of_integer_identifiers_against_object_ones_are_the_merge():
    """int64 identifiers against object ones with a missing value (both integers where given): the merge
    makes the key column object; so do the joins now (the lookup kept int64)."""
    left = pd.DataFrame({"patient_id": [1, 2], "x": [7, 8]})
    right = pd.DataFrame({"patient_id": pd.Series([1, None], dtype=object), "y": [10, 20]})
    pd.testing.assert_frame_equal(left_join(left, right), left.merge(right, on="patient_id", how="left"))
    pd.testing.assert_frame_equal(join_patients(left, right, ["y"]),
                                  left.merge(right[["patient_id", "y"]], on="patient_id", how="inner"))


def test_join_patients_of_text_and_numeric_identifiers_fails_as_the_merge_does():
    """Was: no rows, silently (the inner join found no "1" among 1s)."""
    rows = pd.DataFrame({"patient_id": ["1", "2", "2"], "day": [1, 2, 3]})
    patients = pd.DataFrame({"patient_id": [1, 2], "arm": ["a", "b"]})
    with pytest.raises(ValueError, match="merge on object and int64"):
        join_patients(rows, patients, ["arm"])


def test_mrd_methods_of_a_nullable_text_column_with_a_missing_method():
    """Was: ValueError 'cannot convert to bool-dtype NumPy array with missing values'. By hand: A's counted
    results used flow and one of unrecorded method -> "flow"; B used PCR -> "PCR"."""
    adrs = pd.DataFrame({
        "patient_id": ["A", "A", "B"],
        "mrd_method": pd.array(["flow", None, "PCR"], dtype="string"),
        "mrd_detection_limit_pct": [0.01, 0.001, 0.01],
        "in_response_window": [True, True, True],
        "mrd_negative": pd.array([True, False, True], dtype="boolean"),
    })
    out = mrd_methods(adrs, pd.Series(["A", "B"]))
    assert out["mrd_method"].tolist() == ["flow", "PCR"]
    assert out["mrd_detection_limit_pct"].tolist() == [0.001, 0.01]


@pytest.mark.parametrize("label, in_text", [
    ("Prior\u00a0HSCT", "prior\u00a0HSCT"),   # a no-break space after the first word (was: left capitalised)
    ("Prior\tlines", "prior\tlines"),         # a tab
    ("HSCT\u00a0donor", "HSCT\u00a0donor"),   # an acronym first: kept
    ("", ""),
])
def test_variable_in_text_reads_the_first_word_up_to_any_white_space(label, in_text):
    labels = Labels.from_config({"labels": {"variables": {"x": label}}})
    assert labels.variable_in_text("x") == in_text


def test_sort_codes_of_a_text_series_are_the_ranks_of_pythons_sorted_order():
    """A Series of text (whose distinct values factorize gives back as an Index, which the fixed-width
    Unicode sort now also takes): the same ranks as Python's sorted()."""
    values = ["P10", "P2", None, "P1", "Я", "p0", "P2"]
    distinct = sorted({v for v in values if v is not None})
    expected = [len(distinct) if v is None else distinct.index(v) for v in values]
    assert sort_codes(pd.Series(values, dtype=object)).tolist() == expected
