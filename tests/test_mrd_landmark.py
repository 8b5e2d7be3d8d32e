"""OS by MRD status at a landmark (ino_study.statistics.mrd_landmark), worked by hand.

[HAND] Landmark L = 180 days (the response window's end); first dose on day 0.

  A  MRD-negative, dies day 100           -> excluded (dead before the landmark)
  B  MRD-negative, censored day 150       -> excluded (not followed to the landmark)
  C  MRD-positive, dies day 180           -> excluded (OS time must be > L)
  D  MRD-negative, dies day 300           -> MRD-negative, 120 days after L, death
  E  MRD-negative, censored day 580       -> MRD-negative, 400 days after L, censored
  F  MRD-positive, dies day 240           -> not negative, 60 days after L, death
  G  no MRD result, dies day 400          -> not negative ("not assessed"), 220 days after L, death
  H  MRD-negative, not analysed           -> not in any group

KM (months = days / 30.4375): negative at 3 mo (91.3 d) S = 1, n_risk 2; 6 mo (182.6 d) S = 1/2
(death at 120 d), n_risk 1. Not negative: 3 mo S = 1/2 (death at 60 d), n_risk 1; 6 mo S = 1/2, n_risk 1.
Log-rank, event times 60 (not), 120 (neg), 220 (not):
  60:  n 4 (2 neg, 2 not), E_not 1/2, V 1/4;  120: n 3 (2, 1), E_not 1/3, V 2/9;  220: n 2, E_not 1/2, V 1/4
  O - E = 2 - 4/3 = 2/3, V = 13/18, chi2 = 8/13.
Cox (x = 1 for MRD-negative; no ties, so Efron = Breslow), u = exp(b):
  score 1 - [u/(u+1) + 2u/(2u+1) + u/(u+1)] = 0  ->  4u^2 + u - 1 = 0  ->  HR = (sqrt(17) - 1) / 8
  information 2u/(u+1)^2 + 2u/(2u+1)^2; Wald interval exp(b -+ z se).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2 as chi2_dist
from scipy.stats import norm

from ino_study.endpoints.definitions import DAYS_PER_MONTH
from ino_study.statistics.mrd_landmark import (
    MRD_LANDMARK_COLUMNS,
    MRD_NEGATIVE,
    MRD_NOT_NEGATIVE,
    mrd_landmark_data,
    mrd_landmark_table,
)

DAY0 = pd.Timestamp("2020-01-01")
Z95 = 1.959963984540054
# (id, OS days, death 0/1, mrd_negative, included)
COHORT = [
    ("A", 100, 1, True, True),
    ("B", 150, 0, True, True),
    ("C", 180, 1, False, True),
    ("D", 300, 1, True, True),
    ("E", 580, 0, True, True),
    ("F", 240, 1, False, True),
    ("G", 400, 1, False, True),
    ("H", 500, 1, True, False),
]


def frames(patients=COHORT):
    ids = [p[0] for p in patients]
    days = np.array([p[1] for p in patients])
    event = np.array([p[2] for p in patients])
    adsl = pd.DataFrame({"patient_id": ids, "included": [p[4] for p in patients],
                         "mrd_negative": [p[3] for p in patients], "first_dose_date": DAY0})
    keep = adsl["included"].to_numpy()
    adtte = pd.DataFrame({"patient_id": ids, "PARAMCD": "OS", "AVAL_DAYS": days, "AVAL": days / DAYS_PER_MONTH,
                          "CNSR": 1 - event, "EVNTCD": event})[keep]
    return adtte, adsl


def test_who_enters_the_landmark_and_times_reset():
    data = mrd_landmark_data(*frames(), 180)
    got = [(r.patient_id, r.group, r.time, r.event) for r in data.itertuples()]
    assert got == [("D", MRD_NEGATIVE, 120, 1), ("E", MRD_NEGATIVE, 400, 0),
                   ("F", MRD_NOT_NEGATIVE, 60, 1), ("G", MRD_NOT_NEGATIVE, 220, 1)]


def test_mrd_landmark_table_by_hand():
    table = mrd_landmark_table(*frames(), 180, timepoints_months=(3, 6))
    assert list(table.columns) == MRD_LANDMARK_COLUMNS
    assert table["landmark_days"].tolist() == [180] * 4
    assert table["group"].tolist() == [MRD_NEGATIVE] * 2 + [MRD_NOT_NEGATIVE] * 2
    assert table["n"].tolist() == [2, 2, 2, 2] and table["events"].tolist() == [1, 1, 2, 2]
    assert table["n_risk"].tolist() == [2, 1, 1, 1]
    assert table["survival"].tolist() == pytest.approx([1, 0.5, 0.5, 0.5])
    assert table["logrank_chi2"].tolist() == pytest.approx([8 / 13] * 4)
    assert table["logrank_p"].iloc[0] == pytest.approx(chi2_dist.sf(8 / 13, 1))
    u = (math.sqrt(17) - 1) / 8
    se = 1 / math.sqrt(2 * u / (u + 1) ** 2 + 2 * u / (2 * u + 1) ** 2)
    b = math.log(u)
    assert table["hr"].iloc[0] == pytest.approx(u, rel=1e-6)
    assert table["hr_ci_lower"].iloc[0] == pytest.approx(math.exp(b - Z95 * se), rel=1e-5)
    assert table["hr_ci_upper"].iloc[0] == pytest.approx(math.exp(b + Z95 * se), rel=1e-5)
    assert table["cox_p_value"].iloc[0] == pytest.approx(2 * norm.sf(abs(b / se)), rel=1e-5)
    assert table["note"].iloc[0].startswith("HR: MRD-negative vs MRD-positive or not assessed.")


def test_beyond_the_last_follow_up_is_missing():
    table = mrd_landmark_table(*frames(), 180, timepoints_months=(24,))
    assert table["survival"].isna().all()  # negative: last follow-up 400 d; not negative: 220 d < 730.5 d


def test_one_group_empty_or_no_deaths_in_one_group():
    only_negative = [p for p in COHORT if p[3]]
    table = mrd_landmark_table(*frames(only_negative), 180, timepoints_months=(3,))
    empty = table[table["group"] == MRD_NOT_NEGATIVE].iloc[0]
    assert empty["n"] == 0 and empty["n_risk"] == 0 and math.isnan(empty["survival"])
    assert table["logrank_p"].isna().all() and table["hr"].isna().all()
    no_deaths_negative = [p for p in COHORT if p[0] != "D"]
    table = mrd_landmark_table(*frames(no_deaths_negative), 180, timepoints_months=(3,))
    assert table["hr"].isna().all() and "not estimable" in table["note"].iloc[0]
    assert not math.isnan(table["logrank_p"].iloc[0])


NO_TEST = "Fewer than two groups or no deaths after the landmark: no log-rank test or Cox model."


def test_hazard_ratio_note_names_the_small_number_of_deaths():
    """The hand cohort: 3 deaths after the landmark for 1 parameter -> the HR note then the
    events-per-variable warning (Peduzzi et al. 1996: fewer than 10), in full."""
    table = mrd_landmark_table(*frames(), 180, timepoints_months=(3,))
    assert table["note"].iloc[0] == ("HR: MRD-negative vs MRD-positive or not assessed. Only 3 events for 1 "
                                     "parameter(s) (3.0 events per variable < 10): estimates may be unreliable.")


def test_hazard_ratio_with_ten_deaths_per_parameter_has_no_warning():
    """[HAND] 6 MRD-negative and 6 not-negative deaths after L = 180 (12 >= 10 per parameter): the HR
    note alone. Alternating death days make the two groups' hazards equal in rank: still a model."""
    cohort = [(f"N{i}", 200 + 20 * i, 1, True, True) for i in range(6)]
    cohort += [(f"P{i}", 210 + 20 * i, 1, False, True) for i in range(6)]
    table = mrd_landmark_table(*frames(cohort), 180, timepoints_months=(3,))
    assert table["note"].iloc[0] == "HR: MRD-negative vs MRD-positive or not assessed."
    assert not math.isnan(table["hr"].iloc[0])


def test_hazard_ratio_at_another_confidence_level_by_hand():
    """The module docstring's Cox fit, 90% Wald interval exp(b -+ z_0.95 se)."""
    table = mrd_landmark_table(*frames(), 180, timepoints_months=(3,), conf_level=0.9)
    u = (math.sqrt(17) - 1) / 8
    se = 1 / math.sqrt(2 * u / (u + 1) ** 2 + 2 * u / (2 * u + 1) ** 2)
    z90 = norm.ppf(0.95)
    assert table["hr_ci_lower"].iloc[0] == pytest.approx(u * math.exp(-z90 * se), rel=1e-5)
    assert table["hr_ci_upper"].iloc[0] == pytest.approx(u * math.exp(z90 * se), rel=1e-5)


@pytest.mark.parametrize(("ids", "note"), [
    ({"E"}, NO_TEST),                                     # one group, no death
    ({"D", "E"}, NO_TEST),                                # one group with a death
    ({"E", "G"}, "HR not estimable: no deaths after the landmark in one group (monotone likelihood)."),
])
def test_no_hazard_ratio_notes(ids, note):
    table = mrd_landmark_table(*frames([p for p in COHORT if p[0] in ids]), 180, timepoints_months=(3,))
    assert table["note"].iloc[0] == note
    assert table["hr"].dtype == float and table["hr"].isna().all()
    assert table["cox_p_value"].isna().all()


def test_two_groups_without_deaths_after_the_landmark_have_no_test():
    """E (negative) and a not-negative patient censored on day 300: two groups, no death."""
    cohort = [p for p in COHORT if p[0] == "E"] + [("Q", 300, 0, False, True)]
    table = mrd_landmark_table(*frames(cohort), 180, timepoints_months=(3,))
    assert table["n"].tolist() == [1, 1]
    assert table["note"].iloc[0] == NO_TEST and table["hr"].isna().all()


def test_not_assessed_mrd_is_not_negative():
    """G has no MRD result (missing, not False): 'not negative' as the module docstring says."""
    cohort = [p if p[0] != "G" else ("G", 400, 1, None, True) for p in COHORT]
    data = mrd_landmark_data(*frames(cohort), 180).set_index("patient_id")
    assert data.loc["G", "group"] == MRD_NOT_NEGATIVE


def test_mrd_log_rank_with_a_single_death_and_none():
    """[HAND] E (negative, censored 400 d after L) and F (not negative, dies 60 d after L): one
    death with both at risk, chi2 = (1 - 1/2)^2 / (1/4) = 1, p = 0.3173105 (R pchisq(1, 1, lower =
    FALSE)). Without F's death: no test (NaN, a number)."""
    one = mrd_landmark_table(*frames([p for p in COHORT if p[0] in {"E", "F"}]), 180, timepoints_months=(3,))
    assert one["logrank_chi2"].tolist() == pytest.approx([1.0, 1.0])
    assert one["logrank_p"].iloc[0] == pytest.approx(0.3173105, abs=5e-8)
    cohort = [p for p in COHORT if p[0] == "E"] + [("Q", 300, 0, False, True)]
    none = mrd_landmark_table(*frames(cohort), 180, timepoints_months=(3,))
    assert none["logrank_chi2"].isna().all() and none["logrank_p"].isna().all()
    only_negative = mrd_landmark_table(*frames([p for p in COHORT if p[3]]), 180, timepoints_months=(3,))
    assert only_negative["logrank_chi2"].dtype == float and only_negative["logrank_chi2"].isna().all()


def test_mrd_log_confidence_interval_by_hand():
    """[HAND] Negative group at 6 months: S = 1/2 (n = 2, d = 1), var(log S) = 1/2; conf_type "log":
    lower 0.5 exp(-1.96 sqrt(1/2)) (the plain interval's lower is 0)."""
    table = mrd_landmark_table(*frames(), 180, timepoints_months=(6,), conf_type="log")
    assert table["ci_lower"].iloc[0] == pytest.approx(0.5 * math.exp(-Z95 * math.sqrt(0.5)), rel=1e-12)


def test_mrd_times_are_float_for_integer_timepoints():
    table = mrd_landmark_table(*frames(), 180, timepoints_months=[3, 6])
    assert table["time_months_after_landmark"].dtype == float
