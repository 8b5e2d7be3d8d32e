"""Response after course 1, conversion from CRi to CR and response by subgroup (issue 21, item 3),
hand-worked on tiny cohorts. Fisher p-values are the hypergeometric sums worked out in the comments
(the two-sided p of R's fisher.test: the probabilities of the tables no more likely than the observed)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from ino_study.endpoints.definitions import ResponseCriteria
from ino_study.endpoints.derive import derive_analysis_datasets
from ino_study.statistics.response_subgroups import response_by_subgroup
from ino_study.tables.response import response_table
from test_endpoints import RULES, cohort

CYCLE1 = [(0, 1, 0.8), (7, 1, 0.5), (14, 1, 0.5)]


def a(day, blasts, anc, plt):
    return (day, blasts, anc, plt, None, None, "missing")


PATIENTS = [
    # cycle 2 from day 28: CRi on day 21 is the course-1 response; CR on day 49 the best (CRi -> CR)
    {"id": "A", "doses": CYCLE1 + [(28, 2, 0.5)], "assessments": [a(21, 1.0, 0.5, 150.0), a(49, 1.0, 2.0, 150.0)]},
    # no cycle 2: CR on day 30, within course1_days (42)
    {"id": "B", "assessments": [a(30, 1.0, 2.0, 150.0)]},
    # no cycle 2: first assessment on day 60, after course1_days: not assessed after course 1
    {"id": "C", "assessments": [a(60, 1.0, 2.0, 150.0)]},
    # cycle 2 from day 28, NR on day 25 (last before cycle 2), CRi on day 50 (first CRi, never CR)
    {"id": "D", "doses": CYCLE1 + [(28, 2, 0.5)], "assessments": [a(20, 1.0, 2.0, 150.0), a(25, 40.0, 2.0, 150.0),
                                                                  a(50, 1.0, 0.5, 50.0)]},
]


def adsl(course1_days: int = 42) -> pd.DataFrame:
    rules = dataclasses.replace(RULES, response=ResponseCriteria(course1_days=course1_days))
    return derive_analysis_datasets(cohort(PATIENTS), rules)["adsl"].set_index("patient_id")


def test_course1_response_by_hand():
    data = adsl()
    assert data.loc["A", "course1_response"] == "CRi" and data.loc["A", "best_response"] == "CR"
    assert data.loc["A", "first_remission_response"] == "CRi"
    assert data.loc["B", "course1_response"] == "CR"
    assert pd.isna(data.loc["C", "course1_response"]) and data.loc["C", "best_response"] == "CR"
    # the last assessment before cycle 2 (day 25, NR), not the CR of day 20
    assert data.loc["D", "course1_response"] == "NR"
    assert data.loc["D", "course1_response_date"] == data.loc["D", "first_dose_date"] + pd.Timedelta(days=25)
    assert data.loc["D", "first_remission_response"] == "CR"  # day 20 was a CR (counts recovered)
    # a longer course-1 window takes C's day-60 CR
    assert adsl(course1_days=60).loc["C", "course1_response"] == "CR"


def test_course1_and_conversion_rows_by_hand():
    table = response_table(adsl().reset_index(), 0.95).set_index(["measure", "population"])
    assert table.loc[("Course 1 CR", "evaluable"), ["count", "denominator"]].tolist() == [1, 4]  # B
    assert table.loc[("Course 1 CRi", "evaluable"), "count"] == 1  # A
    assert table.loc[("Course 1 CR/CRi", "evaluable"), "count"] == 2
    assert table.loc[("Not assessed after course 1", "evaluable"), "count"] == 1  # C
    # first CR/CRi was CRi: A only (D's first was the CR of day 20); A's best is CR -> 1/1
    assert table.loc[("CRi converted to CR", "first CR/CRi was CRi"), ["count", "denominator"]].tolist() == [1, 1]


def test_course1_responses_of_no_patient_keep_the_column_types():
    """No patient and no assessment (an empty cohort): the columns keep their types (responses are text,
    dates are dates), as for a cohort with patients, so joining them onto ADSL changes no type."""
    from ino_study.endpoints.course1 import COURSE1_COLUMNS, course1_responses

    adrs = pd.DataFrame({"patient_id": pd.Series([], dtype=object),
                         "in_response_window": pd.Series([], dtype=bool),
                         "AVALC": pd.Series([], dtype=object), "ADT": pd.Series([], dtype="datetime64[ns]"),
                         "ADY": pd.Series([], dtype="int64")})
    doses = pd.DataFrame({"patient_id": pd.Series([], dtype=object), "cycle": pd.Series([], dtype="int64"),
                          "date": pd.Series([], dtype="datetime64[ns]")})
    out = course1_responses(adrs, doses, pd.Series([], dtype=object), 42)
    assert list(out.columns) == COURSE1_COLUMNS and len(out) == 0
    assert out["course1_response"].dtype == object and out["first_remission_response"].dtype == object
    assert out["course1_response_date"].dtype == "datetime64[ns]"
    # the same types with patients
    data = adsl()
    assert data["course1_response"].dtype == object and data["first_remission_response"].dtype == object


def subgroup_cohort() -> pd.DataFrame:
    """16 evaluable patients: prior HSCT no 8/10 responders, yes 4/6; CD22 < 90% 6/10 (one of them not
    recorded below), >= 90% 6/6; one more patient not evaluable (left out)."""
    responder = [True] * 8 + [False] * 2 + [True] * 4 + [False] * 2
    prior = [False] * 10 + [True] * 6
    # CD22: >= 90 for 6 responders, < 90 for 6 responders and all 4 non-responders
    cd22 = [95.0] * 6 + [50.0] * 2 + [50.0] * 2 + [50.0] * 4 + [50.0] * 2
    rows = pd.DataFrame({"patient_id": [f"P{i:02d}" for i in range(16)], "included": True, "evaluable": True,
                         "responder": responder, "prior_hsct": prior, "cd22_pct": cd22})
    extra = pd.DataFrame([{"patient_id": "P99", "included": True, "evaluable": False, "responder": False,
                           "prior_hsct": True, "cd22_pct": 99.0}])
    return pd.concat([rows, extra], ignore_index=True)


def test_response_by_subgroup_by_hand():
    table = response_by_subgroup(subgroup_cohort(), ("prior_hsct",), 90.0).set_index(["variable", "level"])
    assert table.loc[("prior_hsct", "no"), ["responders", "denominator"]].tolist() == [8, 10]
    assert table.loc[("prior_hsct", "yes"), ["responders", "denominator"]].tolist() == [4, 6]
    # margins 16 patients, 12 responders, 10 without prior HSCT: P(x) = C(10,x) C(6,12-x) / C(16,12), x = 6..10:
    # 210, 720, 675, 200, 15 (/1820); observed x = 8 (675): p = (210 + 675 + 200 + 15) / 1820
    assert table.loc[("prior_hsct", "no"), "p_value"] == pytest.approx(1100 / 1820)
    assert table.loc[("prior_hsct", "yes"), "p_value"] == pytest.approx(1100 / 1820)
    # CD22: < 90% has 6/10 (x = 6 of the same margins, 210): p = (210 + 200 + 15) / 1820
    assert table.loc[("cd22_expression", "< 90%"), ["responders", "denominator"]].tolist() == [6, 10]
    assert table.loc[("cd22_expression", ">= 90%"), ["responders", "denominator", "rate"]].tolist() == [6, 6, 1.0]
    assert table.loc[("cd22_expression", "< 90%"), "p_value"] == pytest.approx(425 / 1820)
    # exact interval of 8/10 (R binom.test(8, 10)$conf.int: 0.4439045 0.9747893)
    assert table.loc[("prior_hsct", "no"), "ci_lower"] == pytest.approx(0.4439045, abs=1e-7)
    assert table.loc[("prior_hsct", "no"), "ci_upper"] == pytest.approx(0.9747893, abs=1e-7)


def test_missing_level_is_shown_not_tested():
    data = subgroup_cohort()
    data.loc[0, "cd22_pct"] = np.nan  # a responder with CD22 not recorded
    table = response_by_subgroup(data, (), 90.0).set_index("level")
    assert table.loc["missing", ["responders", "denominator"]].tolist() == [1, 1]
    assert math.isnan(table.loc["missing", "p_value"])
    # tested: >= 90% 5/5 vs < 90% 6/10; margins 15, 11, 10: P(x) = C(10,x) C(5,11-x) / C(15,11), x = 6..10:
    # 210*1, 120*5, 45*10, 10*10, 1*5 = 210, 600, 450, 100, 5 (/1365); observed x = 6 (210): (210+100+5)/1365
    assert table.loc["< 90%", "p_value"] == pytest.approx(315 / 1365)


def test_no_variation_in_response_gives_p_one():
    data = subgroup_cohort()
    data["responder"] = True
    table = response_by_subgroup(data, ("prior_hsct",), 90.0)
    assert (table["p_value"] == 1.0).all()


def test_cd22_levels_at_the_cut_off_and_keeping_the_index():
    from ino_study.statistics.response_subgroups import cd22_levels

    levels = cd22_levels(pd.Series([95.0, 90.0, 89.9, None], index=[10, 11, 12, 13]), 90.0)
    assert levels.index.tolist() == [10, 11, 12, 13]  # aligned with the patients it was given
    assert levels.tolist() == [">= 90%", ">= 90%", "< 90%", None]  # at the cut-off is ">="


@pytest.mark.parametrize(("table", "expected"), [
    # R fisher.test(matrix(c(3, 1, 1, 3), 2, byrow = TRUE)): margins 4, 4 / 4, 4; P(x) = C(4,x) C(4,4-x) / 70
    # = 1, 16, 36, 16, 1 (/70); observed x = 3: p = (1 + 16 + 16 + 1) / 70; a level without patients is dropped
    ([[3, 1], [0, 0], [1, 3]], 34 / 70),
    # one patient in a level still counts: margins 1, 5 / 1, 5: P(x = 1) = 1/6, P(x = 0) = 5/6; p = 1/6
    ([[1, 0], [0, 5]], 1 / 6),
    ([[3, 1]], math.nan),           # one level: nothing to compare
    ([[3, 1], [0, 0]], math.nan),   # one level with patients
    ([[3, 0], [2, 0]], 1.0),        # nobody failed to respond: no variation
])
def test_fisher_p_by_hand(table, expected):
    from ino_study.statistics.response_subgroups import fisher_p

    p = fisher_p(np.array(table))
    assert (math.isnan(p) and math.isnan(expected)) or p == pytest.approx(expected, rel=1e-9)


def test_subgroup_interval_follows_the_confidence_level():
    """The 90% exact interval of 8/10 solves the binomial tails at 5% each (Clopper & Pearson 1934):
    P(X >= 8 | lower) = 0.05 and P(X <= 8 | upper) = 0.05, summed here from the binomial terms."""
    table = response_by_subgroup(subgroup_cohort(), ("prior_hsct",), 90.0, 0.90).set_index(["variable", "level"])
    lower, upper = table.loc[("prior_hsct", "no"), ["ci_lower", "ci_upper"]]

    def tail(p, ks):
        return sum(math.comb(10, k) * p ** k * (1 - p) ** (10 - k) for k in ks)

    assert tail(lower, range(8, 11)) == pytest.approx(0.05, abs=1e-9)
    assert tail(upper, range(0, 9)) == pytest.approx(0.05, abs=1e-9)


def test_subgroups_of_no_evaluable_patient_keep_the_columns():
    data = subgroup_cohort()
    data["evaluable"] = False
    table = response_by_subgroup(data, ("prior_hsct",), 90.0)
    assert table.empty and table.columns.tolist() == ["variable", "level", "responders", "denominator", "rate",
                                                      "ci_lower", "ci_upper", "p_value"]


def test_course1_edges_by_hand():
    data = derive_analysis_datasets(cohort([
        # cycle 2 from day 28 (cycle number 2, not later): an assessment on that day is not before cycle 2,
        # so the course-1 response is the CRi of day 21, not the CR of day 28 (which is within course1_days)
        {"id": "E", "doses": CYCLE1 + [(28, 2, 0.5)],
         "assessments": [a(21, 1.0, 0.5, 150.0), a(28, 1.0, 2.0, 150.0)]},
        # no cycle 2: CR on day 20, then an MRD-only assessment on day 30 (no marrow: no response category),
        # which is not a response assessment; the course-1 response stays the CR of day 20
        {"id": "F", "assessments": [a(20, 1.0, 2.0, 150.0), (30, None, None, None, 0.005, "=", "measured")]},
    ]), RULES)["adsl"].set_index("patient_id")
    assert data.loc["E", "course1_response"] == "CRi"
    assert data.loc["E", "course1_response_date"] == data.loc["E", "first_dose_date"] + pd.Timedelta(days=21)
    assert data.loc["F", "course1_response"] == "CR"
    assert data.loc["F", "course1_response_date"] == data.loc["F", "first_dose_date"] + pd.Timedelta(days=20)
