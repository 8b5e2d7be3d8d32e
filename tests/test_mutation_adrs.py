"""Hand-worked boundary checks of adrs (assessment_responses, best_response, mrd_methods) and of
Labels.variable_in_text.

Every expected value is worked out by hand in the comments from the definitions in the docstrings
of ino_study.endpoints.adrs (CR: blasts below max_blasts_pct with ANC >= cr_min_anc_10e9_l and
platelets >= cr_min_platelets_10e9_l; PR: an M2 marrow with blasts at most half of the baseline)
and of Labels.variable_in_text (a leading capital is lowered unless the first word is an acronym or
mixed case).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ino_study.endpoints.adrs import (NO_MRD_RESULT, assessment_response, assessment_responses, best_response,
                                      mrd_methods)
from ino_study.endpoints.definitions import ResponseCriteria
from ino_study.endpoints.labels import Labels


def responses(rows: list[tuple[float, float, float, float]], criteria: ResponseCriteria) -> list[str | None]:
    """assessment_responses of (blasts, anc, platelets, baseline blasts) rows."""
    blasts, anc, platelets, baseline = (np.array(column, dtype=float) for column in zip(*rows))
    return assessment_responses(blasts, anc, platelets, baseline, criteria).tolist()


@pytest.mark.parametrize("criteria", [ResponseCriteria(), ResponseCriteria(cr_min_anc_10e9_l=0.5,
                                                                           cr_min_platelets_10e9_l=50.0)])
def test_count_recovery_counts_at_exactly_the_thresholds(criteria):
    """The count thresholds are inclusive (ANC >= and platelets >=): a count equal to the threshold is
    recovered (CR); a count just below it is not (CRi). Defaults 1.0 x10^9/l and 100 x10^9/l."""
    anc, plt = criteria.cr_min_anc_10e9_l, criteria.cr_min_platelets_10e9_l
    rows = [  # blasts 1% < 5%: CR or CRi by the counts
        (1.0, anc, plt, 60.0),          # both exactly at the threshold: CR
        (1.0, anc, plt + 1, 60.0),      # ANC at the threshold, platelets above: CR
        (1.0, anc + 1, plt, 60.0),      # platelets at the threshold, ANC above: CR
        (1.0, anc - 0.01, plt, 60.0),   # ANC just below: CRi
        (1.0, anc, plt - 0.1, 60.0),    # platelets just below: CRi
    ]
    expected = ["CR", "CR", "CR", "CRi", "CRi"]
    assert responses(rows, criteria) == expected
    # the per-value definition says the same
    assert [assessment_response(*row, criteria) for row in rows] == expected


def test_partial_response_at_exactly_half_the_baseline_blasts():
    """PR needs an M2 marrow (5% to < 25%) with blasts AT MOST half of the baseline: exactly half is PR."""
    criteria = ResponseCriteria()
    rows = [  # blasts, anc, platelets, baseline; counts low (irrelevant above 5% blasts)
        (10.0, 0.1, 10.0, 20.0),   # 10 = 20 / 2: PR
        (12.5, 0.1, 10.0, 25.0),   # 12.5 = 25 / 2: PR
        (5.0, 0.1, 10.0, 10.0),    # 5 (M2, the lowest) = 10 / 2: PR
        (10.5, 0.1, 10.0, 20.0),   # 10.5 > 10: NR
        (24.0, 0.1, 10.0, 48.0),   # 24 = 48 / 2, still M2: PR
    ]
    expected = ["PR", "PR", "PR", "NR", "PR"]
    assert responses(rows, criteria) == expected
    assert [assessment_response(*row, criteria) for row in rows] == expected


def test_mrd_evaluations_is_an_integer_count():
    """mrd_evaluations counts a patient's in-window results classed negative or positive: a count, so an
    integer column (a float column would write 2.0 in the CSV). By hand: P1 two in-window results (one
    negative, one positive; a third out of the window and a fourth not known are not counted), P2 none,
    P3 one."""
    adrs = pd.DataFrame({
        "patient_id": ["P1", "P1", "P1", "P1", "P2", "P3"],
        "ADT": pd.to_datetime(["2020-01-10", "2020-02-10", "2020-12-10", "2020-03-10", "2020-01-10",
                               "2020-01-20"]),
        "AVALC": ["CR", "CR", "CR", "CR", "NR", "CRi"],
        "mrd_negative": pd.array([True, False, True, None, None, True], dtype="boolean"),
        "in_response_window": [True, True, False, True, True, True],
    })
    out = best_response(adrs, pd.Series(["P1", "P2", "P3"]))
    assert out["mrd_evaluations"].tolist() == [2, 0, 1]
    assert pd.api.types.is_integer_dtype(out["mrd_evaluations"])
    assert out.to_csv(index=False).splitlines()[1].split(",")[5] == "2"


def counted_mrd(rows: list[tuple]) -> pd.DataFrame:
    """An adrs frame of (patient, mrd_method, mrd_detection_limit_pct) rows, each in the window and
    classed negative (so each is counted)."""
    adrs = pd.DataFrame(rows, columns=["patient_id", "mrd_method", "mrd_detection_limit_pct"])
    adrs["in_response_window"] = True
    adrs["mrd_negative"] = pd.array([True] * len(rows), dtype="boolean")
    return adrs


def test_mrd_methods_columns_with_an_indexed_patient_list():
    """The result is one row per patient of `patient_ids`, indexed 0..n-1, with exactly the columns
    patient_id, mrd_method, mrd_detection_limit_pct, whatever the index of `patient_ids` (adsl's
    included patients keep their row labels)."""
    adrs = counted_mrd([("A", "flow", 0.01), ("B", "PCR", 0.001)])
    ids = pd.Series(["B", "C", "A"], index=[5, 9, 2])
    out = mrd_methods(adrs, ids)
    assert list(out.columns) == ["patient_id", "mrd_method", "mrd_detection_limit_pct"]
    assert out.index.tolist() == [0, 1, 2]
    assert out["patient_id"].tolist() == ["B", "C", "A"]
    assert out["mrd_method"].tolist() == ["PCR", NO_MRD_RESULT, "flow"]


def test_mrd_methods_a_limit_that_is_not_a_number_is_not_recorded():
    """A detection limit written as text that is not a number ("n/a", "see report") counts as not
    recorded: the lowest of the readable limits is given, empty (NaN) when none is readable.
    By hand: A 0.01 and "n/a" -> 0.01; B only "see report" -> NaN; C "0.001" (a number as text) -> 0.001."""
    adrs = counted_mrd([("A", "flow", 0.01), ("A", "PCR", "n/a"), ("B", "NGS", "see report"),
                        ("C", "flow", "0.001")])
    out = mrd_methods(adrs, pd.Series(["A", "B", "C"]))
    assert out["mrd_method"].tolist() == ["flow + PCR", "NGS", "flow"]
    limits = out["mrd_detection_limit_pct"].tolist()
    assert limits[0] == 0.01 and np.isnan(limits[1]) and limits[2] == 0.001


@pytest.mark.parametrize("name, in_text", [
    # only the FIRST word decides: later acronyms (InO, HSCT, CR1) do not keep the leading capital
    ("age_at_first_dose_years", "age at first InO dose, years"),
    ("hsct_donor_type", "donor of the HSCT after InO"),
    ("cr1_duration_months", "duration of CR1, months"),
    ("cumulative_dose_mg_m2", "cumulative InO dose, mg/m2"),
])
def test_variable_in_text_looks_at_the_first_word_only(name, in_text):
    """The dictionary's own labels (ino_study.endpoints.labels.VARIABLE_LABELS) inside a sentence."""
    assert Labels().variable_in_text(name) == in_text


@pytest.mark.parametrize("label, in_text", [
    ("X-ray findings", "x-ray findings"),   # first word 'X-ray': a capital then lower case: lowered
    ("E-mail contact", "e-mail contact"),
    ("", ""),                               # a blanked label (config may set one to ""): kept, no error
    ("  ", "  "),                           # only spaces: kept
])
def test_variable_in_text_hyphenated_and_blank_labels(label, in_text):
    """A leading capital is lowered when the rest of the first word is lower case, whatever follows the
    capital (a hyphen here); an empty label comes back empty."""
    labels = Labels.from_config({"labels": {"variables": {"x": label}}})
    assert labels.variable_in_text("x") == in_text
