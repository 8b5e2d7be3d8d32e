"""Hand-worked checks of endpoint helpers changed in bb7cd5f: rows whose identifier is missing match no
patient whatever the kind of the other table's ids (sorting._same_kind), and mrd_methods' text column."""

import numpy as np
import pandas as pd

from ino_study.endpoints.adrs import mrd_methods
from ino_study.endpoints.sorting import join_patients, left_join


def test_all_missing_identifiers_match_no_integer_identifier():
    """A table whose patient_id column holds only missing values (object None: a column read with no id
    filled in) joined to integer identifiers: an empty column is of no kind, so it is looked up like any
    other, and no missing id equals 1 or 2. Expected by hand: left_join keeps both rows with y missing
    (integers becoming floats, as in a merge with no match); join_patients keeps no row. (The merge itself
    refuses object against int64 keys, which is why an all-missing column must not count as another kind.)"""
    left = pd.DataFrame({"patient_id": pd.Series([None, None], dtype=object), "x": [7, 8]})
    right = pd.DataFrame({"patient_id": [1, 2], "y": [10, 20]})
    out = left_join(left, right)
    assert list(out.columns) == ["patient_id", "x", "y"]
    assert out["x"].tolist() == [7, 8]
    assert out["patient_id"].isna().all()
    assert out["y"].dtype == np.float64 and out["y"].isna().all()
    joined = join_patients(left, right, ["y"])
    assert len(joined) == 0
    assert list(joined.columns) == ["patient_id", "x", "y"]


def test_mrd_method_stays_an_object_column_with_future_string_inference():
    """pandas 3 infers a string dtype (missing = NaN) for a column of str and None unless told otherwise;
    under its opt-in in pandas 2.3 (future.infer_string) mrd_method must stay an object column with None
    for a patient whose counted result names no method (the docstring's "empty"), as it is in pandas 2.
    Expected by hand: A used flow and PCR -> "flow + PCR" (MRD_METHOD_ORDER), B's result names no
    method -> None, C has no counted result -> "no MRD result"."""
    with pd.option_context("future.infer_string", True):
        adrs = pd.DataFrame({"patient_id": ["A", "A", "B"], "mrd_method": ["PCR", "flow", None],
                             "mrd_detection_limit_pct": [0.001, 0.01, np.nan]})
        adrs["in_response_window"] = True
        adrs["mrd_negative"] = pd.array([True, False, True], dtype="boolean")
        out = mrd_methods(adrs, pd.Series(["A", "B", "C"]))
    assert out["mrd_method"].dtype == object
    assert out["mrd_method"].tolist() == ["flow + PCR", None, "no MRD result"]
    assert out["mrd_method"].iloc[1] is None
    limits = out["mrd_detection_limit_pct"]
    assert limits.iloc[0] == 0.001 and limits.iloc[1:].isna().all()
