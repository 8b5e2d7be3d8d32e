"""Endpoint derivations on hand-worked mini cohorts; the expected answer is written out in each test.

The clean tables are built directly (as the records stage leaves them), so each test isolates one
definition of `ino_study.endpoints`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ino_study.endpoints.adrs import assessment_response, marrow_status, mrd_negative
from ino_study.endpoints.adsl import add_outcome_flags, derive_adsl_base, exposure, first_transplant
from ino_study.endpoints.definitions import EndpointRules, ResponseCriteria
from ino_study.endpoints.derive import derive_analysis_datasets
from ino_study.records.clean import apply_cutoff

DAY0 = pd.Timestamp("2020-01-01")
RULES = EndpointRules(cutoff_date=dt.date(2022, 12, 31))


def day(n: int) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=n)


def cohort(patients: list[dict]) -> dict[str, pd.DataFrame]:
    """Clean tables from compact per-patient specs.

    Each spec: id, doses [(day, cycle, mg)], assessments [(day, blasts, anc, plt, mrd_pct, qualifier,
    status)], hsct day, aes [(term, grade, day)], last contact day, death day, relapse day.
    """
    rows = {name: [] for name in ("patients", "ino_doses", "assessments", "transplants", "adverse_events",
                                  "follow_up")}
    for i, p in enumerate(patients, start=2):
        pid = p["id"]
        doses = p.get("doses", [(0, 1, 0.8), (7, 1, 0.5), (14, 1, 0.5)])
        rows["patients"].append({
            "patient_id": pid, "sex": "F", "diagnosis_date": day(-700), "relapse_number": 1, "prior_hsct": False,
            "prior_blinatumomab": False, "prior_car_t": False, "cytogenetics": "other", "cd22_pct": 90.0,
            "marrow_blasts_pct": 60.0, "source_row": i, "first_dose_date": day(doses[0][0]) if doses else pd.NaT,
            "age_at_first_dose_years": 10.0, "exclusion_reason": None, "included": True,
        })
        rows["ino_doses"] += [{"patient_id": pid, "date": day(d), "cycle": c, "dose_mg_m2": mg, "source_row": i}
                              for d, c, mg in doses]
        rows["assessments"] += [
            {"patient_id": pid, "date": day(d), "marrow_blasts_pct": b, "anc_10e9_l": anc, "platelets_10e9_l": plt,
             "mrd_percent": mrd, "mrd_qualifier": q, "mrd_status": s, "source_row": i}
            for d, b, anc, plt, mrd, q, s in p.get("assessments", [])
        ]
        if p.get("hsct") is not None:
            rows["transplants"].append({"patient_id": pid, "date": day(p["hsct"]), "donor_type": "MUD",
                                        "conditioning": "TBI", "source_row": i})
        rows["adverse_events"] += [{"patient_id": pid, "term": t, "grade": g, "onset_date": day(d), "source_row": i}
                                   for t, g, d in p.get("aes", [])]
        death = p.get("death")
        rows["follow_up"].append({
            "patient_id": pid, "last_contact_date": day(p.get("last", death if death is not None else 400)),
            "vital_status": "dead" if death is not None else "alive",
            "death_date": day(death) if death is not None else pd.NaT, "death_cause": None,
            "relapse_date": day(p["relapse"]) if p.get("relapse") is not None else pd.NaT, "source_row": i,
        })
    frames = {name: pd.DataFrame(r) for name, r in rows.items()}
    frames["transplants"] = frames["transplants"].reindex(
        columns=["patient_id", "date", "donor_type", "conditioning", "source_row"])
    frames["adverse_events"] = frames["adverse_events"].reindex(
        columns=["patient_id", "term", "grade", "onset_date", "source_row"])
    frames["assessments"] = frames["assessments"].reindex(
        columns=["patient_id", "date", "marrow_blasts_pct", "anc_10e9_l", "platelets_10e9_l", "mrd_percent",
                 "mrd_qualifier", "mrd_status", "source_row"])
    for name, column in (("transplants", "date"), ("adverse_events", "onset_date"), ("assessments", "date")):
        frames[name][column] = pd.to_datetime(frames[name][column])
    return frames


CR = (28, 1.0, 2.0, 150.0, 0.5, "=", "measured")  # CR with MRD 0.5% (positive)


def tte(datasets, pid, param):
    rows = datasets["adtte"]
    return rows[(rows["patient_id"] == pid) & (rows["PARAMCD"] == param)].iloc[0]


def adsl_row(datasets, pid):
    return datasets["adsl"].set_index("patient_id").loc[pid]


def test_adsl_base_labels_transplant_and_exposure_by_hand():
    """Refractory and age labels, the first of two transplants, and no first_dose_date in patients.

    By hand: relapse_number 0 -> "primary refractory", 1 and 2 -> "relapsed"; age 9.99 -> "<10 y", 10.0 and
    10.5 -> ">=10 y" (cut-off < 10). P1 has transplants on day 60 (row 3, "Bu") and day 40 (row 4, "TBI"):
    the first is day 40 with "TBI"; last dose day 14, so 40 - 14 = 26 days. P2 has none: <NA>.
    """
    tables = cohort([{"id": "P1", "hsct": 60}, {"id": "P2"}, {"id": "P3"}])
    patients = tables["patients"].drop(columns=["first_dose_date"])  # derived from the doses, may be absent
    patients["relapse_number"] = [0, 1, 2]
    patients["age_at_first_dose_years"] = [9.99, 10.0, 10.5]
    transplants = pd.concat([tables["transplants"], pd.DataFrame(
        {"patient_id": ["P1"], "date": [day(40)], "donor_type": ["MSD"], "conditioning": ["TBI"], "source_row": [4]})],
        ignore_index=True)
    transplants.loc[0, "conditioning"] = "Bu"
    base = derive_adsl_base(patients, tables["ino_doses"], transplants, RULES).set_index("patient_id")
    assert list(base.index) == ["P1", "P2", "P3"]
    assert base["refractory"].tolist() == ["primary refractory", "relapsed", "relapsed"]
    assert base["age_group"].tolist() == ["<10 y", ">=10 y", ">=10 y"]
    assert base.loc["P1", "hsct_date"] == day(40)
    assert base.loc["P1", "hsct_donor_type"] == "MSD"
    assert base.loc["P1", "hsct_conditioning"] == "TBI"
    assert base["hsct_conditioning"].isna().tolist() == [False, True, True]
    assert str(base["days_last_dose_to_hsct"].dtype) == "Int64"
    assert base.loc["P1", "days_last_dose_to_hsct"] == 26
    assert base["days_last_dose_to_hsct"].isna().tolist() == [False, True, True]
    assert base.loc["P1", "first_dose_date"] == day(0)  # from the doses


def test_first_transplant_columns_with_and_without_the_optional_details():
    """Exactly one row per patient and the contract columns; absent optional details are "not recorded"
    (NaT for the two dates, None otherwise), the conditioning column renamed to hsct_conditioning."""
    transplants = pd.DataFrame({"patient_id": ["P1", "P1", "P2"], "date": [day(50), day(30), day(30)],
                                "donor_type": ["MUD", "MSD", "haplo"], "conditioning": ["Bu", "TBI", None],
                                "source_row": [2, 3, 4]})
    out = first_transplant(transplants)
    assert list(out.columns) == ["patient_id", "hsct_date", "hsct_donor_type", "hsct_conditioning", "agvhd_grade",
                                 "agvhd_date", "cgvhd", "cgvhd_date"]
    assert out["patient_id"].tolist() == ["P1", "P2"]
    assert out["hsct_date"].tolist() == [day(30), day(30)]
    assert out["hsct_conditioning"].tolist() == ["TBI", None]
    for column in ("agvhd_date", "cgvhd_date"):
        assert pd.api.types.is_datetime64_any_dtype(out[column]) and out[column].isna().all()
    for column in ("agvhd_grade", "cgvhd"):
        assert out[column].dtype == object and out[column].isna().all()
    bare = first_transplant(transplants.drop(columns=["conditioning"]))
    assert list(bare.columns) == list(out.columns)
    assert bare["hsct_conditioning"].isna().all()


def test_exposure_of_no_doses_is_an_empty_table():
    doses = pd.DataFrame({"patient_id": pd.Series([], dtype=object), "date": pd.Series([], dtype="datetime64[ns]"),
                          "cycle": pd.Series([], dtype="int64"), "dose_mg_m2": pd.Series([], dtype=float)})
    out = exposure(doses, 1.8)
    assert out.empty
    assert list(out.columns) == ["patient_id", "first_dose_date", "last_dose_date", "n_doses", "n_cycles",
                                 "cumulative_dose_mg_m2", "cycle1_dose_mg_m2", "dose_group"]


def test_add_outcome_flags_by_hand():
    """P1: VOD grades 2 (day 20) and 3 (day 25) -> first date day 20, worst grade 3 (Int64); P2: no VOD,
    and no row in the responses -> evaluable/responder/mrd_negative False (missing is not a response);
    P3 excluded: its recorded response flags are False because it is not analysed."""
    base = pd.DataFrame({"patient_id": ["P1", "P2", "P3"], "included": [True, True, False]})
    responses = pd.DataFrame({"patient_id": ["P1", "P3"], "evaluable": [True, True], "responder": [True, True],
                              "mrd_negative": [False, True]})
    adae = pd.DataFrame({"patient_id": ["P1", "P1", "P3"], "vod": [True, True, False],
                         "ASTDT": [day(25), day(20), day(5)], "AETOXGR": [3, 2, 1],
                         "treatment_emergent": [True, False, True], "after_hsct": [False, True, False]})
    adsl = add_outcome_flags(base, responses, adae).set_index("patient_id")
    assert str(adsl["vod_worst_grade"].dtype) == "Int64"
    assert adsl.loc["P1", "vod_worst_grade"] == 3 and adsl.loc["P1", "vod_date"] == day(20)
    assert adsl["vod_worst_grade"].isna().tolist() == [False, True, True]
    assert "XXvod_worst_gradeXX" not in adsl and "VOD_WORST_GRADE" not in adsl
    assert adsl["vod"].tolist() == [True, False, False]
    assert adsl["vod_during_ino"].tolist() == [True, False, False]
    assert adsl["vod_after_hsct"].tolist() == [True, False, False]
    assert adsl["evaluable"].tolist() == [True, False, False]
    assert adsl["responder"].tolist() == [True, False, False]
    assert adsl["mrd_negative"].tolist() == [False, False, False]
    assert adsl["evaluable"].dtype == bool


def test_death_on_the_day_of_the_first_dose():
    data = derive_analysis_datasets(cohort([{"id": "P1", "doses": [(0, 1, 0.8)], "death": 0}]), RULES)
    os_row = tte(data, "P1", "OS")
    assert (os_row["AVAL_DAYS"], os_row["AVAL"], os_row["CNSR"]) == (0, 0.0, 0)
    assert os_row["SRCDOM"] == "follow_up" and os_row["SRCVAR"] == "death_date"
    patient = adsl_row(data, "P1")
    assert not patient["evaluable"] and not patient["responder"]  # no assessment: not evaluable
    assert tte(data, "P1", "EFS")["EVNTDESC"] == "death"


def test_relapse_and_death_on_the_same_day():
    data = derive_analysis_datasets(cohort([{"id": "P1", "assessments": [CR], "relapse": 100, "death": 100}]), RULES)
    efs = tte(data, "P1", "EFS")
    assert (efs["AVAL_DAYS"], efs["CNSR"], efs["EVNTDESC"]) == (100, 0, "relapse")
    rel = tte(data, "P1", "REL")  # relapse, not the competing death, is the event
    assert (rel["AVAL_DAYS"], rel["EVNTCD"], rel["CNSR"]) == (100, 1, 0)
    assert tte(data, "P1", "OS")["CNSR"] == 0


@pytest.mark.parametrize(("percent", "qualifier", "status", "expected"), [
    (0.01, "=", "measured", False),   # exactly at the threshold: not below it
    (0.0099, "=", "measured", True),
    (0.01, "<", "measured", True),    # "<0.01%": below the threshold
    (0.1, "<", "measured", None),     # "<0.1%": cannot tell against 0.01%
    (5.0, ">", "measured", False),
    (None, "<", "negative_text", True),
    (None, "=", "not_done", None),
    (None, None, "missing", None),
])
def test_mrd_negativity_against_the_threshold(percent, qualifier, status, expected):
    assert mrd_negative(percent, qualifier, status, 0.01) is expected


def test_mrd_at_threshold_and_below_threshold_patients():
    at = (28, 1.0, 2.0, 150.0, 0.01, "=", "measured")
    below = (28, 1.0, 2.0, 150.0, 0.01, "<", "measured")
    data = derive_analysis_datasets(cohort([{"id": "AT", "assessments": [at]}, {"id": "LT", "assessments": [below]}]),
                                    RULES)
    assert not adsl_row(data, "AT")["mrd_negative"]
    assert adsl_row(data, "LT")["mrd_negative"]
    assert adsl_row(data, "LT")["first_mrd_negative_date"] == day(28)


def test_patient_without_any_assessment():
    data = derive_analysis_datasets(cohort([{"id": "P1", "last": 50}]), RULES)
    patient = adsl_row(data, "P1")
    assert patient["included"] and not patient["evaluable"] and not patient["mrd_negative"]
    assert pd.isna(patient["best_response"])
    efs = tte(data, "P1", "EFS")  # not evaluable: no "no response" event, censored at last contact
    assert (efs["CNSR"], efs["AVAL_DAYS"]) == (1, 50)


def test_hsct_before_the_first_assessment_ends_the_response_window():
    data = derive_analysis_datasets(cohort([{"id": "P1", "hsct": 20, "assessments": [CR]}]), RULES)
    patient = adsl_row(data, "P1")
    assert patient["hsct_after_ino"] and patient["days_last_dose_to_hsct"] == 6
    assert not patient["evaluable"]  # the day-28 remission follows the transplant, not InO
    assert not data["adrs"]["in_response_window"].any()
    lenient = EndpointRules(cutoff_date=RULES.cutoff_date, response=ResponseCriteria(window_ends_at_hsct=False))
    assert adsl_row(derive_analysis_datasets(cohort([{"id": "P1", "hsct": 20, "assessments": [CR]}]), lenient),
                    "P1")["responder"]


def cut_off(tables: dict[str, pd.DataFrame], cutoff: dt.date):
    """The records stage's cut-off step (it runs while rows are still numbered `_row`)."""
    renamed = {name: frame.rename(columns={"source_row": "_row"}) for name, frame in tables.items()}
    kept, findings = apply_cutoff(renamed, {name: name for name in tables}, cutoff)
    return {name: frame.rename(columns={"_row": "source_row"}) for name, frame in kept.items()}, findings


def test_last_contact_after_the_cutoff_is_censored_there():
    tables = cohort([{"id": "P1", "assessments": [CR], "last": 1500}])
    cut = dt.date(2022, 1, 1)  # 731 days after DAY0
    tables, findings = cut_off(tables, cut)
    data = derive_analysis_datasets(tables, EndpointRules(cutoff_date=cut))
    os_row = tte(data, "P1", "OS")
    assert (os_row["AVAL_DAYS"], os_row["CNSR"]) == (731, 1)
    assert [f.column for f in findings] == ["last_contact_date"]


def test_death_after_the_cutoff_is_not_counted():
    tables = cohort([{"id": "P1", "assessments": [CR], "death": 800}])
    tables, findings = cut_off(tables, dt.date(2022, 1, 1))
    os_row = tte(derive_analysis_datasets(tables, RULES), "P1", "OS")
    assert (os_row["AVAL_DAYS"], os_row["CNSR"]) == (731, 1)


def test_no_adverse_events_at_all():
    data = derive_analysis_datasets(cohort([{"id": "P1", "assessments": [CR]}, {"id": "P2"}]), RULES)
    assert data["adae"].empty
    assert not data["adsl"]["vod"].any()


def test_vod_after_hsct_and_dose_group():
    reduced = [(0, 1, 0.5), (7, 1, 0.5)]
    data = derive_analysis_datasets(cohort([
        {"id": "S1", "assessments": [CR], "hsct": 60, "aes": [("ВОБ/СОС", 3, 75), ("Sepsis", 4, 10)]},
        {"id": "S2", "assessments": [CR], "hsct": 60, "aes": [("Febrile neutropenia", 3, 10)]},
        {"id": "R1", "doses": reduced, "assessments": [CR], "hsct": 60, "aes": [("veno-occlusive disease", 2, 70)]},
    ]), RULES)
    adsl = data["adsl"].set_index("patient_id")
    assert adsl["dose_group"].to_dict() == {"R1": "reduced", "S1": "standard", "S2": "standard"}
    assert adsl.loc["S1", "cycle1_dose_mg_m2"] == 1.8 and adsl.loc["R1", "cumulative_dose_mg_m2"] == 1.0
    assert adsl["vod"].to_dict() == {"R1": True, "S1": True, "S2": False}
    vod = tte(data, "S1", "VOD")
    assert (vod["AVAL_DAYS"], vod["EVNTCD"], vod["SRCDOM"]) == (15, 1, "adae")
    adae = data["adae"].set_index(["patient_id", "AEDECOD"])
    assert adae.loc[("S1", "Sinusoidal obstruction syndrome (VOD/SOS)"), "after_hsct"]
    assert adae.loc[("S1", "Sepsis"), "during_ino"] and adae.loc[("S1", "Sepsis"), "grade3plus"]


def test_no_response_is_an_efs_event_at_day_zero_by_default():
    nr = (28, 40.0, 0.2, 20.0, None, None, "not_done")
    tables = cohort([{"id": "P1", "assessments": [nr], "death": 90}])
    assert tte(derive_analysis_datasets(tables, RULES), "P1", "EFS")["AVAL_DAYS"] == 0
    later = EndpointRules(cutoff_date=RULES.cutoff_date, no_response_is_event_at_day0=False)
    efs = tte(derive_analysis_datasets(tables, later), "P1", "EFS")
    assert (efs["AVAL_DAYS"], efs["EVNTDESC"]) == (28, "no response (CR/CRi not reached)")


@pytest.mark.parametrize(("blasts", "expected"), [(0.0, "M1"), (4.99, "M1"), (5.0, "M2"), (24.9, "M2"),
                                                  (25.0, "M3"), (None, None)])
def test_marrow_status(blasts, expected):
    assert marrow_status(blasts) == expected


@pytest.mark.parametrize(("blasts", "anc", "plt", "baseline", "expected"), [
    (2.0, 1.0, 100.0, 60.0, "CR"),      # counts exactly at the limits recover
    (2.0, 0.99, 100.0, 60.0, "CRi"),
    (2.0, None, None, 60.0, "CRi"),     # counts not recorded: no proof of recovery
    (5.0, 3.0, 200.0, 60.0, "PR"),      # 5% is not below 5%: M2 and halved from 60%
    (20.0, 3.0, 200.0, 30.0, "NR"),     # M2 but not halved
    (10.0, 3.0, 200.0, 20.0, "PR"),     # exactly halved (a 50% reduction) counts
    (40.0, 3.0, 200.0, 90.0, "NR"),     # M3
])
def test_assessment_response(blasts, anc, plt, baseline, expected):
    assert assessment_response(blasts, anc, plt, baseline, ResponseCriteria()) == expected


def _adtte_by_hand_inputs():
    """Five included patients (listed out of order) and one excluded, days from DAY0 (see the expected rows)."""
    nat = pd.NaT
    adsl = pd.DataFrame({
        "patient_id": ["P5", "P3", "P2", "P1", "P0", "P4"],
        "included": [True, True, True, True, True, False],
        "first_dose_date": [day(0), day(5), day(0), day(0), day(0), day(0)],
        "evaluable": [True, True, True, True, False, True],
        "responder": [True, True, True, False, False, False],
        "hsct_after_ino": [False, False, True, False, False, False],
        "hsct_date": [nat, nat, day(60), nat, nat, nat],
        "vod_date": [nat, nat, day(70), nat, nat, nat],
        "first_remission_date": [day(50), day(40), day(28), nat, nat, nat],
    })
    follow_up = pd.DataFrame({
        "patient_id": ["P0", "P1", "P2", "P3", "P4", "P5"],
        "last_contact_date": [day(30), day(100), day(250), day(90), day(10), day(45)],
        "death_date": [nat, nat, day(250), day(90), nat, nat],
        "relapse_date": [nat, nat, day(200), nat, nat, nat],
    })
    # the last assessment as Python dates (object dtype: converted by _candidate)
    last_assessment = pd.Series([day(28).date(), day(5).date()], index=["P1", "P0"], dtype=object)
    return adsl, follow_up, last_assessment


CENSORED = ("censored at last contact or data cut-off", "follow_up", "last_contact_date")
DEATH = ("follow_up", "death_date")


def test_derive_adtte_by_hand_all_columns_and_both_options():
    """derive_adtte on hand-built adsl/follow_up rows; every expected value worked out from the dates.

    P0 not evaluable, alive to day 30. P1 evaluable non-responder, alive to day 100, last assessment day 28.
    P2 responder (CR day 28), HSCT day 60, VOD day 70, relapse day 200, death day 250. P3 responder
    (first dose day 5, CR day 40), death day 90. P5 responder (CR day 50) last seen day 45 (before the CR:
    DOR censored at its start). P4 is excluded: no rows.
    """
    from ino_study.endpoints.adtte import derive_adtte

    adsl, follow_up, last_assessment = _adtte_by_hand_inputs()
    columns = ["patient_id", "PARAMCD", "STARTDT", "ADT", "AVAL_DAYS", "CNSR", "EVNTCD", "EVNTDESC", "SRCDOM",
               "SRCVAR"]

    def rows(frame, params=("OS", "EFS", "REL", "VOD", "DOR")):
        frame = frame[frame["PARAMCD"].isin(params)]
        return [tuple(r) for r in frame[columns].itertuples(index=False, name=None)]

    def r(pid, param, start, end, cnsr, evntcd, desc, dom=None, var=None):
        if dom is None:
            if desc == "censored":
                desc, dom, var = CENSORED
            else:  # a death (the relapse and other rows give dom and var)
                dom, var = DEATH
        return (pid, param, day(start), day(end), end - start, cnsr, evntcd, desc, dom, var)

    relapse = ("relapse", "follow_up", "relapse_date")
    os_rows = [r("P0", "OS", 0, 30, 1, 0, "censored"), r("P1", "OS", 0, 100, 1, 0, "censored"),
               r("P2", "OS", 0, 250, 0, 1, "death"), r("P3", "OS", 5, 90, 0, 1, "death"),
               r("P5", "OS", 0, 45, 1, 0, "censored")]
    efs_day0 = [r("P0", "EFS", 0, 30, 1, 0, "censored"),
                r("P1", "EFS", 0, 0, 0, 1, "no response (CR/CRi not reached)", "adrs", "first_dose_date"),
                r("P2", "EFS", 0, 200, 0, 1, *relapse), r("P3", "EFS", 5, 90, 0, 1, "death"),
                r("P5", "EFS", 0, 45, 1, 0, "censored")]
    rel = [r("P2", "REL", 0, 200, 0, 1, *relapse),
           r("P3", "REL", 5, 90, 1, 2, "death without relapse (competing)"),
           r("P5", "REL", 0, 45, 1, 0, "censored")]
    vod = [r("P2", "VOD", 60, 70, 0, 1, "VOD/SOS", "adae", "ASTDT")]
    dor_default = [r("P2", "DOR", 28, 200, 0, 1, *relapse), r("P3", "DOR", 40, 90, 0, 1, "death"),
                   r("P5", "DOR", 50, 50, 1, 0, "censored")]
    default = derive_adtte(adsl, follow_up, last_assessment)
    assert rows(default) == os_rows + efs_day0 + rel + vod + dor_default

    # the options: the no-response event at the last assessment (P1 day 28), DOR censored at HSCT (P2 day 60)
    efs_last = [efs_day0[0], r("P1", "EFS", 0, 28, 0, 1, "no response (CR/CRi not reached)", "adrs", "ADT"),
                *efs_day0[2:]]
    dor_hsct = [r("P2", "DOR", 28, 60, 1, 0, "censored at HSCT", "transplants", "date"), *dor_default[1:]]
    both = derive_adtte(adsl, follow_up, last_assessment, no_response_is_event_at_day0=False,
                        dor_censor_at_hsct=True)
    assert rows(both) == os_rows + efs_last + rel + vod + dor_hsct

    # whole frame: the columns in order, AVAL in months (days / 30.4375), PARAM named, integer times
    assert list(both.columns) == ["patient_id", "PARAMCD", "PARAM", "STARTDT", "ADT", "AVAL_DAYS", "AVAL", "CNSR",
                                  "EVNTCD", "EVNTDESC", "SRCDOM", "SRCVAR"]
    assert both.loc[both["PARAMCD"] == "VOD", "AVAL"].tolist() == [10 / 30.4375]
    assert both.loc[both["PARAMCD"] == "OS", "PARAM"].unique().tolist() == ["Overall survival"]
    assert both["AVAL_DAYS"].dtype.kind == "i" and both["CNSR"].dtype.kind == "i" and both["EVNTCD"].dtype.kind == "i"
    # by parameter (OS, EFS, REL, VOD, DOR, then the after-HSCT ones of P2), then patient
    params = both["PARAMCD"].tolist()
    assert params[:17] == ["OS"] * 5 + ["EFS"] * 5 + ["REL"] * 3 + ["VOD"] + ["DOR"] * 3
    assert set(params[17:]) <= {"OS_HSCT", "LFS_HSCT", "NRM_HSCT"} and "OS_HSCT" in params[17:]
    assert "P4" not in set(both["patient_id"])


def test_derive_adtte_same_day_boundaries_and_no_included_patient():
    """Events on the day their endpoint starts count (AVAL 0); an HSCT before the first CR/CRi does not censor
    DOR; with no included patient the table is empty. Expected values worked out from the dates."""
    from ino_study.endpoints.adtte import derive_adtte

    nat = pd.NaT
    adsl = pd.DataFrame({
        "patient_id": ["Q1", "Q2", "Q3"], "included": [True, True, True],
        "first_dose_date": [day(0)] * 3, "evaluable": [True] * 3, "responder": [True] * 3,
        # Q1: VOD on the HSCT day (day 60); Q2: relapse on the CR day (day 30);
        # Q3: HSCT (day 20, after InO) before its CR (day 40): DOR not censored at the HSCT
        "hsct_after_ino": [True, False, True], "hsct_date": [day(60), nat, day(20)],
        "vod_date": [day(60), nat, nat], "first_remission_date": [day(30), day(30), day(40)],
    })
    follow_up = pd.DataFrame({"patient_id": ["Q1", "Q2", "Q3"],
                              "last_contact_date": [day(300), day(300), day(300)],
                              "death_date": [nat, nat, nat], "relapse_date": [nat, day(30), nat]})
    out = derive_adtte(adsl, follow_up, pd.Series(dtype="datetime64[ns]"), dor_censor_at_hsct=True)

    def row(pid, param):
        found = out[(out["patient_id"] == pid) & (out["PARAMCD"] == param)]
        assert len(found) == 1
        return tuple(found.iloc[0][["ADT", "AVAL_DAYS", "EVNTCD", "EVNTDESC"]])

    assert row("Q1", "VOD") == (day(60), 0, 1, "VOD/SOS")  # HSCT day 60 -> VOD day 60
    assert row("Q2", "DOR") == (day(30), 0, 1, "relapse")  # CR day 30 -> relapse day 30
    # Q1: HSCT day 60 after CR day 30 -> censored at HSCT, 30 days; Q3: censored at last contact 300 - 40
    assert row("Q1", "DOR") == (day(60), 30, 0, "censored at HSCT")
    assert row("Q3", "DOR") == (day(300), 260, 0, "censored at last contact or data cut-off")

    # an HSCT on the CR day: censored there (0 days)
    same_day = adsl.assign(first_remission_date=[day(60), day(30), day(40)])
    out = derive_adtte(same_day, follow_up, pd.Series(dtype="datetime64[ns]"), dor_censor_at_hsct=True)
    assert row("Q1", "DOR") == (day(60), 0, 0, "censored at HSCT")

    empty = derive_adtte(adsl.assign(included=False), follow_up, pd.Series(dtype="datetime64[ns]"))
    assert empty.empty and list(empty.columns) == ["patient_id", "PARAMCD", "PARAM", "STARTDT", "ADT", "AVAL_DAYS",
                                                   "AVAL", "CNSR", "EVNTCD", "EVNTDESC", "SRCDOM", "SRCVAR"]


def test_first_of_takes_the_earliest_date_before_1970_too():
    """_first_of compares dates as int64 nanoseconds: dates before the 1970 epoch (negative) order as dates.

    By hand: 1960-03-01 is before 1960-06-01, so the death is chosen; on 1960-06-01 both, the first listed wins.
    """
    from ino_study.endpoints.adtte import _candidate, _first_of

    frame = pd.DataFrame({"patient_id": ["A", "B"], "_patient": [0, 1]})
    death = _candidate(frame, pd.Series(pd.to_datetime(["1960-03-01", "1960-06-01"])), 1, "death", "d", "death")
    censor = _candidate(frame, pd.Series(pd.to_datetime(["1960-06-01", "1960-06-01"])), 0, "censored", "d", "last")
    first = _first_of([censor, death])
    assert first["ADT"].tolist() == [pd.Timestamp("1960-03-01"), pd.Timestamp("1960-06-01")]
    assert first["EVNTDESC"].tolist() == ["death", "censored"]


def test_derive_adtte_death_after_hsct_without_vod_is_the_competing_vod_event():
    """HSCT day 30, no VOD/SOS, death day 50: VOD row at day 50, 20 days, EVNTCD 2 (competing), CNSR 1."""
    from ino_study.endpoints.adtte import derive_adtte

    adsl = pd.DataFrame({"patient_id": ["V1"], "included": [True], "first_dose_date": [day(0)],
                         "evaluable": [True], "responder": [False], "hsct_after_ino": [True],
                         "hsct_date": [day(30)], "vod_date": [pd.NaT], "first_remission_date": [pd.NaT]})
    follow_up = pd.DataFrame({"patient_id": ["V1"], "last_contact_date": [day(50)], "death_date": [day(50)],
                              "relapse_date": [pd.NaT]})
    out = derive_adtte(adsl, follow_up, pd.Series(dtype="datetime64[ns]"))
    vod = out[out["PARAMCD"] == "VOD"]
    assert [tuple(r) for r in vod[["ADT", "AVAL_DAYS", "CNSR", "EVNTCD", "EVNTDESC", "SRCDOM", "SRCVAR"]]
            .itertuples(index=False, name=None)] == [
        (day(50), 20, 1, 2, "death without VOD/SOS (competing)", "follow_up", "death_date")]


def test_adtte_invariants():
    data = derive_analysis_datasets(cohort([
        {"id": "A", "assessments": [CR], "relapse": 200, "death": 300},
        {"id": "B", "assessments": [CR], "hsct": 50, "last": 600},
        {"id": "C", "death": 5},
    ]), RULES)
    adtte = data["adtte"]
    assert (adtte["AVAL"] >= 0).all() and set(adtte["CNSR"]) <= {0, 1}
    assert adtte.groupby(["patient_id", "PARAMCD"]).size().max() == 1
    # DOR for the two in CR; after HSCT for B (in CR at HSCT; no GVHD recorded: no GVHD or GRFS rows)
    assert set(adtte["PARAMCD"]) == {"OS", "EFS", "REL", "VOD", "DOR", "OS_HSCT", "LFS_HSCT", "NRM_HSCT"}


def test_every_derived_column_is_in_the_data_dictionary():
    from pathlib import Path

    from ino_study.endpoints.dictionary import DATASETS, dictionary_markdown

    data = derive_analysis_datasets(cohort([
        {"id": "A", "assessments": [CR], "hsct": 50, "aes": [("VOD", 3, 60)], "relapse": 200, "death": 300},
    ]), RULES)
    for name, frame in data.items():
        assert list(frame.columns) == list(DATASETS[name][1]), name
    committed = Path(__file__).resolve().parents[1] / "docs" / "analysis_datasets.md"
    assert committed.read_text() == dictionary_markdown(), "regenerate docs/analysis_datasets.md"


def test_vectorised_assessment_functions_equal_the_per_value_ones():
    """marrow_statuses / assessment_responses / mrd_negatives give what the per-value definitions give."""
    import numpy as np

    from ino_study.endpoints.adrs import assessment_responses, marrow_statuses, mrd_negatives

    rng = np.random.default_rng(0)
    edges = np.array([np.nan, 0.0, 4.999, 5.0, 24.999, 25.0, 30.0, 0.5, 1.0, 100.0, 0.01, 0.1])
    n = 4000
    blasts, anc, plt, base = (np.where(rng.random(n) < 0.3, rng.choice(edges, n), rng.uniform(0, 100, n))
                              for _ in range(4))
    anc, plt = anc / 20, plt * 2
    criteria = ResponseCriteria()
    assert marrow_statuses(blasts).tolist() == [marrow_status(b) for b in blasts]
    assert assessment_responses(blasts, anc, plt, base, criteria).tolist() == [
        assessment_response(b, a, p, bb, criteria) for b, a, p, bb in zip(blasts, anc, plt, base)]
    percent = np.where(rng.random(n) < 0.5, rng.choice(edges, n), rng.uniform(0, 0.05, n))
    qualifier = rng.choice(np.array(["<", ">", "=", None], dtype=object), n)
    status = rng.choice(np.array(["measured", "negative_text", "not_done", "missing", None], dtype=object), n)
    for threshold in (0.01, 0.1):
        got = mrd_negatives(percent, qualifier, status, threshold)
        expected = [mrd_negative(v, q, s, threshold) for v, q, s in zip(percent, qualifier, status)]
        assert [None if v is pd.NA else bool(v) for v in got] == expected


def test_sort_codes_order_rows_as_the_text_does():
    from ino_study.endpoints.sorting import sort_codes

    ids = pd.Series(["P10", "P2", None, "P1", "P2", "p0"], dtype=object)
    frame = pd.DataFrame({"id": ids, "codes": sort_codes(ids), "row": range(len(ids))})
    by_text = frame.sort_values(["id", "row"], kind="stable")["row"].tolist()
    assert frame.sort_values(["codes", "row"], kind="stable")["row"].tolist() == by_text


def test_ctcae_terms_equal_ctcae_term():
    from ino_study.endpoints.adae import ctcae_term, ctcae_terms

    terms = pd.Series(["VOD", " вОб/сОс ", "Sepsis", "Unknown thing", "VOD", "febrile  neutropenia"])
    assert ctcae_terms(terms) == [ctcae_term(t) for t in terms]


def test_in_order_of_integer_keys():
    import numpy as np

    from ino_study.endpoints.sorting import in_order

    assert in_order(np.array([0, 0, 1]), np.array([2, 5, 1]))
    assert not in_order(np.array([0, 0, 1]), np.array([5, 2, 1]))
    assert in_order(np.array([], dtype=int), np.array([], dtype=int))


def test_ctcae_term_collapses_whitespace_and_keeps_unknown_terms_as_written():
    from ino_study.endpoints.adae import ctcae_term

    # runs of spaces and tabs count as one space before the look-up (TERM_SYNONYMS keys are single-spaced)
    assert ctcae_term("febrile  neutropenia") == "Febrile neutropenia"
    assert ctcae_term("Veno-occlusive\t disease") == "Sinusoidal obstruction syndrome (VOD/SOS)"
    # a term with no known spelling is kept as written, only trimmed
    assert ctcae_term("  Unknown thing ") == "Unknown thing"


def test_derive_adae_by_hand_with_the_default_window():
    """derive_adae on its own (default 30-day window), every flag worked out from the days below.

    P1: doses day 0 to day 14, no HSCT: treatment-emergent and "during InO" days 0..44.
    P2: doses day 0 to day 14, HSCT day 30: treatment-emergent to day 29, after HSCT from day 30;
    "during InO" days 0..44 whatever the HSCT.
    """
    from ino_study.endpoints.adae import derive_adae

    base = pd.DataFrame({"patient_id": ["P1", "P2"], "first_dose_date": [day(0), day(0)],
                         "last_dose_date": [day(14), day(14)], "hsct_date": [pd.NaT, day(30)]})
    spec = [("P1", "Nausea", 2, -1), ("P1", "Fever", 3, 0), ("P1", "Fever", 4, 10), ("P1", "Fever", 4, 12),
            ("P1", "Sepsis", 1, 44), ("P1", "Sepsis", 3, 20), ("P1", "Vomiting", 1, 45),
            ("P2", "Fever", 2, 5), ("P2", "Fever", 1, 6), ("P2", "VOD", 3, 30)]
    events = pd.DataFrame([{"patient_id": p, "term": t, "grade": g, "onset_date": day(d), "source_row": i}
                           for i, (p, t, g, d) in enumerate(spec, start=2)])
    adae = derive_adae(events, base).set_index("source_row").sort_index()
    assert adae["ADY"].tolist() == [-1, 0, 10, 12, 44, 20, 45, 5, 6, 30]
    assert adae["AETOXGR"].tolist() == [2, 3, 4, 4, 1, 3, 1, 2, 1, 3] and adae["AETOXGR"].dtype.kind == "i"
    assert adae["grade3plus"].tolist() == [False, True, True, True, False, True, False, False, False, True]
    # day -1 is before the first dose, day 45 is last dose + 31
    assert adae["during_ino"].tolist() == [False, True, True, True, True, True, False, True, True, True]
    assert adae["period"].tolist() == ["other"] + ["treatment-emergent"] * 5 + ["other"] + [
        "treatment-emergent"] * 2 + ["after HSCT"]
    # the worst grade of each patient's term; among equal grades the first onset (P1 Fever: day 10, not 12)
    assert adae["worst_in_term"].tolist() == [True, False, True, False, False, True, True, True, False, True]
    for flag in ("grade3plus", "during_ino", "after_hsct", "treatment_emergent", "worst_in_term"):
        assert adae[flag].dtype == bool, flag
    # no SOS columns in the export: empty (None) on every row, the VOD/SOS row too
    assert adae[["sos_severity", "sos_treatment", "sos_outcome"]].map(lambda v: v is None).all().all()


def test_taken_frame_is_take_rename_and_reset_index():
    """What its docstring promises, against pandas' own take/rename/reset_index (types kept)."""
    import numpy as np

    from ino_study.endpoints.sorting import taken_frame

    frame = pd.DataFrame({
        "i": [1, 2, 3], "f": [1.5, float("nan"), 2.0], "o": ["a", None, "c"], "b": [True, False, True],
        "d": pd.to_datetime(["2020-01-01", None, "2020-01-03"]), "n": pd.array([1, None, 3], dtype="Int64"),
        "m": pd.array([True, None, False], dtype="boolean")}, index=[10, 11, 12])
    rows = np.array([2, 0, 1, 2])
    columns = {"I": "i", "F": "f", "O": "o", "B": "b", "D": "d", "N": "n", "M": "m"}
    expected = frame.take(rows)[list(columns.values())].rename(columns={v: k for k, v in columns.items()})
    pd.testing.assert_frame_equal(taken_frame(frame, columns, rows), expected.reset_index(drop=True))


def test_the_centre_column_follows_patient_id_in_adsl():
    tables = cohort([{"id": "A", "assessments": [CR]}, {"id": "B", "assessments": [CR]}])
    tables["patients"]["centre"] = ["SYN-B", "SYN-A"]
    adsl = derive_analysis_datasets(tables, RULES)["adsl"]
    assert list(adsl.columns[:3]) == ["patient_id", "centre", "included"]
    assert adsl.set_index("patient_id")["centre"].to_dict() == {"A": "SYN-B", "B": "SYN-A"}
    # one centre: no centre column
    assert "centre" not in derive_analysis_datasets(cohort([{"id": "A", "assessments": [CR]}]), RULES)["adsl"]
