"""Issue 21 items 1, 2 and 8, hand-worked on tiny cohorts: treatment-emergent adverse events (config
`teae_window_days`), adverse events after HSCT, SOS/VOD by period with its EBMT severity, treatment and
outcome, and the Table 1 variables of the optional contract columns (CNS, extramedullary disease, prior
lines, CR1 duration, MRD method and detection limit).

Every expected value below is worked out by hand from the dates in the test (doses on days 0, 7 and 14
of the default `cohort` spec, so the last dose is day 14 and, with the default 30-day window, the
treatment-emergent period ends on day 44 unless HSCT comes first).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from ino_study.endpoints.adsl import add_cr1_duration
from ino_study.endpoints.derive import derive_analysis_datasets
from ino_study.outputs.summary import headline_rates
from ino_study.records.parse import ParseError, parse_cns_status, parse_mrd_method, parse_sos_outcome, parse_sos_severity
from ino_study.tables import table1 as t1
from ino_study.tables.adverse_events import adverse_event_notes, adverse_event_table, sos_vod_note, sos_vod_table
from test_endpoints import CR, RULES, cohort, day

VOD = "Sinusoidal obstruction syndrome (VOD/SOS)"


def periods(data, pid):
    adae = data["adae"][data["adae"]["patient_id"] == pid]
    return dict(zip(adae["ASTDT"].map(lambda d: (d - day(0)).days), adae["period"]))


# ---------------------------------------------------------------------------------- the periods


def test_window_edges_and_the_day_of_hsct():
    data = derive_analysis_datasets(cohort([
        # no HSCT: last dose day 14, window to day 44 inclusive
        {"id": "N1", "assessments": [CR], "aes": [("Nausea", 1, 44), ("Fever", 1, 45), ("Nausea", 2, 0)]},
        # HSCT on day 60 (after the window): day 44 in, days 45-59 in neither period, day 60 after HSCT
        {"id": "H1", "assessments": [CR], "hsct": 60,
         "aes": [("Sepsis", 3, 44), ("Fever", 2, 59), ("Sepsis", 5, 60)]},
        # HSCT on day 30 (inside the window): the period ends the day before HSCT, day 29
        {"id": "H2", "assessments": [CR], "hsct": 30,
         "aes": [("Fever", 1, 29), ("veno-occlusive disease", 3, 30), ("Nausea", 1, 31)]},
    ]), RULES)
    assert periods(data, "N1") == {0: "treatment-emergent", 44: "treatment-emergent", 45: "other"}
    assert periods(data, "H1") == {44: "treatment-emergent", 59: "other", 60: "after HSCT"}
    assert periods(data, "H2") == {29: "treatment-emergent", 30: "after HSCT", 31: "after HSCT"}
    adsl = data["adsl"].set_index("patient_id")
    assert adsl.loc["H2", "vod_after_hsct"] and not adsl.loc["H2", "vod_during_ino"]


def test_the_window_comes_from_the_config():
    spec = [{"id": "N1", "assessments": [CR], "aes": [("Nausea", 1, 14), ("Fever", 1, 15), ("Fever", 2, 21)]}]
    narrow = derive_analysis_datasets(cohort(spec), dataclasses.replace(RULES, teae_window_days=0))
    assert periods(narrow, "N1") == {14: "treatment-emergent", 15: "other", 21: "other"}
    week = derive_analysis_datasets(cohort(spec), dataclasses.replace(RULES, teae_window_days=7))
    assert periods(week, "N1") == {14: "treatment-emergent", 15: "treatment-emergent", 21: "treatment-emergent"}


def test_vod_during_ino_and_after_hsct_and_the_headline():
    data = derive_analysis_datasets(cohort([
        # standard dose, VOD during InO (day 20), then HSCT on day 60: not a VOD after HSCT
        {"id": "S1", "assessments": [CR], "hsct": 60, "aes": [("VOD", 3, 20)]},
        # standard dose, VOD on the day of HSCT: after HSCT
        {"id": "S2", "assessments": [CR], "hsct": 60, "aes": [("SOS", 4, 60)]},
        {"id": "S3", "assessments": [CR], "hsct": 60},
        # standard dose, no HSCT, VOD during InO: in neither HSCT count
        {"id": "S4", "assessments": [CR], "aes": [("ВОБ", 2, 25)]},
    ]), RULES)
    rates = headline_rates(data["adsl"], 0.95)
    assert (rates["vod_standard_dose_hsct"]["count"], rates["vod_standard_dose_hsct"]["denominator"]) == (1, 3)
    assert (rates["vod_during_ino"]["count"], rates["vod_during_ino"]["denominator"]) == (2, 4)
    assert (rates["vod_after_hsct"]["count"], rates["vod_after_hsct"]["denominator"]) == (1, 3)


# ------------------------------------------------------------------------------------ the tables


@pytest.fixture()
def two_periods():
    return derive_analysis_datasets(cohort([
        {"id": "A", "assessments": [CR], "hsct": 60,
         "aes": [("Sepsis", 3, 10), ("Sepsis", 5, 90), ("Fever", 1, 60)]},
        {"id": "B", "assessments": [CR], "aes": [("Sepsis", 4, 20), ("Nausea", 1, 50)]},  # day 50: neither
        {"id": "C", "assessments": [CR], "hsct": 40, "aes": [("veno-occlusive disease", 3, 52)]},
        {"id": "D", "assessments": [CR]},
    ]), RULES)


def test_treatment_emergent_table_over_all_and_after_hsct_table_over_transplanted(two_periods):
    adsl, adae = two_periods["adsl"], two_periods["adae"]
    teae = adverse_event_table(adsl, adae).set_index("term")
    # A's grade-3 sepsis (day 10) and B's grade-4 (day 20); A's grade-5 sepsis after HSCT is not here
    assert list(teae.index) == ["Sepsis"]
    assert teae.loc["Sepsis", ["any_grade_n", "worst_grade_3_n", "worst_grade_4_n", "worst_grade_5_n",
                               "denominator"]].tolist() == [2, 1, 1, 0, 4]
    assert teae.loc["Sepsis", "any_grade"] == "2 (50%)" and set(teae["period"]) == {"treatment-emergent"}
    after = adverse_event_table(adsl, adae, "after HSCT").set_index("term")
    # transplanted: A (day 60) and C (day 40): 2 patients
    assert after.loc["Sepsis", ["any_grade_n", "worst_grade_5_n", "denominator"]].tolist() == [1, 1, 2]
    assert after.loc["Fever", "any_grade"] == "1 (50%)"
    assert after.loc[VOD, "worst_grade_3_n"] == 1
    assert list(after.columns) == list(teae.columns)
    teae_note, after_note = adverse_event_notes(adsl, adae, 30)
    assert "last dose + 30 days" in teae_note and "N = 4 included" in teae_note
    assert "1 events of 1 patients fall in neither period" in teae_note
    assert "N = 2 included patients transplanted" in after_note


def test_sos_vod_table_with_and_without_the_optional_columns(two_periods):
    adsl, adae = two_periods["adsl"], two_periods["adae"]
    table = sos_vod_table(adsl, adae)
    # C: last dose day 14, HSCT day 40 (26 days later), VOD on day 52 = HSCT + 12
    assert table.iloc[0][["patient_id", "period", "onset_day", "days_after_hsct", "ctcae_grade",
                          "days_last_dose_to_hsct"]].tolist() == ["C", "after HSCT", 52, 12, 3, 26]
    assert table.iloc[0][["ebmt_severity", "treatment", "outcome"]].tolist() == ["not recorded"] * 3
    note = sos_vod_note(adsl, adae)
    assert "during InO (treatment-emergent): 0 of 4" in note and "after HSCT: 1 of 2" in note
    assert "Not recorded in this export: EBMT severity, treatment, outcome" in note
    adae = adae.copy()
    vod = adae["vod"]
    adae.loc[vod, ["sos_severity", "sos_treatment", "sos_outcome"]] = ["severe", "defibrotide", "resolved"]
    table = sos_vod_table(adsl, adae)
    assert table.iloc[0][["ebmt_severity", "treatment", "outcome"]].tolist() == ["severe", "defibrotide", "resolved"]
    assert "Not recorded" not in sos_vod_note(adsl, adae)


def test_sos_columns_are_kept_on_vod_rows_only():
    tables = cohort([{"id": "A", "assessments": [CR], "hsct": 40,
                      "aes": [("VOD", 3, 52), ("Fever", 1, 10)]}])
    tables["adverse_events"]["sos_severity"] = ["moderate", "mild"]
    adae = derive_analysis_datasets(tables, RULES)["adae"].set_index("AEDECOD")
    assert adae.loc[VOD, "sos_severity"] == "moderate" and adae.loc["Fever", "sos_severity"] is None


# -------------------------------------------------------------------------------------- parsers


@pytest.mark.parametrize(("parser", "raw", "value"), [
    (parse_cns_status, "CNS1", "CNS1"), (parse_cns_status, "cns 2", "CNS2"), (parse_cns_status, 3, "CNS3"),
    (parse_cns_status, "ЦНС-3", "CNS3"), (parse_mrd_method, "Flow cytometry", "flow"),
    (parse_mrd_method, "ПЦР", "PCR"), (parse_mrd_method, "ngs", "NGS"),
    (parse_sos_severity, "Very severe", "very severe"), (parse_sos_severity, "тяжелая", "severe"),
    (parse_sos_outcome, "Разрешилась", "resolved"), (parse_sos_outcome, "fatal", "fatal"),
    (parse_cns_status, "н/д", None),
])
def test_coded_optional_columns_read(parser, raw, value):
    assert parser(raw).value == value


@pytest.mark.parametrize(("parser", "raw"), [
    (parse_cns_status, "CNS4"), (parse_cns_status, 0), (parse_mrd_method, "FISH"), (parse_sos_severity, 3),
    (parse_sos_severity, "grade 3"), (parse_sos_outcome, "improved"),
])
def test_coded_optional_columns_reject(parser, raw):
    with pytest.raises(ParseError):
        parser(raw)


# -------------------------------------------------------------------------------------- Table 1


def test_cr1_duration_and_its_18_month_cut_off():
    # 18 months = 18 x 30.4375 = 547.875 days: 547 days is < 18 months, 548 days is >= 18 months
    base = pd.DataFrame({
        "patient_id": ["a", "b", "c", "d"], "relapse_number": [1, 2, 0, 1],
        "cr1_date": pd.to_datetime(["2019-01-01", "2019-01-01", None, "2019-01-01"]),
        "first_relapse_date": pd.to_datetime(["2020-07-01", "2020-07-02", None, None]),  # 547, 548 days
    })
    out = add_cr1_duration(base)
    assert out["cr1_duration_months"].tolist()[:2] == [round(547 / 30.4375, 2), round(548 / 30.4375, 2)]
    assert out["cr1_duration_group"].tolist() == ["< 18 months", ">= 18 months", "primary refractory", None]
    assert out["prior_lines"].isna().all() and out["cns_status"].isna().all()  # absent columns: not recorded


def adsl_for_table1(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"patient_id": [f"p{i}" for i in range(n)], "included": [True] * n, **columns})


def test_median_and_quartiles_as_gtsummary_with_r_quantile_type_2():
    # R: quantile(c(1, 2, 3, 4), c(.25, .75), type = 2) = 1.5, 3.5 (type 7 would give 1.75, 3.25);
    # quantile(1:5, c(.25, .75), type = 2) = 2, 4
    four = t1.table1(adsl_for_table1(prior_lines=pd.array([4, 1, 3, 2], dtype="Int64")))
    assert four.iloc[0]["level"] == "Median (Q1, Q3)" and four.iloc[0]["Overall, N = 4"] == "2.5 (1.5, 3.5)"
    five = t1.table1(adsl_for_table1(prior_lines=pd.array([5, 1, 3, 2, 4], dtype="Int64")))
    assert five.iloc[0]["Overall, N = 5"] == "3 (2, 4)"
    limit = t1.table1(adsl_for_table1(mrd_detection_limit_pct=[0.01, 0.001, 0.01, None]))
    assert limit["Overall, N = 4"].tolist() == ["0.01 (0.001, 0.01)", "1"]
    assert limit["level"].tolist() == ["Median (Q1, Q3)", "Not recorded"]


def test_not_recorded_rows_and_note():
    adsl = adsl_for_table1(cns_status=["CNS1", None, "CNS3", "CNS1"], extramedullary_disease=[None] * 4,
                           mrd_method=["flow", "no MRD result", None, "flow + PCR"],
                           sex=["F", None, "M", "M"])
    table = t1.table1(adsl)
    rows = {(r.variable, r.level): r[3 + 1] for r in table.itertuples(index=False)}
    assert rows[("cns_status", "CNS1")] == "2 (50%)" and rows[("cns_status", "Not recorded")] == "1 (25%)"
    assert rows[("extramedullary_disease", "Not recorded")] == "4 (100%)"
    assert rows[("mrd_method", "no MRD result")] == "1 (25%)" and rows[("mrd_method", "flow + PCR")] == "1 (25%)"
    assert rows[("sex", "Unknown")] == "1 (25%)"  # the existing variables keep 'Unknown'
    assert t1.unrecorded_variables(adsl) == ["extramedullary_disease"]


# ---------------------------------------------------------------------- the SYNTHETIC reference cohort


def test_reference_cohort_periods_and_abstract_vod():
    """From REFERENCE_PATIENTS (ino_study.synthetic): INO-005 (HSCT day 60, sepsis grade 5 day 196) and
    INO-011 (HSCT day 50, sepsis grade 5 day 236) die of sepsis after HSCT; only INO-007's early sepsis
    (day 10) is treatment-emergent. Both VOD/SOS (INO-006 day 109, HSCT 95; INO-011 day 68, HSCT 50) are
    after HSCT that followed standard-dose InO: the abstract's 2 of 6."""
    from bad_inputs.corpus import run
    from test_synthetic import DEFAULT_XLSX

    records = run(DEFAULT_XLSX).records
    data = derive_analysis_datasets(records.tables, dataclasses.replace(RULES, cutoff_date=pd.Timestamp(
        "2023-01-31").date()))
    adsl, adae = data["adsl"], data["adae"]
    teae = adverse_event_table(adsl, adae).set_index("term")
    after = adverse_event_table(adsl, adae, "after HSCT").set_index("term")
    assert teae.loc["Sepsis", "worst_grade_5_n"] == 1 and after.loc["Sepsis", "worst_grade_5_n"] == 2
    assert VOD not in teae.index and after.loc[VOD, "any_grade_n"] == 2 and after.loc[VOD, "denominator"] == 8
    rates = headline_rates(adsl, 0.95)["vod_standard_dose_hsct"]
    assert (rates["count"], rates["denominator"]) == (2, 6)
    sos = sos_vod_table(adsl, adae).set_index("patient_id")
    assert sos.loc["INO-006", ["ebmt_severity", "days_after_hsct", "days_last_dose_to_hsct"]].tolist() == [
        "severe", 14, 95 - 46]
    assert sos.loc["INO-011", ["ebmt_severity", "outcome", "days_after_hsct"]].tolist() == ["very severe", "resolved", 18]
    included = adsl[adsl["included"]].set_index("patient_id")
    assert pd.isna(included.loc["INO-007", "cns_status"]) and included.loc["INO-004", "cns_status"] == "CNS3"
    assert included.loc["INO-003", "cr1_duration_group"] == "primary refractory"
    assert included.loc["INO-006", "cr1_duration_group"] == "< 18 months"  # 12 months
    assert included.loc["INO-001", "cr1_duration_group"] == ">= 18 months"  # 24 months
    assert included.loc["INO-016", "mrd_method"] == "PCR" and included.loc["INO-002", "mrd_method"] == "no MRD result"
