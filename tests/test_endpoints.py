"""Endpoint derivations on hand-worked mini cohorts; the expected answer is written out in each test.

The clean tables are built directly (as the records stage leaves them), so each test isolates one
definition of `ino_study.endpoints`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ino_study.endpoints.adrs import assessment_response, marrow_status, mrd_negative
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
    (40.0, 3.0, 200.0, 90.0, "NR"),     # M3
])
def test_assessment_response(blasts, anc, plt, baseline, expected):
    assert assessment_response(blasts, anc, plt, baseline, ResponseCriteria()) == expected


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
