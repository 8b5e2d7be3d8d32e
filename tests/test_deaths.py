"""Deaths: causes by period and early mortality (ino_study.statistics.deaths), worked by hand.

[HAND] Five analysed patients, first dose on day 0, doses on days 0, 7, 14 (last dose day 14) unless
said otherwise; records -> derive_analysis_datasets -> deaths_table, so that the recorded
``death_cause`` is also checked on its way into adsl.

  P1 dies day 20, "сепсис"                        -> during InO (20 <= 14 + 30), infection
  P2 last dose day 21, dies day 51, "VOD/SOS"     -> during InO (51 = 21 + 30: the last day), VOD/SOS
  P3 HSCT day 45, dies day 45, cause blank        -> after HSCT (death on the day of HSCT), not recorded
  P4 dies day 100, "рецидив"                      -> after InO without HSCT (100 > 44), relapse/progression
  P5 alive, last contact day 25                   -> censored before day 30 (counted as alive)

Counts over the 5 analysed: during InO 2 (40%), after HSCT 1 (20%), after InO without HSCT 1 (20%),
all 4 (80%). Day 30: P1 -> 1/5; day 60: P1, P2, P3 -> 3/5. Exact intervals: R binom.test(1, 5)
0.005050763-0.716417936, binom.test(3, 5) 0.1466328-0.9472550.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ino_study.endpoints.derive import derive_analysis_datasets
from ino_study.statistics.deaths import DEATHS_COLUMNS, cause_category, death_period, deaths_table, patient_deaths
from test_endpoints import RULES, cohort

CAUSES = {"P1": "сепсис", "P2": "VOD/SOS", "P3": None, "P4": "рецидив"}


def five_patients():
    tables = cohort([
        {"id": "P1", "death": 20},
        {"id": "P2", "doses": [(0, 1, 0.8), (7, 1, 0.5), (21, 1, 0.5)], "death": 51},
        {"id": "P3", "hsct": 45, "death": 45},
        {"id": "P4", "death": 100},
        {"id": "P5", "last": 25},
    ])
    tables["follow_up"]["death_cause"] = tables["follow_up"]["patient_id"].map(CAUSES)
    return derive_analysis_datasets(tables, RULES)


def test_death_cause_reaches_adsl():
    adsl = five_patients()["adsl"].set_index("patient_id")
    assert adsl.loc["P1", "death_cause"] == "сепсис" and adsl.loc["P4", "death_cause"] == "рецидив"
    assert adsl.loc["P3", "death_cause"] is None or adsl["death_cause"].isna()["P3"]


def test_deaths_table_by_hand():
    data = five_patients()
    table = deaths_table(data["adtte"], data["adsl"])
    assert list(table.columns) == DEATHS_COLUMNS
    causes = table[table["section"] == "cause of death"]
    got = [(r.period, r.cause, r.deaths, r.denominator) for r in causes.itertuples()]
    assert got == [
        ("during InO", "infection", 1, 5),
        ("during InO", "VOD/SOS", 1, 5),
        ("during InO", "all causes", 2, 5),
        ("after HSCT", "not recorded", 1, 5),
        ("after HSCT", "all causes", 1, 5),
        ("after InO without HSCT", "relapse/progression", 1, 5),
        ("after InO without HSCT", "all causes", 1, 5),
        ("all periods", "relapse/progression", 1, 5),
        ("all periods", "infection", 1, 5),
        ("all periods", "VOD/SOS", 1, 5),
        ("all periods", "not recorded", 1, 5),
        ("all periods", "all causes", 4, 5),
    ]
    assert causes["percent"].tolist() == pytest.approx([20, 20, 40, 20, 20, 20, 20, 20, 20, 20, 20, 80])
    assert causes["ci_lower_pct"].isna().all()

    early = table[table["section"] == "early mortality"].set_index("period")
    assert early["deaths"].tolist() == [1, 3] and early["denominator"].tolist() == [5, 5]
    assert early.loc["day 30", "percent"] == pytest.approx(20)
    assert early.loc["day 30", ["ci_lower_pct", "ci_upper_pct"]].tolist() == pytest.approx(
        [0.5050763, 71.6417936], abs=1e-6)
    assert early.loc["day 60", "percent"] == pytest.approx(60)
    assert early.loc["day 60", ["ci_lower_pct", "ci_upper_pct"]].tolist() == pytest.approx(
        [14.66328, 94.72550], abs=1e-4)
    assert early.loc["day 30", "note"] == "1 patient(s) censored before day 30 counted as alive"


def test_excluded_patients_are_not_counted():
    data = five_patients()
    adsl = data["adsl"].copy()
    adsl.loc[adsl["patient_id"] == "P5", "included"] = False
    table = deaths_table(data["adtte"], adsl)
    assert set(table["denominator"]) == {4}


@pytest.mark.parametrize(("death", "hsct", "last_dose", "expected"), [
    (44, 45, 7, "during InO"),             # the day before HSCT
    (45, 45, 7, "after HSCT"),             # the day of HSCT
    (44, math.nan, 14, "during InO"),      # last dose + 30
    (45, math.nan, 14, "after InO without HSCT"),
    (0, math.nan, 0, "during InO"),        # death on the day of the first dose
])
def test_death_period_boundaries(death, hsct, last_dose, expected):
    assert death_period(float(death), float(hsct), float(last_dose)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("прогрессия заболевания (relapse after HSCT)", "relapse/progression"),
    ("sepsis after HSCT (transplant-related mortality)", "infection"),
    ("инфекция после ТГСК (transplant-related mortality)", "infection"),
    ("рецидив, прогрессия", "relapse/progression"),
    ("VOD", "VOD/SOS"),
    ("веноокклюзионная болезнь", "VOD/SOS"),
    ("acute GVHD grade IV", "GVHD"),
    ("intracranial haemorrhage", "haemorrhage"),
    ("cardiac arrest", "other"),
    ("  ", "not recorded"),
    (None, "not recorded"),
    (np.nan, "not recorded"),
])
def test_cause_categories(text, expected):
    assert cause_category(text) == expected


@pytest.mark.parametrize(("death", "window", "expected"), [
    (14 + 45, 45, "during InO"),           # last dose + a 45-day window
    (14 + 46, 45, "after InO without HSCT"),
    (14 + 7, 7, "during InO"),
    (14 + 8, 7, "after InO without HSCT"),
])
def test_death_period_follows_the_treatment_emergent_window(death, window, expected):
    """The InO period of a patient without HSCT ends at the adverse events' window (teae_window_days),
    so a death and an adverse event on the same day fall in the same period."""
    assert death_period(float(death), math.nan, 14.0, window) == expected


def test_patient_deaths_by_hand():
    """[HAND] the module docstring's five patients, one row each: the recorded cause text kept as
    written, cause category and period only for the dead (None for the living P5)."""
    data = five_patients()
    deaths = patient_deaths(data["adtte"], data["adsl"])
    assert deaths["patient_id"].tolist() == ["P1", "P2", "P3", "P4", "P5"]
    assert deaths["died"].tolist() == [True, True, True, True, False]
    assert deaths["os_days"].tolist() == [20, 51, 45, 100, 25]
    assert deaths["death_cause"].tolist()[:2] == ["сепсис", "VOD/SOS"]
    assert deaths.loc[3, "death_cause"] == "рецидив"
    assert deaths["cause"].tolist() == ["infection", "VOD/SOS", "not recorded", "relapse/progression", None]
    assert deaths["period"].tolist() == ["during InO", "during InO", "after HSCT", "after InO without HSCT", None]


def test_a_centre_without_death_causes_counts_every_death_as_not_recorded():
    """An optional column a centre does not record: no error, all 4 deaths 'not recorded'."""
    data = five_patients()
    adsl = data["adsl"].drop(columns=["death_cause"])
    deaths = patient_deaths(data["adtte"], adsl)
    assert deaths["cause"].tolist() == ["not recorded"] * 4 + [None]
    table = deaths_table(data["adtte"], adsl)
    all_periods = table[(table["section"] == "cause of death") & (table["period"] == "all periods")]
    assert list(zip(all_periods["cause"], all_periods["deaths"])) == [("not recorded", 4), ("all causes", 4)]


def test_an_analysed_patient_without_an_os_row_is_kept_and_not_counted_as_dead():
    """Never drop a patient silently: P4 (dead, day 100) loses its OS row -> still one of the 5
    analysed, not a death (3 of 5 die, 60%)."""
    data = five_patients()
    adtte = data["adtte"][~((data["adtte"]["patient_id"] == "P4") & (data["adtte"]["PARAMCD"] == "OS"))]
    deaths = patient_deaths(adtte, data["adsl"])
    assert deaths["patient_id"].tolist() == ["P1", "P2", "P3", "P4", "P5"]
    assert deaths["died"].tolist() == [True, True, True, False, False]
    table = deaths_table(adtte, data["adsl"]).set_index(["period", "cause"])
    assert table.loc[("all periods", "all causes"), ["deaths", "denominator"]].tolist() == [3, 5]


def test_cause_text_with_irregular_spacing_is_read_as_words():
    assert cause_category("Graft  versus\nhost disease") == "GVHD"


def test_deaths_follow_the_configured_window_and_level_by_hand():
    """The module docstring's five patients with a 29-day window after the last dose (P2: last dose day 21,
    death day 51 > 21 + 29: after InO, not during it) and a 90% interval.
    Early mortality, by hand: day 10: 0 of 5, exact upper limit 1 - 0.05^(1/5) = 45.072% (95%: 52.18%);
    day 20: P1 died on day 20 ('on or before'), lower limit 1 - 0.95^(1/5) = 1.0206%; no one censored
    before day 20 or 25 (P5 is censored on day 25, not before it): no note; day 60: P1, P3, P2 died, P5
    censored before it."""
    data = five_patients()
    deaths = patient_deaths(data["adtte"], data["adsl"], window_days=29)
    assert deaths["period"].tolist() == ["during InO", "after InO without HSCT", "after HSCT",
                                         "after InO without HSCT", None]
    table = deaths_table(data["adtte"], data["adsl"], conf_level=0.9, early_days=(10, 20, 25, 60),
                         window_days=29)
    causes = table[table["section"] == "cause of death"].set_index(["period", "cause"])
    assert causes.loc[("after InO without HSCT", "all causes"), "deaths"] == 2
    assert set(causes["note"]) == {""}
    early = table[table["section"] == "early mortality"].set_index("period")
    assert set(early["cause"]) == {"all causes"}
    assert early["deaths"].tolist() == [0, 1, 1, 3]
    assert early.loc["day 10", "ci_upper_pct"] == pytest.approx(100 * (1 - 0.05 ** 0.2), rel=1e-9)
    assert early.loc["day 20", "ci_lower_pct"] == pytest.approx(100 * (1 - 0.95 ** 0.2), rel=1e-9)
    assert early["note"].tolist() == ["", "", "", "1 patient(s) censored before day 60 counted as alive"]


def test_deaths_table_of_no_analysed_patient_and_no_early_days():
    """No analysed patient (all excluded) and no early-mortality days: the documented columns, zero deaths
    of zero patients and no percentage (not a division error)."""
    data = five_patients()
    adsl = data["adsl"].assign(included=False)
    table = deaths_table(data["adtte"], adsl, early_days=())
    assert list(table.columns) == DEATHS_COLUMNS
    assert set(table["cause"]) == {"all causes"}
    assert set(table["deaths"]) == {0} and set(table["denominator"]) == {0}
    assert table["percent"].isna().all() and set(table["note"]) == {""}


def test_patient_deaths_sorts_by_patient_with_a_fresh_index():
    """adsl in any order: the rows come out by patient_id, numbered 0..n-1 (callers use .loc on it)."""
    data = five_patients()
    adsl = data["adsl"].iloc[::-1]  # P5 first
    deaths = patient_deaths(data["adtte"], adsl)
    assert deaths["patient_id"].tolist() == ["P1", "P2", "P3", "P4", "P5"]
    assert deaths.index.tolist() == [0, 1, 2, 3, 4]
    assert deaths.loc[3, "death_cause"] == "рецидив"


def test_periods_of_many_patients_follow_death_period():
    """The vectorised periods (_periods, one pass over a registry) give death_period's answer for every
    case of the boundary table above, including a death recorded before the HSCT date (during InO) and
    a patient alive (None)."""
    from ino_study.statistics.deaths import _periods

    cases = [(44.0, 45.0, 14.0), (45.0, 45.0, 14.0), (46.0, 45.0, 14.0), (44.0, math.nan, 14.0),
             (45.0, math.nan, 14.0), (0.0, math.nan, 0.0), (10.0, 200.0, 14.0)]
    days, hsct, last = (np.array(column) for column in zip(*cases))
    died = np.array([True] * len(cases))
    assert _periods(days, hsct, last, died, 30).tolist() == [death_period(*case, 30) for case in cases]
    assert _periods(days, hsct, last, ~died, 30).tolist() == [None] * len(cases)
