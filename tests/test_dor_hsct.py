"""Duration of response and the outcomes after HSCT (issue 21, items 4 and 5), hand-worked on tiny cohorts.

Every expected number below is worked out by hand in the comments (Kaplan-Meier product-limit and the
Aalen-Johansen cumulative incidence F(t) = sum S(t-) d_k / n), not taken from the code under test.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ino_study.endpoints.definitions import DAYS_PER_MONTH
from ino_study.endpoints.derive import derive_analysis_datasets
from ino_study.statistics.hsct_outcomes import hsct_outcomes_table, transplants_table
from ino_study.statistics.survival_analysis import SurvivalData, SurvivalSettings, median_survival, survival_estimates
from ino_study.tables.step import dor_note
from test_endpoints import CR, RULES, cohort, day, tte

NR = (28, 60.0, 2.0, 150.0, None, None, "missing")  # M3 marrow: no response


# ------------------------------------------------------------------------------------ DOR

DOR_PATIENTS = [
    # first CR on day 28 (the CR assessment); relapse on day 200, the day of the last contact: an event
    {"id": "P1", "assessments": [CR], "relapse": 200, "last": 200},
    # never in CR/CRi: no DOR row
    {"id": "P2", "assessments": [NR], "death": 90},
    # CR, HSCT on day 60, alive at the last contact on day 400: censored at 400 (or at HSCT, switch on)
    {"id": "P3", "assessments": [CR], "hsct": 60, "last": 400},
    # CR, death on day 100 without relapse: an event
    {"id": "P4", "assessments": [CR], "death": 100},
]


def dor_data(censor_at_hsct: bool = False):
    return derive_analysis_datasets(cohort(DOR_PATIENTS), dataclasses.replace(RULES, dor_censor_at_hsct=censor_at_hsct))


def test_dor_rows_by_hand():
    data = dor_data()
    dor = data["adtte"][data["adtte"]["PARAMCD"] == "DOR"]
    assert sorted(dor["patient_id"]) == ["P1", "P3", "P4"]  # P2 never in CR/CRi
    p1, p3, p4 = tte(data, "P1", "DOR"), tte(data, "P3", "DOR"), tte(data, "P4", "DOR")
    assert p1["STARTDT"] == day(28) and p1["ADT"] == day(200)
    assert (p1["AVAL_DAYS"], p1["CNSR"], p1["EVNTDESC"], p1["SRCDOM"], p1["SRCVAR"]) == (
        172, 0, "relapse", "follow_up", "relapse_date")
    assert p1["AVAL"] == pytest.approx(172 / 30.4375)
    assert (p3["AVAL_DAYS"], p3["CNSR"], p3["SRCVAR"]) == (372, 1, "last_contact_date")
    assert (p4["AVAL_DAYS"], p4["CNSR"], p4["EVNTDESC"], p4["SRCVAR"]) == (72, 0, "death", "death_date")


def test_dor_censored_at_hsct_with_the_switch():
    data = dor_data(censor_at_hsct=True)
    p3 = tte(data, "P3", "DOR")
    assert (p3["AVAL_DAYS"], p3["CNSR"], p3["EVNTDESC"], p3["SRCDOM"], p3["SRCVAR"]) == (
        32, 1, "censored at HSCT", "transplants", "date")
    assert tte(data, "P1", "DOR")["AVAL_DAYS"] == 172  # not transplanted: unchanged


def test_relapse_on_the_day_of_hsct_is_an_event_even_when_censoring_at_hsct():
    data = derive_analysis_datasets(cohort([{"id": "Q", "assessments": [CR], "hsct": 60, "relapse": 60,
                                             "last": 300}]),
                                    dataclasses.replace(RULES, dor_censor_at_hsct=True))
    row = tte(data, "Q", "DOR")
    assert (row["AVAL_DAYS"], row["CNSR"], row["EVNTDESC"]) == (32, 0, "relapse")


def test_dor_kaplan_meier_and_median_by_hand():
    data = dor_data()
    settings = SurvivalSettings(timepoints_months=(2.0, 3.0, 6.0), conf_type="plain")
    survival = SurvivalData(data["adtte"], data["adsl"], settings)
    estimates = survival_estimates(survival).set_index(["endpoint", "time_months"])
    # DOR days: 72 (event), 172 (event), 372 (censored). S(72) = 2/3, S(172) = 2/3 * 1/2 = 1/3
    assert estimates.loc[("DOR", 6.0), "survival"] == pytest.approx(1 / 3)  # 6 months = 182.6 days
    assert estimates.loc[("DOR", 6.0), "n_risk"] == 1
    assert estimates.loc[("DOR", 2.0), "survival"] == 1  # 2 months = 60.9 days: before the first event
    assert estimates.loc[("DOR", 3.0), "survival"] == pytest.approx(2 / 3)  # 91.3 days: after day 72
    # plain Greenwood interval at 3 months: var = S^2 * 1/(3*2) = (4/9)/6; S -/+ 1.96 sqrt(var)
    half = 1.959963984540054 * np.sqrt((4 / 9) / 6)
    assert estimates.loc[("DOR", 3.0), "ci_lower"] == pytest.approx(2 / 3 - half)
    assert estimates.loc[("DOR", 3.0), "ci_upper"] == pytest.approx(min(1.0, 2 / 3 + half))
    medians = median_survival(survival).set_index("endpoint")
    # the median: the first time S <= 0.5, day 172
    assert medians.loc["DOR", "n"] == 3 and medians.loc["DOR", "events"] == 2
    assert medians.loc["DOR", "median_months"] == pytest.approx(172 / DAYS_PER_MONTH)


def test_patients_never_in_cr_are_counted_in_the_note():
    note = dor_note(dor_data()["adsl"])
    assert "among the 3 patients ever in CR/CRi; the other 1 of 4 analysed never reached CR/CRi" in note


# ------------------------------------------------------------------------------ after HSCT

#: Every patient in CR on day 28 and transplanted on day 60 (day 0 after HSCT = day 60 from the first dose).
HSCT_PATIENTS = [
    {"id": "T1", "assessments": [CR], "hsct": 60, "death": 60},  # death on the day of HSCT
    {"id": "T2", "assessments": [CR], "hsct": 60, "relapse": 400, "last": 400},  # relapse on the last-contact day
    {"id": "T3", "assessments": [CR], "hsct": 60, "last": 400},  # a transplant without GVHD data
    {"id": "T4", "assessments": [CR], "hsct": 60, "death": 150},
    {"id": "T5", "assessments": [CR], "hsct": 60, "last": 500},
    {"id": "T6", "assessments": [CR], "hsct": 60, "last": 600},
]
#: patient -> (agvhd_grade, agvhd_date day, cgvhd, cgvhd_date day), days from the first dose
GVHD = {"T1": (0, None, "none", None), "T2": (3, 80, "moderate", 260), "T3": (None, None, None, None),
        "T4": (2, 70, "none", None), "T5": (0, None, "mild", 210), "T6": (0, None, "none", None)}


def hsct_data(with_gvhd: bool = True):
    tables = cohort(HSCT_PATIENTS)
    if with_gvhd:
        tx = tables["transplants"]
        when = {pid: g for pid, g in GVHD.items()}
        tx["agvhd_grade"] = pd.array([when[p][0] for p in tx["patient_id"]], dtype="Int64")
        tx["agvhd_date"] = pd.to_datetime([day(when[p][1]) if when[p][1] is not None else pd.NaT
                                           for p in tx["patient_id"]])
        tx["cgvhd"] = pd.Series([when[p][2] for p in tx["patient_id"]], dtype=object)
        tx["cgvhd_date"] = pd.to_datetime([day(when[p][3]) if when[p][3] is not None else pd.NaT
                                           for p in tx["patient_id"]])
    return derive_analysis_datasets(tables, RULES)


def test_hsct_endpoints_by_hand():
    data = hsct_data()
    adtte = data["adtte"]

    def row(pid, param):
        r = tte(data, pid, param)
        return int(r["AVAL_DAYS"]), int(r["EVNTCD"])

    # death on the day of HSCT: day 0, an event of OS, LFS, NRM (no relapse), GRFS; competing for GVHD
    assert row("T1", "OS_HSCT") == (0, 1) and row("T1", "LFS_HSCT") == (0, 1) and row("T1", "NRM_HSCT") == (0, 1)
    assert row("T1", "AGVHD_II_IV") == (0, 2) and row("T1", "CGVHD") == (0, 2) and row("T1", "GRFS") == (0, 1)
    assert tte(data, "T1", "OS_HSCT")["STARTDT"] == day(60)
    # relapse on the day of the last contact (+340): LFS event, NRM competing
    assert row("T2", "LFS_HSCT") == (340, 1) and row("T2", "NRM_HSCT") == (340, 2)
    assert row("T2", "OS_HSCT") == (340, 0)
    # grade III acute GVHD on day 80 (+20): both acute endpoints and GRFS; moderate chronic on +200
    assert row("T2", "AGVHD_II_IV") == (20, 1) and row("T2", "AGVHD_III_IV") == (20, 1)
    assert row("T2", "CGVHD") == (200, 1) and row("T2", "GRFS") == (20, 1)
    assert tte(data, "T2", "AGVHD_III_IV")["SRCVAR"] == "agvhd_date"
    assert tte(data, "T2", "CGVHD")["SRCDOM"] == "transplants"
    # no GVHD data: OS, LFS, NRM but no GVHD or GRFS row
    t3 = set(adtte.loc[adtte["patient_id"] == "T3", "PARAMCD"])
    assert {"OS_HSCT", "LFS_HSCT", "NRM_HSCT"} <= t3
    assert not t3 & {"AGVHD_II_IV", "AGVHD_III_IV", "CGVHD", "GRFS"}
    # grade II on +10: an event of II-IV only; death on +90 is competing for III-IV and chronic, an event of GRFS
    assert row("T4", "AGVHD_II_IV") == (10, 1) and row("T4", "AGVHD_III_IV") == (90, 2)
    assert row("T4", "CGVHD") == (90, 2) and row("T4", "GRFS") == (90, 1) and row("T4", "NRM_HSCT") == (90, 1)
    # mild chronic GVHD on +150: a chronic GVHD event, not a GRFS event (censored at +440)
    assert row("T5", "CGVHD") == (150, 1) and row("T5", "GRFS") == (440, 0)


def test_hsct_outcomes_by_hand():
    table = hsct_outcomes_table(hsct_data()["adtte"], 0.95, "plain")
    at = table.set_index(["outcome", "time_days"])

    def value(outcome, days):
        return at.loc[(outcome, days), "estimate"]

    # OS: days 0 (event), 90 (event), 340, 340, 440, 540 (censored). S(0) = 5/6, S(90) = 5/6 * 4/5 = 2/3
    assert value("overall survival", 100) == pytest.approx(2 / 3)
    assert value("overall survival", 365) == pytest.approx(2 / 3)
    assert at.loc[("overall survival", 365), "n_risk"] == 2  # T5 (440 days) and T6 (540) beyond 365.25 days
    # LFS: events 0, 90, 340 (T2), censored 340 (T3), 440, 540. S(340) = 2/3 * (1 - 1/4) = 1/2
    assert value("leukaemia-free survival", 100) == pytest.approx(2 / 3)
    assert value("leukaemia-free survival", 365) == pytest.approx(0.5)
    # NRM (relapse competing): 1/6 at 0, + S(0) * 1/5 = 5/6 * 1/5 = 1/6 at 90 -> 1/3; the relapse adds none
    assert value("non-relapse mortality", 100) == pytest.approx(1 / 3)
    assert value("non-relapse mortality", 365) == pytest.approx(1 / 3)
    # relapse: S(340-) = 2/3, 4 at risk, 1 relapse -> 1/6
    assert value("relapse", 100) == 0 and value("relapse", 365) == pytest.approx(1 / 6)
    # acute GVHD II-IV (T1, T2, T4, T5, T6): death at 0 (competing) S = 4/5; grade II at 10 (4 at risk):
    # 4/5 * 1/4 = 1/5, S = 3/5; grade III at 20 (3 at risk): + 3/5 * 1/3 -> 2/5
    assert value("acute GVHD grade II-IV", 100) == pytest.approx(0.4)
    assert at.loc[("acute GVHD grade II-IV", 100), "n"] == 5  # the transplant without GVHD data is left out
    # III-IV: death at 0, S = 4/5; grade III at 20 with 4 at risk -> 1/5
    assert value("acute GVHD grade III-IV", 100) == pytest.approx(0.2)
    # chronic: deaths at 0 and 90 (S = 4/5 then 3/5); mild at 150 (3 at risk): 1/5, S = 2/5; moderate at 200
    # (2 at risk): + 2/5 * 1/2 -> 2/5
    assert value("chronic GVHD", 365) == pytest.approx(0.4)
    # GRFS (T1, T2, T4, T5, T6): events 0, 20, 90, censored 440, 540: 4/5 * 3/4 * 2/3 = 2/5
    assert value("GVHD-free, relapse-free survival", 365) == pytest.approx(0.4)
    assert (table["note"] == "").all()


def test_gvhd_not_recorded_is_skipped_not_an_error():
    data = hsct_data(with_gvhd=False)  # the transplants table has no GVHD columns at all
    assert not set(data["adtte"]["PARAMCD"]) & {"AGVHD_II_IV", "AGVHD_III_IV", "CGVHD", "GRFS"}
    table = hsct_outcomes_table(data["adtte"], 0.95, "plain")
    gvhd = table[table["paramcd"].isin(["AGVHD_II_IV", "AGVHD_III_IV", "CGVHD", "GRFS"])]
    assert len(gvhd) == 4 and gvhd["estimate"].isna().all() and gvhd["note"].str.startswith("not recorded").all()
    assert table.loc[table["paramcd"] == "OS_HSCT", "estimate"].notna().all()
    listing, note = transplants_table(data["adsl"], table)
    assert note.count("Skipped") == 1 and "acute GVHD grade II-IV" in note and "GRFS" not in note.split(":")[0]
    rows = dict(zip(listing["characteristic"], listing["value"]))
    assert rows["  not recorded"] == "6 (100%)"


def test_transplants_table_by_hand():
    data = hsct_data()
    listing, note = transplants_table(data["adsl"], hsct_outcomes_table(data["adtte"]))
    rows = list(zip(listing["characteristic"], listing["value"]))
    assert rows[0] == ("Transplanted after InO", "6 (100%)")
    assert ("Days from the last InO dose to HSCT, median [range]", "46 [46-46]") in rows  # last dose day 14
    assert ("In CR/CRi at HSCT (no relapse recorded before it)", "6 (100%)") in rows
    grades = rows[rows.index(("Acute GVHD, maximum grade", "")) + 1:rows.index(("Chronic GVHD (NIH global severity)",
                                                                                  ""))]
    assert grades == [("  0", "3 (50%)"), ("  II", "1 (17%)"), ("  III", "1 (17%)"), ("  not recorded", "1 (17%)")]
    # plain Greenwood: var = (2/3)^2 (1/(6*5) + 1/(5*4)) = 1/27, 2/3 - 1.96 * 0.19245 = 0.2895, upper clipped at 1
    assert ("Overall survival at day 100", "66.7% (28.9-100.0), n = 6") in rows
    assert note == ""


def test_hsct_outcomes_step_writes_both_files(tmp_path):
    from ino_study.outputs.io import write_parquet
    from ino_study.steps import hsct_outcomes

    data = hsct_data()
    adam = SimpleNamespace(adsl=tmp_path / "adsl.parquet", adtte=tmp_path / "adtte.parquet")
    write_parquet(data["adsl"], adam.adsl)
    write_parquet(data["adtte"], adam.adtte)
    out = SimpleNamespace(outcomes=tmp_path / "hsct_outcomes.csv", transplants=tmp_path / "transplants.md")
    hsct_outcomes(adam, {"confidence_level": 0.95, "km_ci": "plain"}, out)
    assert pd.read_csv(out.outcomes)["paramcd"].tolist()[:2] == ["OS_HSCT", "OS_HSCT"]
    assert out.transplants.read_text(encoding="utf-8").startswith("# Transplants after InO")
