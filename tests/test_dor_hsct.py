"""Duration of response and the outcomes after HSCT (issue 21, items 4 and 5), hand-worked on tiny cohorts.

Every expected number below is worked out by hand in the comments (Kaplan-Meier product-limit and the
Aalen-Johansen cumulative incidence F(t) = sum S(t-) d_k / n), not taken from the code under test.
"""

from __future__ import annotations

import dataclasses
import math
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


#: Edge cases of the post-HSCT parameters; every patient in CR on day 28, transplanted on day 60.
HSCT_EDGE_PATIENTS = [
    {"id": "E1", "assessments": [CR], "hsct": 60, "relapse": 60, "last": 400},  # relapse on the HSCT day
    {"id": "E2", "assessments": [CR], "hsct": 60, "last": 500},
    {"id": "E3", "assessments": [CR], "hsct": 60, "death": 150},
    {"id": "E4", "assessments": [CR], "hsct": 60, "last": 300},
]
#: patient -> (agvhd_grade, agvhd_date day, cgvhd, cgvhd_date day), days from the first dose
EDGE_GVHD = {"E1": (0, None, "none", None),
             "E2": (2, 60, "moderate", 200),  # grade II acute GVHD on the HSCT day; moderate chronic on +140
             "E3": (0, None, "none", 100),  # chronic GVHD assessed (dated) on +40 and found absent
             "E4": (3, 70, None, None)}  # chronic GVHD not recorded for this patient


def edge_data(gvhd_columns=("agvhd", "cgvhd")):
    tables = cohort(HSCT_EDGE_PATIENTS)
    tx = tables["transplants"]
    ids = list(tx["patient_id"])

    def dates(k):
        return pd.to_datetime([day(EDGE_GVHD[p][k]) if EDGE_GVHD[p][k] is not None else pd.NaT for p in ids])

    if "agvhd" in gvhd_columns:
        tx["agvhd_grade"] = pd.array([EDGE_GVHD[p][0] for p in ids], dtype="Int64")
        tx["agvhd_date"] = dates(1)
    if "cgvhd" in gvhd_columns:
        tx["cgvhd"] = pd.Series([EDGE_GVHD[p][2] for p in ids], dtype=object)
        tx["cgvhd_date"] = dates(3)
    return derive_analysis_datasets(tables, RULES)


def test_hsct_parameters_edge_cases_and_event_descriptions_by_hand():
    data = edge_data()

    def row(pid, param):
        r = tte(data, pid, param)
        return int(r["AVAL_DAYS"]), int(r["EVNTCD"]), r["EVNTDESC"], r["SRCDOM"], r["SRCVAR"]

    relapse = ("follow_up", "relapse_date")
    death = ("follow_up", "death_date")
    censored = ("censored at last contact or data cut-off", "follow_up", "last_contact_date")
    # E1: a relapse on the HSCT day counts after HSCT (day 0): still in CR at HSCT (no relapse BEFORE it),
    # an LFS and GRFS event, competing (code 2) for NRM and the GVHD parameters
    assert row("E1", "LFS_HSCT") == (0, 1, "relapse", *relapse)
    assert row("E1", "GRFS") == (0, 1, "relapse", *relapse)
    assert row("E1", "NRM_HSCT") == (0, 2, "relapse (competing)", *relapse)
    for param in ("AGVHD_II_IV", "AGVHD_III_IV", "CGVHD"):
        assert row("E1", param) == (0, 2, "relapse (competing)", *relapse)
    assert row("E1", "OS_HSCT") == (340, 0, *censored)
    # E2: grade II acute GVHD dated on the HSCT day is an event on day 0; moderate chronic GVHD on +140 is
    # a CGVHD event and the GRFS event (grade II acute GVHD is not a GRFS event)
    assert row("E2", "AGVHD_II_IV") == (0, 1, "acute GVHD grade II-IV", "transplants", "agvhd_date")
    assert row("E2", "AGVHD_III_IV") == (440, 0, *censored)
    assert row("E2", "CGVHD") == (140, 1, "chronic GVHD", "transplants", "cgvhd_date")
    assert row("E2", "GRFS") == (140, 1, "chronic GVHD moderate or severe (proxy for systemic treatment)",
                                 "transplants", "cgvhd_date")
    # E3: death on +90; chronic GVHD "none" (with an assessment date) is no event
    assert row("E3", "OS_HSCT") == (90, 1, "death", *death)
    assert row("E3", "LFS_HSCT") == (90, 1, "death", *death)
    assert row("E3", "NRM_HSCT") == (90, 1, "death without relapse", *death)
    assert row("E3", "GRFS") == (90, 1, "death", *death)
    for param in ("AGVHD_II_IV", "AGVHD_III_IV", "CGVHD"):
        assert row("E3", param) == (90, 2, "death (competing)", *death)
    # E4: grade III acute GVHD on +10; chronic GVHD not recorded: acute rows, no CGVHD and no GRFS row
    assert row("E4", "AGVHD_III_IV") == (10, 1, "acute GVHD grade III-IV", "transplants", "agvhd_date")
    e4 = set(data["adtte"].loc[data["adtte"]["patient_id"] == "E4", "PARAMCD"])
    assert {"AGVHD_II_IV", "AGVHD_III_IV"} <= e4 and not e4 & {"CGVHD", "GRFS"}
    grfs = data["adtte"][data["adtte"]["PARAMCD"] == "GRFS"]
    assert sorted(grfs["patient_id"]) == ["E1", "E2", "E3"]


def test_only_acute_gvhd_recorded_gives_acute_parameters_but_no_chronic_or_grfs():
    adtte = edge_data(gvhd_columns=("agvhd",))["adtte"]  # the transplants table has no cgvhd column
    params = set(adtte["PARAMCD"])
    assert {"OS_HSCT", "LFS_HSCT", "NRM_HSCT", "AGVHD_II_IV", "AGVHD_III_IV"} <= params
    assert not params & {"CGVHD", "GRFS"}
    # acute GVHD III-IV: E1 relapse (competing) on 0, E2 censored +440, E3 death (competing) +90, E4 event +10
    acute = adtte[adtte["PARAMCD"] == "AGVHD_III_IV"].set_index("patient_id")
    assert acute.loc[["E1", "E2", "E3", "E4"], "AVAL_DAYS"].tolist() == [0, 440, 90, 10]
    assert acute.loc[["E1", "E2", "E3", "E4"], "EVNTCD"].tolist() == [2, 0, 2, 1]


def test_grfs_event_from_grade_iii_acute_gvhd_names_it():
    # HSCT_PATIENTS' T2: grade III acute GVHD on day 80 (+20) is its GRFS event, before moderate chronic
    # GVHD (+200) and the relapse (+340)
    r = tte(hsct_data(), "T2", "GRFS")
    assert (int(r["AVAL_DAYS"]), int(r["EVNTCD"])) == (20, 1)
    assert r["EVNTDESC"] == "acute GVHD grade III-IV"
    assert (r["SRCDOM"], r["SRCVAR"]) == ("transplants", "agvhd_date")


def test_hsct_candidates_with_acute_gvhd_columns_only():
    """hsct_candidates on a frame holding the acute GVHD columns but no chronic ones (its docstring: the
    GVHD columns "when recorded"): acute parameters, no CGVHD and no GRFS, no error."""
    from ino_study.endpoints.hsct import hsct_candidates

    frame = pd.DataFrame({"patient_id": ["P1"], "_patient": [0], "hsct_date": [day(60)], "responder": [True],
                          "relapse_date": [pd.NaT], "death_date": [pd.NaT], "last_contact_date": [day(400)],
                          "agvhd_grade": pd.array([3], dtype="Int64"), "agvhd_date": [day(70)]})
    out = hsct_candidates(frame)
    assert set(out) == {"OS_HSCT", "LFS_HSCT", "NRM_HSCT", "AGVHD_II_IV", "AGVHD_III_IV"}
    rows, start = out["AGVHD_III_IV"]
    # grade III on day 70, HSCT on day 60
    assert rows["ADT"].tolist() == [day(70)] and rows["EVNTCD"].tolist() == [1]
    assert start.tolist() == [day(60)]


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
    # LFS at 1 year: S = 1/2, var = (1/2)^2 (1/(6*5) + 1/(5*4) + 1/(4*3)) = 1/24, 1/2 -+ 1.96 * 0.20412
    assert ("Leukaemia-free survival at 1 year", "50.0% (10.0-90.0), n = 6") in rows
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


def test_hsct_outcomes_rows_carry_every_column_by_hand():
    """Every column of a row, not only the estimate: counts, times in months, the interval and its kind."""
    table = hsct_outcomes_table(hsct_data()["adtte"], 0.95, "log-log")
    assert table.columns.tolist() == ["outcome", "paramcd", "method", "population", "n", "events", "time_days",
                                      "time_months", "n_risk", "estimate", "ci_lower", "ci_upper", "conf_type",
                                      "note"]  # the columns of results/tables/hsct_outcomes.csv, in order
    at = table.set_index(["paramcd", "outcome", "time_days"])
    os100 = at.loc[("OS_HSCT", "overall survival", 100)]
    # OS: 6 transplanted, deaths on +0 (T1) and +90 (T4); day 100 = 100 / 30.4375 months, 1 year = 12 months
    assert (os100["method"], os100["population"]) == ("Kaplan-Meier", "transplanted")
    assert (os100["n"], os100["events"], os100["n_risk"]) == (6, 2, 4)  # 340, 340, 440, 540 still at risk
    assert os100["time_months"] == 100 / 30.4375
    assert at.loc[("OS_HSCT", "overall survival", 365), "time_months"] == 12.0
    # log-log interval of S = 2/3 (Kalbfleisch & Prentice; R survfit conf.type = "log-log"), by hand:
    # se(log S) = sqrt(1/(6*5) + 1/(5*4)); bounds S ** exp(+-z se / |log S|)
    s, se, z = 2 / 3, math.sqrt(1 / 30 + 1 / 20), 1.959963984540054
    shift = z * se / abs(math.log(s))
    assert os100["ci_lower"] == pytest.approx(s ** math.exp(shift), rel=1e-9)
    assert os100["ci_upper"] == pytest.approx(s ** math.exp(-shift), rel=1e-9)
    assert os100["conf_type"] == "log-log" and os100["note"] == ""
    # the cumulative incidences: events of the cause of interest only, with R's default log interval
    nrm = at.loc[("NRM_HSCT", "non-relapse mortality", 365)]
    relapse = at.loc[("NRM_HSCT", "relapse", 365)]
    assert (nrm["n"], nrm["events"], relapse["events"]) == (6, 2, 1)  # deaths T1, T4; relapse T2
    assert nrm["conf_type"] == "log" and relapse["conf_type"] == "log"
    assert nrm["method"] == "cumulative incidence (competing: relapse)"
    agvhd = at.loc[("AGVHD_II_IV", "acute GVHD grade II-IV", 100)]
    assert (agvhd["n"], agvhd["events"], agvhd["population"]) == (5, 2, "transplanted, acute GVHD recorded")
    assert at.loc[("GRFS", "GVHD-free, relapse-free survival", 365), "events"] == 3  # +0, +20, +90


def test_hsct_outcomes_without_transplants_keep_their_rows_with_the_reason():
    data = derive_analysis_datasets(cohort([{"id": "P1", "assessments": [CR], "last": 300}]), RULES)
    table = hsct_outcomes_table(data["adtte"], 0.95, "plain")
    assert len(table) == 12  # 8 outcomes: 4 at day 100 and 1 year, 4 at one time point (OUTCOMES)
    notes = dict(zip(table["outcome"], table["note"]))
    assert notes["overall survival"] == "no patient transplanted after InO"
    assert notes["leukaemia-free survival"] == notes["relapse"] == "no patient in CR/CRi at HSCT"
    assert notes["non-relapse mortality"] == "no patient in CR/CRi at HSCT"
    assert notes["acute GVHD grade II-IV"] == "not recorded: no transplant has agvhd_grade"
    assert (table["n"] == 0).all() and (table["events"] == 0).all() and (table["n_risk"] == 0).all()
    assert table[["estimate", "ci_lower", "ci_upper"]].isna().all().all() and (table["conf_type"] == "").all()
    assert table["time_months"].tolist()[:2] == [100 / 30.4375, 12.0]


def test_hsct_outcome_beyond_the_last_follow_up_says_so():
    # both transplanted on day 60 and followed to day 200 (+140): day 100 estimated, 1 year beyond follow-up
    patients = [{"id": "B1", "assessments": [CR], "hsct": 60, "last": 200},
                {"id": "B2", "assessments": [CR], "hsct": 60, "death": 200}]
    table = hsct_outcomes_table(derive_analysis_datasets(cohort(patients), RULES)["adtte"], 0.95, "plain")
    os_rows = table[table["paramcd"] == "OS_HSCT"].set_index("time_days")
    assert os_rows.loc[100, "estimate"] == 1.0 and os_rows.loc[100, "note"] == ""
    assert np.isnan(os_rows.loc[365, "estimate"]) and os_rows.loc[365, "note"] == "beyond the last follow-up"


def test_transplants_table_counts_cr_and_vod_after_hsct_by_hand():
    patients = [
        {"id": "X1", "assessments": [CR], "hsct": 60, "aes": [("VOD", 3, 30)], "last": 400},  # VOD before HSCT
        {"id": "X2", "assessments": [CR], "hsct": 60, "aes": [("VOD", 3, 60)], "last": 400},  # VOD on day 0
        {"id": "X3", "assessments": [NR], "hsct": 60, "last": 400},  # transplanted, never in CR/CRi
        {"id": "X4", "assessments": [CR], "hsct": 60, "last": 400},
    ]
    data = derive_analysis_datasets(cohort(patients), RULES)
    listing, _ = transplants_table(data["adsl"], hsct_outcomes_table(data["adtte"]))
    rows = list(zip(listing["characteristic"], listing["value"]))
    assert rows[:3] == [("Transplanted after InO", "4 (100%)"), ("Donor", ""), ("  MUD", "4 (100%)")]
    assert ("In CR/CRi at HSCT (no relapse recorded before it)", "3 (75%)") in rows  # X1, X2, X4
    # only X2: VOD/SOS on the day of HSCT is after it; X1's VOD/SOS (day 30) was before it
    assert ("VOD/SOS after HSCT (first VOD/SOS on or after day 0)", "1 (25%)") in rows


def test_transplants_table_says_not_estimated_with_or_without_a_reason():
    data = hsct_data()
    outcomes = hsct_outcomes_table(data["adtte"]).head(2).copy()  # OS at day 100 and 1 year
    outcomes["estimate"] = np.nan
    outcomes["note"] = ["", "beyond the last follow-up"]  # e.g. an outcomes file written by hand
    rows = dict(zip(*transplants_table(data["adsl"], outcomes)[0].to_dict("list").values()))
    assert rows["Overall survival at day 100"] == "not estimated"
    assert rows["Overall survival at 1 year"] == "not estimated (beyond the last follow-up)"


def test_censoring_and_death_rows_name_their_source():
    data = dor_data()
    # P3: censored at the last contact (day 400); P4: death on day 100, both from the follow-up table
    p3, p4 = tte(data, "P3", "DOR"), tte(data, "P4", "DOR")
    assert (p3["EVNTDESC"], p3["SRCDOM"], p3["SRCVAR"]) == (
        "censored at last contact or data cut-off", "follow_up", "last_contact_date")
    assert (p4["EVNTDESC"], p4["SRCDOM"], p4["SRCVAR"]) == ("death", "follow_up", "death_date")
    t4 = tte(hsct_data(), "T4", "OS_HSCT")  # death on day 150 = HSCT + 90
    assert (t4["AVAL_DAYS"], t4["CNSR"], t4["SRCDOM"], t4["SRCVAR"]) == (90, 0, "follow_up", "death_date")


def test_who_is_in_cr_at_hsct_and_a_last_contact_before_the_start():
    data = derive_analysis_datasets(cohort([
        # in CR; relapse on the day of HSCT: not before HSCT, so in CR at HSCT, and an LFS event on day 0
        {"id": "R", "assessments": [CR], "hsct": 60, "relapse": 60, "last": 300},
        # never in CR/CRi, transplanted without a relapse: OS after HSCT only, no LFS/NRM row
        {"id": "N", "assessments": [NR], "hsct": 60, "last": 300},
        # in CR, last contact (day 50) recorded before the HSCT (day 60): censored on the day of HSCT
        {"id": "L", "assessments": [CR], "hsct": 60, "last": 50},
    ]), RULES)
    lfs = tte(data, "R", "LFS_HSCT")
    assert (lfs["AVAL_DAYS"], lfs["CNSR"], lfs["EVNTDESC"]) == (0, 0, "relapse")
    adtte = data["adtte"]
    n_params = set(adtte.loc[adtte["patient_id"] == "N", "PARAMCD"])
    assert n_params & {"OS_HSCT", "LFS_HSCT", "NRM_HSCT"} == {"OS_HSCT"}
    os_l = tte(data, "L", "OS_HSCT")
    assert (os_l["AVAL_DAYS"], os_l["CNSR"], os_l["ADT"], os_l["SRCVAR"]) == (
        0, 1, day(60), "last_contact_date")
