"""Several centres (config `raw_data` as a list, `ino_study.records.centres`) and stratified comparisons
(config `stratify_by`): the config checks, each malformed input's exact error, pooling, the report,
provenance, the shipped SYNTHETIC two-centre example, the study's REDCap data dictionary file, the
stratified log-rank test and Cox model against R's printed output and, end to end (slow), the pipeline.

References (numbers transcribed from R's printed output, never from our own functions):

[R-SURVDIFF-STRATA] The survival package's ``survdiff`` help-page example, printed in
          https://github.com/therneau/survival, file tests/Examples/survival-Ex.Rout.save (R 2023-01-09,
          survival 3.5), on the lung data (lifelines ships the same 228 rows, status 0/1):
              survdiff(Surv(time, status) ~ pat.karno + strata(inst), data=lung)
              n=224, 4 observations deleted due to missingness.
                             N Observed Expected (O-E)^2/E (O-E)^2/V
              pat.karno=30   2        1    0.692   0.13720   0.15752
              pat.karno=40   2        1    1.099   0.00889   0.00973
              pat.karno=50   4        4    1.166   6.88314   7.45359
              pat.karno=60  30       27   16.298   7.02790   9.57333
              pat.karno=70  41       31   26.358   0.81742   1.14774
              pat.karno=80  50       38   41.938   0.36978   0.60032
              pat.karno=90  60       38   47.242   1.80800   3.23078
              pat.karno=100 35       21   26.207   1.03451   1.44067
               Chisq= 21.4  on 7 degrees of freedom, p= 0.003
[R-COXPH-STRATA] The same file, the ``coxph`` help-page example (Therneau & Grambsch's "test1" data):
              coxph(Surv(time, status) ~ x + strata(sex), test1)
                  coef exp(coef) se(coef)     z     p
              x 0.8023    2.2307   0.8224 0.976 0.329
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bad_inputs.corpus import RULES
from conftest import (
    PROJECT_ROOT, assert_not_in_outputs, copy_project, load_config, run_snakemake, start_up_error, validate_config,
)
from ino_study.config import STEP_SETTINGS
from ino_study.records.centres import (
    STRATIFY_VARIABLES, Centre, clean_centres, config_problems, input_files, raw_data_problems,
)
from ino_study.records.contract import TABLES
from ino_study.records.provenance import provenance_record, sha256_file
from ino_study.records.quality import DataContractError, findings_frame
from ino_study.records.redcap import field_names
from ino_study.records.report import quality_markdown
from ino_study.statistics.comparisons import cox_univariable, logrank_sums, logrank_test
from ino_study.statistics.survival_analysis import SurvivalData, SurvivalSettings, cox_table, logrank_table
from ino_study.synthetic import build_reference_cohort, redcap_data_dictionary_rows
from ino_study.synthetic_centres import (
    CENTRE_A_WORKBOOK, CENTRE_B_REDCAP, CENTRE_PATIENTS, REDCAP_DICTIONARY, write_redcap_data_dictionary,
    write_two_centre_example,
)

EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "examples" / "two_centres.yaml"
EXAMPLES = PROJECT_ROOT / "data" / "examples"
DICTIONARY = PROJECT_ROOT / REDCAP_DICTIONARY
REDCAP_B = EXAMPLES / CENTRE_B_REDCAP
WORKBOOK_A = EXAMPLES / CENTRE_A_WORKBOOK
RU_WORKBOOK = EXAMPLES / "ru_headers_SYNTHETIC.xlsx"


def pooled_config(entries: list[dict], **keys) -> dict:
    """A validated config whose raw_data lists `entries` (paths absolute)."""
    return validate_config({"raw_data": entries, **keys})


def redcap_entry(name: str, path: Path = REDCAP_B) -> dict:
    return {"centre": name, "path": str(path), "raw_format": "redcap", "redcap_data_dictionary": str(DICTIONARY)}


def redcap_rows(path: Path = REDCAP_B) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(rows: list[list[str]], path: Path) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def pooling_errors(config: dict) -> list[str]:
    with pytest.raises(DataContractError) as error:
        clean_centres(config, RULES)
    return [f.message() for f in error.value.findings]


# ----------------------------------------------------------------------------------------- config


def test_defaults_schema_and_step_settings():
    config = validate_config({})
    assert config["stratify_by"] == [] and isinstance(config["raw_data"], str)
    assert "stratify_by" in STEP_SETTINGS["survival_statistics"] and "stratify_by" in STEP_SETTINGS["scenario_analysis"]
    assert validate_config({"comparisons": ["centre"], "table1_by": "centre"})["table1_by"] == "centre"


@pytest.mark.parametrize("raw_data", [
    [{"centre": "A", "path": "a.xlsx", "raw_format": "spss"}],  # not a format
    [{"centre": "A", "path": "a.xlsx", "column_map": {"patient": {"Пол": "sex"}}}],  # not a table
    "",  # an empty path
])
def test_schema_rejects_a_malformed_entry(raw_data):
    with pytest.raises(Exception) as error:
        validate_config({"raw_data": raw_data})
    assert "raw_data" in str(error.value) or "not valid" in str(error.value)


def test_the_example_config_is_valid_and_lists_every_file():
    config = load_config(EXAMPLE_CONFIG)
    assert config_problems(config, PROJECT_ROOT) == []
    assert [c["centre"] for c in config["raw_data"]] == ["SYN-A", "SYN-B"]
    assert input_files(config) == ["data/examples/centre_SYN-A_SYNTHETIC.xlsx",
                                   "data/examples/centre_SYN-B_redcap_SYNTHETIC.csv",
                                   "data/redcap/ino_study_data_dictionary.csv"]
    assert input_files(load_config()) == ["data/synthetic/ino_registry_export_SYNTHETIC.xlsx"]


# ------------------------------------------------------- malformed centre lists: each exact message


def test_error_a_centre_listed_twice():
    assert raw_data_problems([{"centre": "A", "path": "a.xlsx"}, {"centre": " a ", "path": "b.xlsx"}]) == [
        "config key raw_data, entry 2: centre 'a' is listed twice (entries 1 and 2)"]


def test_error_an_empty_centre_name():
    assert raw_data_problems([{"centre": "  ", "path": "a.xlsx"}]) == [
        "config key raw_data, entry 1: the centre name is empty"]


def test_error_a_centre_name_that_is_not_text():
    assert raw_data_problems([{"centre": 7, "path": "a.xlsx"}]) == [
        "config key raw_data, entry 1: the centre name must be text (quote it in YAML), not 7"]


def test_error_in_a_scenario_names_the_scenario(tmp_path):
    workdir = copy_project(tmp_path / "run")
    output = start_up_error(workdir, "scenarios:\n  pooled:\n    raw_data:\n      - {centre: A}\n")
    assert ("In config key scenarios.pooled: config key raw_data, entry 1 (centre 'A'): no 'path' (the centre's "
            "export)") in output


def test_error_an_entry_without_centre():
    assert raw_data_problems([{"path": "a.xlsx"}]) == ["config key raw_data, entry 1: no 'centre' (the centre's name)"]


def test_error_an_entry_without_path():
    assert raw_data_problems([{"centre": "A"}]) == [
        "config key raw_data, entry 1 (centre 'A'): no 'path' (the centre's export)"]


def test_error_an_empty_path():
    assert raw_data_problems([{"centre": "A", "path": " "}]) == [
        "config key raw_data, entry 1 (centre 'A'): the path is empty"]


def test_error_an_entry_that_is_not_a_mapping():
    assert raw_data_problems(["a.xlsx"]) == [
        "config key raw_data, entry 1: must be a mapping {centre: NAME, path: PATH}, not 'a.xlsx'"]


def test_error_an_empty_list_and_an_unknown_key():
    assert raw_data_problems([]) == [
        "config key raw_data: an empty list of centres (give at least one {centre: NAME, path: PATH})"]
    assert raw_data_problems([{"centre": "A", "path": "a.xlsx", "format": "redcap"}]) == [
        "config key raw_data, entry 1: unknown key(s) format (allowed: centre, path, raw_format, "
        "redcap_data_dictionary, column_map)"]
    assert raw_data_problems("data/x.xlsx") == []


def test_error_a_missing_path():
    config = pooled_config([{"centre": "A", "path": "data/examples/no_such_export.xlsx"}])
    assert config_problems(config, PROJECT_ROOT) == [
        "config key raw_data, centre 'A': path 'data/examples/no_such_export.xlsx' does not exist"]


def test_error_a_centre_whose_column_map_is_invalid():
    config = pooled_config([{"centre": "A", "path": str(RU_WORKBOOK), "column_map": {"follow_up": {"Статус": "status"}}}])
    assert config_problems(config, PROJECT_ROOT) == [
        "config key raw_data, centre 'A': column_map.follow_up: header 'Статус' maps to 'status', which is not a "
        "column of table 'follow_up' (its columns: patient_id, last_contact_date, vital_status, death_date, "
        "death_cause, relapse_date)"]


def test_a_top_level_column_map_that_is_invalid_is_reported_once_not_per_centre():
    """The centres inherit the top-level column_map; the start-up check reports its problem once, as
    "config key column_map" (records.smk: column_map.problem_messages), not again for each centre.
    A centre with its own map is still checked."""
    from ino_study.records.column_map import problem_messages

    bad = {"follow_up": {"Статус": "status"}}
    config = pooled_config([{"centre": "A", "path": str(RU_WORKBOOK)}, {"centre": "B", "path": str(RU_WORKBOOK)},
                            {"centre": "C", "path": str(RU_WORKBOOK), "column_map": {"patients": {"Пол": "gender"}}}],
                           column_map=bad)
    assert len(problem_messages(config["column_map"])) == 1
    assert [line.split(":")[0] for line in config_problems(config, PROJECT_ROOT)] == [
        "config key raw_data, centre 'C'"]


def test_error_a_centres_column_map_with_two_headers_for_one_column():
    config = pooled_config([{"centre": "A", "path": str(RU_WORKBOOK),
                             "column_map": {"patients": {"Пол": "sex", "Gender": "sex"}}}])
    assert config_problems(config, PROJECT_ROOT) == [
        "config key raw_data, centre 'A': column_map.patients: headers 'Пол' and 'Gender' both map to contract "
        "column 'sex'"]


def test_error_a_redcap_centre_without_a_dictionary_or_with_a_missing_one():
    config = pooled_config([{"centre": "B", "path": str(REDCAP_B), "raw_format": "redcap"}])
    assert config_problems(config, PROJECT_ROOT) == [
        "config key raw_data, centre 'B': raw_format redcap needs redcap_data_dictionary (the project's data "
        "dictionary CSV), in the entry or at the top level"]
    config = pooled_config([{**redcap_entry("B"), "redcap_data_dictionary": "data/redcap/none.csv"}])
    assert config_problems(config, PROJECT_ROOT) == [
        "config key raw_data, centre 'B': redcap_data_dictionary 'data/redcap/none.csv' does not exist"]


@pytest.mark.parametrize("key, value", [("comparisons", ["centre"]), ("stratify_by", ["centre"]),
                                        ("table1_by", "centre")])
def test_error_centre_without_several_centres(key, value):
    assert config_problems(validate_config({key: value}), PROJECT_ROOT) == [
        f"config key {key}: 'centre' needs raw_data as a list of centres ({{centre: NAME, path: PATH}}); a single "
        "export has no centre"]


def test_error_stratify_by_an_unknown_variable():
    assert config_problems(validate_config({"stratify_by": ["hospital"]}), PROJECT_ROOT) == [
        "config key stratify_by: 'hospital' is not a patient-level variable of the analysis; choose from "
        + ", ".join(STRATIFY_VARIABLES)]


def test_error_stratify_by_a_variable_that_is_not_a_grouping_variable():
    assert config_problems(validate_config({"stratify_by": ["best_response", "hsct_after_ino"]}), PROJECT_ROOT) == [
        "config key stratify_by: 'best_response' is a column of adsl but not a patient-level grouping variable; "
        "choose from " + ", ".join(STRATIFY_VARIABLES),
        "config key stratify_by: 'hsct_after_ino' is not known at the start of follow-up (stratifying by it is "
        "biased by immortal time); choose from " + ", ".join(STRATIFY_VARIABLES)]


# ------------------------------------------------- malformed centre data: errors naming the centre


def test_error_a_patient_id_colliding_after_prefixing(tmp_path):
    rows = redcap_rows()
    for row in rows[1:]:
        if row[0] == "INO-011":
            row[0] = "Y-INO-011"
    renamed = write_rows(rows, tmp_path / "x.csv")
    config = pooled_config([redcap_entry("X", renamed), redcap_entry("X-Y")])
    assert pooling_errors(config) == [
        "centre 'X' and centre 'X-Y', column 'patient_id': patient 'Y-INO-011' of centre 'X' and patient 'INO-011' "
        "of centre 'X-Y' both become 'X-Y-INO-011' when the centres are pooled: rename a centre or a patient ID "
        "(patient X-Y-INO-011)"]


def test_error_an_unmapped_required_column_names_the_centre():
    from ino_study.synthetic import russian_column_map

    column_map = russian_column_map()
    del column_map["patients"]["Пол"]
    config = pooled_config([{"centre": "RU", "path": str(RU_WORKBOOK), "column_map": column_map},
                            redcap_entry("SYN-B")])
    errors = pooling_errors(config)
    assert len(errors) == 1 and errors[0].startswith(
        "centre 'RU': ru_headers_SYNTHETIC.xlsx, sheet 'Пациенты', row 1, column 'sex': required column 'sex' is "
        "missing: neither in the header nor mapped in column_map.patients; the header has: 'ИД пациента', 'ФИО', "
        "'Пол'")


def test_error_a_redcap_code_missing_from_the_dictionary_names_the_centre(tmp_path):
    rows = redcap_rows()
    rows[1][rows[0].index("sex")] = "3"
    config = pooled_config([{"centre": "SYN-A", "path": str(WORKBOOK_A)},
                            redcap_entry("SYN-B", write_rows(rows, tmp_path / "b.csv"))])
    assert pooling_errors(config) == [
        "centre 'SYN-B': b.csv, non-repeating row, row 2, column 'sex': value '3': code '3' is not among the "
        "choices of field 'sex' (1, Male | 2, Female) (patient INO-011)"]


def test_error_a_repeating_redcap_row_without_an_instance_names_the_centre(tmp_path):
    rows = redcap_rows()
    line = next(n for n, row in enumerate(rows, start=1) if row[1] == "ino_doses" and row[2] == "2")
    rows[line - 1][2] = ""
    config = pooled_config([redcap_entry("SYN-B", write_rows(rows, tmp_path / "b.csv"))])
    assert pooling_errors(config) == [
        f"centre 'SYN-B': b.csv, instrument 'ino_doses', row {line}, column 'redcap_repeat_instance': a repeating "
        "row without an instance (redcap_repeat_instance must be a whole number from 1) (patient INO-011)"]


def test_errors_of_two_centres_are_listed_together(tmp_path):
    first, second = redcap_rows(), redcap_rows()
    first[1][first[0].index("prior_hsct")] = "2"
    second[1][second[0].index("sex")] = "7"
    config = pooled_config([redcap_entry("C1", write_rows(first, tmp_path / "c1.csv")),
                            redcap_entry("C2", write_rows(second, tmp_path / "c2.csv"))])
    assert pooling_errors(config) == [
        "centre 'C1': c1.csv, non-repeating row, row 2, column 'prior_hsct': value '2': code '2' is not among the "
        "choices of field 'prior_hsct' (1, yes | 0, no) (patient INO-011)",
        "centre 'C2': c2.csv, non-repeating row, row 2, column 'sex': value '7': code '7' is not among the "
        "choices of field 'sex' (1, Male | 2, Female) (patient INO-011)"]


def test_error_a_missing_export_at_reading_names_the_centre():
    config = pooled_config([{"centre": "A", "path": "/no/such/export.xlsx"}])
    assert pooling_errors(config) == ["centre 'A': /no/such/export.xlsx: the raw data path does not exist"]


def test_workflow_stops_at_start_up_on_a_centre_listed_twice(tmp_path):
    workdir = copy_project(tmp_path / "run")
    output = start_up_error(workdir, "raw_data:\n  - {centre: A, path: data/examples/centre_SYN-A_SYNTHETIC.xlsx}\n"
                                     "  - {centre: A, path: data/examples/centre_SYN-A_SYNTHETIC.xlsx}\n"
                                     "stratify_by: [best_response]\n")
    assert "config key raw_data, entry 2: centre 'A' is listed twice (entries 1 and 2)" in output
    output = start_up_error(workdir, "raw_data:\n  - {centre: A, path: data/examples/none.xlsx}\n"
                                     "stratify_by: [best_response]\n")
    assert "config key raw_data, centre 'A': path 'data/examples/none.xlsx' does not exist" in output
    assert "config key stratify_by: 'best_response' is a column of adsl" in output


# ---------------------------------------------------------------------------------------- pooling


@pytest.fixture(scope="module")
def example_records():
    return clean_centres(load_config(EXAMPLE_CONFIG, raw_data=[
        {**entry, "path": str(PROJECT_ROOT / entry["path"]),
         **({"redcap_data_dictionary": str(DICTIONARY)} if "redcap_data_dictionary" in entry else {})}
        for entry in load_config(EXAMPLE_CONFIG)["raw_data"]]), RULES)


def test_pooling_prefixes_ids_and_adds_the_centre(example_records):
    records, centres = example_records
    patients = records.tables["patients"]
    expected = [f"{centre}-{pid}" for centre, ids in CENTRE_PATIENTS.items() for pid in ids]
    assert patients["patient_id"].tolist() == expected
    position = patients.columns.get_loc("patient_id")
    assert patients.columns[position:position + 2].tolist() == ["patient_id", "centre"]
    assert patients["centre"].tolist() == [pid[:5] for pid in expected]
    for name, frame in records.tables.items():  # every row of every table belongs to a pooled patient
        assert set(frame["patient_id"]) <= set(expected), name
    # the same clean records as the default export's, IDs unprefixed (source rows differ: other files)
    from bad_inputs.corpus import DEFAULT_WORKBOOK, run

    default = run(DEFAULT_WORKBOOK).records.tables
    for name, frame in records.tables.items():
        pooled = frame.drop(columns=["source_row", "centre"], errors="ignore")
        pooled["patient_id"] = pooled["patient_id"].str.slice(len("SYN-A-"))
        expected_frame = default[name].drop(columns=["source_row"])
        key = [c for c in expected_frame.columns if c in ("patient_id", "date", "onset_date", "term")]
        pd.testing.assert_frame_equal(pooled.sort_values(key).reset_index(drop=True)[expected_frame.columns],
                                      expected_frame.sort_values(key).reset_index(drop=True), check_dtype=False)


def test_flow_per_centre_and_pooled(example_records):
    flow = example_records[0].flow
    assert flow.columns.tolist() == ["step", "centre SYN-A", "centre SYN-B", "patients"]
    assert flow.iloc[0, 1:].tolist() == [10, 10, 20] and flow.iloc[-1, 1:].tolist() == [10, 7, 17]
    assert (flow["centre SYN-A"] + flow["centre SYN-B"] == flow["patients"]).all()


def test_findings_name_their_centre_and_the_report_counts_them(example_records):
    records, centres = example_records
    assert all(f.source.startswith(("centre 'SYN-A': ", "centre 'SYN-B': ")) for f in records.findings)
    excluded = {f.patient_id for f in records.findings if f.severity == "exclusion"}
    assert {"SYN-B-INO-018", "SYN-B-INO-019", "SYN-B-INO-020"} <= excluded
    report = quality_markdown(findings_frame(records.findings), records.flow, "two", RULES, centres=centres)
    assert "## Centres" in report and "| SYN-A |" in report and "| all centres |" in report
    assert "| step | centre SYN-A | centre SYN-B | patients |" in report


def test_the_pooled_report_in_russian(example_records):
    """language: ru: the centres' section, the flow per centre and each finding's source (which names its
    centre) in Russian; the centre names are data and kept."""
    from russian_text import english_left_in_report

    records, centres = example_records
    findings = findings_frame(records.findings)
    report = quality_markdown(findings, records.flow, "two", RULES, centres=centres, language="ru")
    assert "## Центры" in report and "| SYN-A |" in report and "| все центры |" in report
    assert "| Этап | центр SYN-A | центр SYN-B | Пациенты (n) |" in report
    assert "| центр 'SYN-A': " in report and "| centre 'SYN-A'" not in report
    assert english_left_in_report(report, findings, centre_names=("SYN-A", "SYN-B")) == []


def test_pseudonymised_ids_are_those_of_the_prefixed_ids():
    from ino_study.records.pseudonym import _mapper

    key = b"a test key of at least 16 characters"
    config = pooled_config([redcap_entry("SYN-B")])
    records, _ = clean_centres(config, RULES, pseudonym_key=key)
    convert, _ = _mapper(key)
    assert records.tables["patients"]["patient_id"].tolist() == [convert(f"SYN-B-INO-{n:03d}") for n in range(11, 21)]


def test_provenance_lists_every_file_with_its_sha256():
    config = load_config(EXAMPLE_CONFIG)
    record = provenance_record(config["raw_data"], config, PROJECT_ROOT)
    listed = record["raw_data"]["centres"]
    assert [c["centre"] for c in listed] == ["SYN-A", "SYN-B"]
    files = [f for c in listed for f in c["files"]] + listed[1]["redcap_data_dictionary"]["files"]
    for file in files:
        path = PROJECT_ROOT / file["path"]
        assert file["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() == sha256_file(path)
        assert file["bytes"] == path.stat().st_size
    assert "redcap_data_dictionary" not in listed[0]


# -------------------------------------------------------------- the shipped files and the dictionary


def test_committed_example_is_what_the_builder_writes(tmp_path):
    for path in write_two_centre_example(tmp_path):
        assert path.read_bytes() == (EXAMPLES / path.name).read_bytes(), path.name


def test_the_study_data_dictionary_is_generated_from_the_contract(tmp_path):
    write_redcap_data_dictionary(tmp_path / "d.csv")
    assert (tmp_path / "d.csv").read_bytes() == DICTIONARY.read_bytes()
    rows = list(csv.reader(io.StringIO(DICTIONARY.read_text(encoding="utf-8"))))
    assert rows == [list(r) for r in redcap_data_dictionary_rows()]
    fields = {(row[0], row[1]) for row in rows[1:]}
    names = field_names()
    expected = {(names[t.name][c.name], t.name) for t in TABLES for c in t.columns
                if not (c.name == "patient_id" and t.name != "patients")}
    assert fields == expected  # every contract column once, in the instrument named as its table
    assert rows[1][:2] == ["patient_id", "patients"]  # the record ID first
    required = {row[0] for row in rows[1:] if row[12] == "y"}
    assert required == {names[t.name][c.name] for t in TABLES for c in t.columns if c.required}


# ------------------------------------------------------------------ stratified log-rank and Cox vs R

R_KARNO = [30, 40, 50, 60, 70, 80, 90, 100]
R_OBSERVED = [1, 1, 4, 27, 31, 38, 38, 21]
R_EXPECTED = [0.692, 1.099, 1.166, 16.298, 26.358, 41.938, 47.242, 26.207]
R_O_E_SQUARED_OVER_V = [0.15752, 0.00973, 7.45359, 9.57333, 1.14774, 0.60032, 3.23078, 1.44067]


@pytest.fixture(scope="module")
def lung():
    from lifelines import datasets

    return datasets.load_lung().dropna(subset=["inst", "pat.karno"])  # R's na.omit: n = 224


def test_stratified_logrank_matches_r_survdiff(lung):
    """[R-SURVDIFF-STRATA] per-group observed and expected, (O-E)^2/V, and the 7-df chi-square."""
    assert len(lung) == 224
    codes, levels = pd.factorize(lung["pat.karno"], sort=True)
    assert levels.tolist() == R_KARNO
    observed, expected, variance = np.zeros(8), np.zeros(8), np.zeros((8, 8))
    for inst in lung["inst"].unique():
        rows = (lung["inst"] == inst).to_numpy()
        o, e, v = logrank_sums(lung["time"].to_numpy()[rows], lung["status"].to_numpy()[rows], codes[rows], 8)
        observed, expected, variance = observed + o, expected + e, variance + v
    assert observed.tolist() == R_OBSERVED
    assert np.round(expected, 3).tolist() == R_EXPECTED
    assert np.round((observed - expected) ** 2 / np.diag(variance), 5).tolist() == R_O_E_SQUARED_OVER_V
    result = logrank_test(lung["time"], lung["status"], lung["pat.karno"], strata=lung["inst"])
    assert result.df == 7 and round(result.chi2, 1) == 21.4 and round(result.p_value, 3) == 0.003
    unstratified = logrank_test(lung["time"], lung["status"], lung["pat.karno"])
    assert round(unstratified.chi2, 1) != 21.4  # the strata matter on these data


def test_stratified_cox_matches_r_coxph():
    """[R-COXPH-STRATA] Therneau & Grambsch's test1, Efron ties."""
    test1 = pd.DataFrame({"time": [4, 3, 1, 1, 2, 2, 3], "status": [1, 1, 1, 0, 1, 1, 0],
                          "x": [0, 2, 1, 1, 1, 0, 0], "sex": [0, 0, 0, 0, 1, 1, 1]})
    fit = cox_univariable(test1["time"], test1["status"], test1[["x"]], strata=test1["sex"]).iloc[0]
    assert round(fit["coef"], 4) == 0.8023 and round(fit["hr"], 4) == 2.2307
    assert round(fit["se"], 4) == 0.8224 and round(fit["p_value"], 3) == 0.329
    assert fit["n"] == 7 and fit["n_events"] == 5


def test_stratified_cox_drops_a_missing_stratum_and_reads_rows_by_position():
    """[R-COXPH-STRATA] test1 again, its rows indexed 10-16 (a filtered cohort) with the strata as a plain
    list of labels, and an eighth patient whose stratum is not recorded (NaN): R's na.omit drops the
    patient, so R's test1 numbers and n = 7 hold."""
    test1 = pd.DataFrame({"time": [4, 3, 1, 1, 2, 2, 3, 5], "status": [1, 1, 1, 0, 1, 1, 0, 1],
                          "x": [0, 2, 1, 1, 1, 0, 0, 2]}, index=range(10, 18))
    strata = ["f", "f", "f", "f", "m", "m", "m", np.nan]
    fit = cox_univariable(test1["time"], test1["status"], test1[["x"]], strata=strata).iloc[0]
    assert round(fit["coef"], 4) == 0.8023 and round(fit["se"], 4) == 0.8224
    assert fit["n"] == 7 and fit["n_events"] == 5


def test_a_stratum_of_one_patient_adds_nothing_as_in_r(lung):
    """R keeps a one-patient stratum (no error): its only risk set is the patient alone, so it adds 0 to
    O - E, to the variance and to the partial likelihood. The results equal those without the patient."""
    data = lung[["time", "status", "pat.karno", "inst"]].copy()
    alone = pd.DataFrame({"time": [5.0], "status": [1], "pat.karno": [60.0], "inst": [999.0]})
    with_alone = pd.concat([data, alone], ignore_index=True)
    a = logrank_test(with_alone["time"], with_alone["status"], with_alone["pat.karno"], with_alone["inst"])
    b = logrank_test(data["time"], data["status"], data["pat.karno"], data["inst"])
    assert a.chi2 == pytest.approx(b.chi2, rel=1e-12)
    test1 = pd.DataFrame({"time": [4, 3, 1, 1, 2, 2, 3, 9], "status": [1, 1, 1, 0, 1, 1, 0, 1],
                          "x": [0, 2, 1, 1, 1, 0, 0, 1], "sex": [0, 0, 0, 0, 1, 1, 1, 2]})
    fit = cox_univariable(test1["time"], test1["status"], test1[["x"]], strata=test1["sex"]).iloc[0]
    assert round(fit["coef"], 4) == 0.8023 and round(fit["se"], 4) == 0.8224  # R's test1 numbers, unchanged


def test_stratified_logrank_by_hand_two_strata():
    """Independent hand computation: two strata of two patients each, groups g1/g2 in each.
    Stratum 1: times 1 (g1, event), 2 (g2, event). At t=1: n=2, d=1, E_g1 = 1/2, V = 1*1*1*1/(2^2) = 1/4.
    At t=2: only g2 at risk: E_g1 = 0, V = 0. O_g1 - E_g1 = 1 - 1/2 = 1/2.
    Stratum 2: times 3 (g1, event), 4 (g2, censored): t=3: n=2, d=1, E_g1 = 1/2, V = 1/4; O-E = 1/2.
    Pooled over strata: (O-E) = 1, V = 1/2, chi2 = 1^2 / (1/2) = 2."""
    result = logrank_test([1, 2, 3, 4], [1, 1, 1, 0], ["g1", "g2", "g1", "g2"], strata=["s1", "s1", "s2", "s2"])
    assert result.chi2 == pytest.approx(2.0, rel=1e-12) and result.df == 1


def _tiny_survival_data(strata=("centre",), comparisons=("sex", "centre")):
    adsl = pd.DataFrame({"patient_id": list("ABCDEFGH"), "sex": list("MFMFMFMF"),
                         "centre": ["c1"] * 4 + ["c2"] * 3 + ["c3"]})
    adtte = pd.DataFrame({"patient_id": list("ABCDEFGH"), "PARAMCD": "OS",
                          "AVAL": [1.0, 3, 5, 7, 2, 4, 6, 2.5], "CNSR": [0, 0, 1, 0, 0, 1, 0, 0]})
    return SurvivalData(adtte, adsl, SurvivalSettings(comparisons=comparisons, strata=strata), endpoints=("OS",))


def test_survival_tables_stratify_and_say_so():
    data = _tiny_survival_data()
    logrank = logrank_table(data).set_index("group_by")
    assert logrank.at["sex", "note"] == "stratified by centre; stratum c3 has 1 patient and adds nothing (as in R)"
    assert logrank.at["centre", "note"] == ""  # a comparison by the stratum variable itself is not stratified
    frame = data.frames["OS"]
    expected = logrank_test(frame["AVAL"], frame["event"], frame["sex"], frame["centre"])
    assert logrank.at["sex", "chi2"] == expected.chi2
    cox = cox_table(data).set_index("covariate")
    assert cox.at["sexM", "note"].startswith("stratified by centre; stratum c3 has 1 patient")
    assert "proportional-hazards check not computed for a stratified model" in cox.at["sexM", "note"]
    assert np.isnan(cox.at["sexM", "ph_p_value"]) and not np.isnan(cox.at["centrec2", "ph_p_value"])
    fit = cox_univariable(frame["AVAL"], frame["event"], frame[["sex"]], strata=frame["centre"]).iloc[0]
    assert cox.at["sexM", "coef"] == fit["coef"] and cox.at["sexM", "n"] == 8
    plain = logrank_table(_tiny_survival_data(strata=())).set_index("group_by")
    assert plain.at["sex", "note"] == "" and plain.at["sex", "chi2"] != logrank.at["sex", "chi2"]


def test_survival_tables_skip_dor_and_a_one_group_comparison_and_go_on():
    """DOR (listed first here) is estimated but not compared, and a comparison with one group has no test
    or model: both are passed over and the tables go on to OS and the next comparison. The notes are the
    documented ones, joined by '; ' after the stratification's."""
    adsl = pd.DataFrame({"patient_id": list("ABCDEFGH"), "sex": list("MFMFMFMF"), "arm": "A",
                         "centre": ["c1"] * 4 + ["c2"] * 3 + ["c3"]})
    os_rows = pd.DataFrame({"patient_id": list("ABCDEFGH"), "PARAMCD": "OS",
                            "AVAL": [1.0, 3, 5, 7, 2, 4, 6, 2.5], "CNSR": [0, 0, 1, 0, 0, 1, 0, 0]})
    adtte = pd.concat([os_rows.assign(PARAMCD="DOR"), os_rows], ignore_index=True)
    data = SurvivalData(adtte, adsl, SurvivalSettings(comparisons=("arm", "sex"), strata=("centre",)),
                        endpoints=("DOR", "OS"))
    stratified = "stratified by centre; stratum c3 has 1 patient and adds nothing (as in R)"
    logrank = logrank_table(data)
    assert logrank["endpoint"].tolist() == ["OS", "OS"] and logrank["group_by"].tolist() == ["arm", "sex"]
    assert logrank["note"].tolist() == [f"{stratified}; fewer than two groups: no test", stratified]
    assert np.isnan(logrank["chi2"].iloc[0]) and logrank["chi2"].iloc[1] > 0
    cox = cox_table(data)
    assert cox["endpoint"].tolist() == ["OS", "OS"] and cox["covariate"].tolist() == ["arm", "sexM"]
    assert cox["note"].tolist() == [
        f"{stratified}; fewer than two groups or no events: no model",
        f"{stratified}; proportional-hazards check not computed for a stratified model; Only 6 events for 1 "
        "parameter(s) (6.0 events per variable < 10): estimates may be unreliable."]


# ------------------------------------------------------------------------------------- end to end


def assert_same_summary_and_tables_pooled(results: Path, expected: Path) -> None:
    """conftest's assert_same_summary_and_tables for the pooled run: a table listing patients (sos_vod.csv)
    shows the pooled IDs (SYN-A-INO-006), so each table is compared with the centre prefixes taken out;
    every other byte, the summary and the set of tables are the same."""
    assert json.loads((results / "summary.json").read_text()) == json.loads((expected / "summary.json").read_text())
    tables = sorted(p.name for p in (expected / "tables").glob("*.csv"))
    assert tables and tables == sorted(p.name for p in (results / "tables").glob("*.csv"))
    for name in tables:
        pooled = (results / "tables" / name).read_bytes()
        unprefixed = pooled.replace(b"SYN-A-INO-", b"INO-").replace(b"SYN-B-INO-", b"INO-")
        assert unprefixed == (expected / "tables" / name).read_bytes(), name
        assert (pooled == unprefixed) == (b"INO-" not in pooled), name  # prefixes only where IDs are listed


@pytest.mark.slow
def test_pipeline_on_the_two_centre_example_gives_the_default_results(default_run, tmp_path):
    workdir = copy_project(tmp_path / "centres")
    run_snakemake(workdir, "--configfile", "config/examples/two_centres.yaml")
    results = workdir / "results"
    assert_same_summary_and_tables_pooled(results, default_run / "results")
    flow = pd.read_csv(results / "data_quality" / "patient_flow.csv")
    assert flow.columns.tolist() == ["step", "centre SYN-A", "centre SYN-B", "patients"]
    assert flow.iloc[-1].tolist() == ["patients analysed", 10, 7, 17]
    provenance = json.loads((results / "provenance.json").read_text())
    assert [c["centre"] for c in provenance["raw_data"]["centres"]] == ["SYN-A", "SYN-B"]
    assert_not_in_outputs(workdir, list(build_reference_cohort()["patients"]["full_name"]))
    # centre as a comparison, Table 1 column and stratum, on the same pooled data
    (workdir / "strata.yaml").write_text("comparisons: [prior_hsct, centre]\nstratify_by: [centre]\n"
                                         "table1_by: centre\n", encoding="utf-8")
    run_snakemake(workdir, "--configfile", "config/examples/two_centres.yaml", "strata.yaml")
    logrank = pd.read_csv(results / "tables" / "logrank.csv", keep_default_na=False)
    assert logrank.set_index(["endpoint", "group_by"]).loc[("OS", "prior_hsct"), "note"] == "stratified by centre"
    assert "centre = SYN-A, N = 10" in (results / "tables" / "table1.csv").read_text(encoding="utf-8")


def test_km_figure_names_a_stratified_test():
    from ino_study.figures.step import logrank_label

    table = pd.DataFrame({"endpoint": ["OS", "OS"], "group_by": ["sex", "centre"], "p_value": [0.5, 0.6],
                          "note": ["stratified by centre", np.nan]})
    assert logrank_label(table, "OS", "sex") == "Stratified log-rank p"
    assert logrank_label(table, "OS", "centre") == "Log-rank p" == logrank_label(table, "EFS", "sex")
