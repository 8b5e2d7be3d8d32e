"""ADSL baseline derivations (issue #25, surviving mutants): `add_cr1_duration`, `age_group` (and with it
`_two_labels`, the vectorised label helper `derive_adsl_base` also uses for `refractory`).

Expected values are worked out by hand in the comments (CR1 duration in months = days / 30.4375, the
study's month; day counts from the calendar) or are the `Series.map` expression `_two_labels`' docstring
says it replaces, computed independently here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ino_study.endpoints.adsl import add_cr1_duration, age_group

# 2019-01-01 -> 2019-07-01: 31 + 28 + 31 + 30 + 31 + 30 = 181 days = 181 / 30.4375 = 5.9466 -> 5.95 months
# 2018-01-01 -> 2020-01-01: 365 + 365 = 730 days = 730 / 30.4375 = 24 - 0.5 / 30.4375 = 23.9836
#   -> 23.98 months
SHORT_CR1 = ("2019-01-01", "2019-07-01", 5.95)
LONG_CR1 = ("2018-01-01", "2020-01-01", 23.98)


def test_absent_optional_columns_are_typed_as_not_recorded():
    """An older clean table without the optional baseline columns: the dates are empty datetime columns
    (NaT, so `.dt` and date formatting work downstream), prior_lines an empty Int64 column and
    extramedullary_disease an empty boolean one, cns_status empty (None)."""
    base = pd.DataFrame({"patient_id": ["a", "b"], "relapse_number": pd.array([1, 0], dtype="Int64")})
    out = add_cr1_duration(base)
    for column in ("cr1_date", "first_relapse_date"):
        assert pd.api.types.is_datetime64_any_dtype(out[column]), column
        assert out[column].isna().all()
    assert out["prior_lines"].dtype == "Int64" and out["prior_lines"].isna().all()
    assert out["extramedullary_disease"].dtype == "boolean" and out["extramedullary_disease"].isna().all()
    assert out["cns_status"].tolist() == [None, None]
    assert out["cr1_duration_group"].tolist() == [None, "primary refractory"]  # no dates: not recorded


def test_recorded_prior_lines_and_extramedullary_disease_keep_their_values_typed():
    """prior_lines read as floats with a gap (as a CSV reader gives an integer column with a blank) become
    Int64 2, <NA>, 3; extramedullary_disease as Python True/None/False becomes boolean True, <NA>, False."""
    base = pd.DataFrame({
        "patient_id": ["a", "b", "c"], "relapse_number": pd.array([1, 1, 2], dtype="Int64"),
        "prior_lines": [2.0, np.nan, 3.0], "extramedullary_disease": [True, None, False],
    })
    out = add_cr1_duration(base)
    assert out["prior_lines"].dtype == "Int64"
    assert out["prior_lines"].tolist() == [2, pd.NA, 3]
    assert out["extramedullary_disease"].dtype == "boolean"
    assert out["extramedullary_disease"].tolist() == [True, pd.NA, False]


@pytest.mark.parametrize("relapse_number", [
    pd.array([None, 0, 2], dtype="Int64"),  # the clean table's type
    pd.Series([pd.NA, 0, 2], dtype=object),  # what pd.DataFrame makes of a list of ints with pd.NA
], ids=["Int64", "object"])
def test_unrecorded_relapse_number_is_not_primary_refractory(relapse_number):
    """Only relapse_number 0 is primary refractory; a missing relapse_number is not 0, so the CR1 dates give
    the group (181 days = 5.95 months: "< 18 months"; 730 days = 23.98 months: ">= 18 months")."""
    base = pd.DataFrame({
        "patient_id": ["a", "b", "c"], "relapse_number": relapse_number,
        "cr1_date": pd.to_datetime([SHORT_CR1[0], None, LONG_CR1[0]]),
        "first_relapse_date": pd.to_datetime([SHORT_CR1[1], None, LONG_CR1[1]]),
    })
    out = add_cr1_duration(base)
    assert out["cr1_duration_months"].tolist()[0::2] == [SHORT_CR1[2], LONG_CR1[2]]
    assert out["cr1_duration_group"].tolist() == ["< 18 months", "primary refractory", ">= 18 months"]


def test_base_is_neither_changed_nor_copied():
    """add_cr1_duration adds and replaces columns on a shallow copy: the caller's frame keeps its columns
    and values, and the columns it does not derive are shared, not duplicated (a registry-sized ADSL is
    not copied whole for five new columns)."""
    ages = np.array([8.5, 12.0, 15.25])
    base = pd.DataFrame({
        "patient_id": ["a", "b", "c"], "relapse_number": pd.array([1, 0, 2], dtype="Int64"),
        "age_at_first_dose_years": ages, "prior_lines": [2.0, np.nan, 3.0],
    })
    before = base.copy(deep=True)
    out = add_cr1_duration(base)
    pd.testing.assert_frame_equal(base, before)  # prior_lines still float, no new columns
    column = "age_at_first_dose_years"
    assert np.shares_memory(out[column].to_numpy(), base[column].to_numpy())


def documented_map(values: pd.Series) -> pd.Series:
    """The expression `_two_labels`' docstring says it gives (for age_group: "<10 y" below 10)."""
    return values.map(lambda v: None if pd.isna(v) else ("<10 y" if v < 10 else ">=10 y"))


@pytest.mark.parametrize("ages", [
    pd.Series([5.0, np.nan, 10.0, 12.5]),
    pd.Series([5, None, 10, 12], dtype="Int64"),
    pd.Series([5.0, None, 10.0, 12.5], dtype="Float64"),
    pd.Series([5, None, 10, 12.5], dtype=object),
    pd.Series([5, pd.NA, 10, 12.5], dtype=object),
], ids=["float64", "Int64", "Float64", "object-None", "object-NA"])
def test_age_group_labels_as_the_documented_map(ages):
    """5 -> "<10 y", missing -> None, 10 (the cut-off) and 12.5 -> ">=10 y", whatever the column's type;
    the index and name of the ages are kept, as Series.map keeps them."""
    ages = ages.set_axis([17, 3, 42, 8]).rename("age_at_first_dose_years")
    out = age_group(ages)
    assert out.tolist() == ["<10 y", None, ">=10 y", ">=10 y"]
    pd.testing.assert_series_equal(out, documented_map(ages))
    assert out.index.tolist() == [17, 3, 42, 8] and out.name == "age_at_first_dose_years"


def test_age_group_missing_stays_none_with_future_string_inference():
    """pandas 3 infers a string dtype (missing = NaN) for a column of str and None unless told otherwise;
    its opt-in in pandas 2.3 (future.infer_string) shows the labels stay an object column with None for a
    missing age, as the docstring says."""
    with pd.option_context("future.infer_string", True):
        out = age_group(pd.Series([4.0, np.nan, 11.0]))
    assert out.dtype == object
    assert out.tolist() == ["<10 y", None, ">=10 y"] and out.iloc[1] is None


def test_age_group_of_an_empty_categorical_column():
    """No patients: no labels. For a categorical column (ages coded as levels) Series.map works on the
    categories even without rows, so the empty result must still be a text (object) column of labels,
    not an error nor a numeric column."""
    ages = pd.Series(pd.Categorical([], categories=[5.0, 12.0]), name="age_at_first_dose_years")
    out = age_group(ages)
    assert len(out) == 0 and out.dtype == object
