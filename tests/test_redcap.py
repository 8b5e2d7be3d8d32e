"""REDCap exports (config `raw_format: redcap`, `ino_study.records.redcap`): the config keys, decoding
(choices, yes/no, checkboxes, repeating instances, longitudinal events), each reading error, the shipped
SYNTHETIC example and, end to end (slow), the pipeline run on it against the default run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from bad_inputs.corpus import DEFAULT_WORKBOOK, RULES
from conftest import (
    PROJECT_ROOT, assert_not_in_outputs, assert_same_summary_and_tables, copy_project, load_config, run_snakemake,
    start_up_error, validate_config,
)
from ino_study.config import RECORD_KEYS
from ino_study.records.clean import clean_records
from ino_study.records.provenance import provenance_record
from ino_study.records.read import read_registry_export
from ino_study.records.redcap import field_names, parse_choices, read_data_dictionary, read_redcap_export
from ino_study.synthetic import (build_reference_cohort, redcap_data_dictionary_rows, redcap_export_rows,
                                 write_redcap_example)

EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "examples" / "redcap.yaml"
EXAMPLE_CSV = PROJECT_ROOT / "data" / "examples" / "redcap_SYNTHETIC.csv"
EXAMPLE_DICTIONARY = PROJECT_ROOT / "data" / "examples" / "redcap_data_dictionary_SYNTHETIC.csv"


def write_csv(path: Path, rows: list[list[str]] | list[tuple[str, ...]]) -> Path:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def one_patient(patient_id: str = "INO-001") -> dict[str, pd.DataFrame]:
    return {name: frame[frame["patient_id"] == patient_id].reset_index(drop=True)
            for name, frame in build_reference_cohort().items()}


class Project:
    """A small REDCap project in tmp_path: the study's dictionary and the export of one patient."""

    def __init__(self, tmp_path: Path, patient_id: str = "INO-001"):
        self.dictionary = [list(r) for r in redcap_data_dictionary_rows()]
        self.rows = redcap_export_rows(one_patient(patient_id))
        self.tmp_path = tmp_path

    @property
    def header(self) -> list[str]:
        return self.rows[0]

    def set(self, line: int, column: str, value: str) -> None:
        """Set a cell of the export; `line` as in the CSV file (header = 1)."""
        self.rows[line - 1][self.header.index(column)] = value

    def line_of(self, instrument: str, instance: int) -> int:
        for line, row in enumerate(self.rows, start=1):
            if row[1] == instrument and row[2] == str(instance):
                return line
        raise KeyError((instrument, instance))

    def read(self):
        export = write_csv(self.tmp_path / "export.csv", self.rows)
        dictionary = write_csv(self.tmp_path / "dictionary.csv", self.dictionary)
        return read_redcap_export(export, dictionary)

    def errors(self) -> list[str]:
        tables, findings = self.read()
        return [f.message() for f in findings if f.severity == "error"]


# ----------------------------------------------------------------------------------------- config


def test_defaults_and_record_keys():
    config = validate_config({})
    assert config["raw_format"] == "contract" and config["redcap_data_dictionary"] is None
    assert {"raw_format", "redcap_data_dictionary"} <= set(RECORD_KEYS)


def test_schema_needs_the_dictionary_with_redcap():
    with pytest.raises(Exception) as error:
        validate_config({"raw_format": "redcap", "raw_data": "x.csv"})
    assert "redcap_data_dictionary" in str(error.value)
    with pytest.raises(Exception):
        validate_config({"raw_format": "spss"})


def test_the_example_config_is_valid():
    config = load_config(EXAMPLE_CONFIG)
    assert config["raw_format"] == "redcap"
    assert (PROJECT_ROOT / config["raw_data"]).exists()
    assert (PROJECT_ROOT / config["redcap_data_dictionary"]).exists()


def test_provenance_hashes_the_dictionary_only_for_redcap():
    config = load_config(EXAMPLE_CONFIG)
    record = provenance_record(EXAMPLE_CSV, config, PROJECT_ROOT)
    assert record["redcap_data_dictionary"]["files"][0]["sha256"]
    assert "redcap_data_dictionary" not in provenance_record(DEFAULT_WORKBOOK, load_config(), PROJECT_ROOT)


# --------------------------------------------------------------------------------------- decoding


def test_field_names_follow_the_convention():
    names = field_names()
    assert names["assessments"]["date"] == "assessments_date"
    assert names["patients"]["marrow_blasts_pct"] == "patients_marrow_blasts_pct"
    assert names["assessments"]["marrow_blasts_pct"] == "assessments_marrow_blasts_pct"
    assert names["patients"]["sex"] == "sex" and names["ino_doses"]["patient_id"] == "patient_id"


def test_parse_choices():
    assert parse_choices("1, Male | 2, Female") == {"1": "Male", "2": "Female"}
    assert parse_choices(" 0, alive|1, dead, of disease ") == {"0": "alive", "1": "dead, of disease"}
    with pytest.raises(ValueError):
        parse_choices("1, Male | Female")


def test_decodes_choices_yes_no_and_checkboxes(tmp_path):
    project = Project(tmp_path)
    project.set(2, "prior_hsct", "1")
    project.set(2, "cytogenetics___2", "1")
    project.set(2, "cytogenetics___6", "1")
    tables, findings = project.read()
    assert findings == []
    patient = tables["patients"].frame.iloc[0]
    assert patient["sex"] == "Male" and patient["prior_hsct"] == "yes" and patient["prior_blinatumomab"] == "no"
    assert patient["cytogenetics"] == "ETV6-RUNX1; other"
    assert patient["marrow_blasts_pct"] == "45" and patient["_row"] == 2
    assert tables["follow_up"].frame.iloc[0]["vital_status"] == "dead"
    assert tables["transplants"].frame.iloc[0]["donor_type"] == "matched unrelated"
    assert tables["patients"].source == "export.csv, instrument 'patients'"


def test_no_box_ticked_is_blank(tmp_path):
    project = Project(tmp_path)
    for code in range(1, 7):
        project.set(2, f"cytogenetics___{code}", "0")
    tables, findings = project.read()
    # the raw columns are categorical, as a CSV table's (a blank cell is missing, not a category)
    cytogenetics = tables["patients"].frame["cytogenetics"]
    assert findings == [] and pd.isna(cytogenetics.iloc[0]) and list(cytogenetics.cat.categories) == []


def test_repeating_instances_are_rows(tmp_path):
    project = Project(tmp_path)
    tables, findings = project.read()
    doses = tables["ino_doses"].frame
    assert len(doses) == len(one_patient()["ino_doses"]) == 6
    assert list(doses["date"][:2]) == ["2016-11-08", "2016-11-15"]
    assert list(doses["_row"]) == [project.line_of("ino_doses", i) for i in range(1, 7)]
    assert set(doses.columns) == {"patient_id", "date", "cycle", "dose_mg_m2", "_row"}
    assert len(tables["adverse_events"].frame) == 3 and len(tables["assessments"].frame) == 2


def test_longitudinal_events_merge_the_non_repeating_fields(tmp_path):
    project = Project(tmp_path)
    header = project.header
    follow_up_columns = [c for c in header if c in
                         ("last_contact_date", "vital_status", "death_date", "death_cause", "relapse_date",
                          "follow_up_complete")]
    baseline = project.rows[1]
    follow_up_row = [""] * len(header)
    follow_up_row[0] = baseline[0]
    for column in follow_up_columns:
        position = header.index(column)
        follow_up_row[position], baseline[position] = baseline[position], ""
    events = ["baseline_arm_1" if i == 1 else "treatment_arm_1" for i in range(len(project.rows))]
    events[0] = "redcap_event_name"
    project.rows = [[row[0], event, *row[1:]] for row, event in zip(project.rows, events)]
    project.rows.append([follow_up_row[0], "follow_up_arm_1", *follow_up_row[1:]])
    tables, findings = project.read()
    assert findings == []
    assert tables["patients"].frame.iloc[0]["sex"] == "Male"
    follow_up = tables["follow_up"].frame.iloc[0]
    assert follow_up["vital_status"] == "dead" and follow_up["_row"] == len(project.rows)
    assert len(tables["ino_doses"].frame) == 6

    # the same field filled in two events with different values
    again = list(project.rows[-1])
    again[1] = "month_12_arm_1"
    again[project.header.index("vital_status")] = "0"
    project.rows.append(again)
    assert project.errors() == [
        f"export.csv, non-repeating row, event 'month_12_arm_1', row {len(project.rows)}, column 'vital_status': "
        "value 'alive': field 'vital_status' is filled in two events ('follow_up_arm_1' and 'month_12_arm_1') "
        "with different values (patient INO-001)"]


def test_a_shipped_example_reads_to_the_default_clean_tables():
    raw, findings = read_registry_export(EXAMPLE_CSV, None, "redcap", EXAMPLE_DICTIONARY)
    records = clean_records(raw, RULES, findings)
    raw0, findings0 = read_registry_export(DEFAULT_WORKBOOK)
    default = clean_records(raw0, RULES, findings0)
    for name, table in default.tables.items():
        # rows are numbered by line of the REDCap export, not of the workbook
        pd.testing.assert_frame_equal(records.tables[name].drop(columns="source_row"),
                                      table.drop(columns="source_row"))
    pd.testing.assert_frame_equal(records.flow, default.flow)
    assert "full_name" not in records.tables["patients"] and "birth_date" not in records.tables["patients"]


def test_committed_example_is_what_the_builder_writes(tmp_path):
    write_redcap_example(tmp_path / "export.csv", tmp_path / "dictionary.csv")
    assert (tmp_path / "export.csv").read_bytes() == EXAMPLE_CSV.read_bytes()
    assert (tmp_path / "dictionary.csv").read_bytes() == EXAMPLE_DICTIONARY.read_bytes()


# ----------------------------------------------------------------------------------------- errors


def test_error_unknown_instrument_in_the_dictionary(tmp_path):
    project = Project(tmp_path)
    project.dictionary.append(["consent_date", "consent", "", "text", "Consent", "", "", "date_ymd", "", "", "",
                               "", "", "", "", "", "", ""])
    line = len(project.dictionary)
    assert project.errors() == [
        f"dictionary.csv, row {line}, column 'consent_date': unknown instrument 'consent' (field 'consent_date'): "
        "instruments are named as the contract tables (patients, ino_doses, assessments, transplants, "
        "adverse_events, follow_up)"]


def test_error_unknown_repeating_instrument(tmp_path):
    project = Project(tmp_path)
    line = project.line_of("transplants", 1)
    project.set(line, "redcap_repeat_instrument", "hsct")
    assert project.errors() == [
        f"export.csv, instrument 'hsct', instance 1, row {line}, column 'redcap_repeat_instrument': "
        "unknown instrument 'hsct' (patient INO-001)"]


def test_error_unknown_instrument_complete_column(tmp_path):
    project = Project(tmp_path)
    project.rows[0][project.header.index("transplants_complete")] = "hsct_complete"
    assert project.errors() == [
        "export.csv, row 1, column 'hsct_complete': unknown instrument 'hsct' (column 'hsct_complete'): "
        "instruments are named as the contract tables (patients, ino_doses, assessments, transplants, "
        "adverse_events, follow_up)"]


def test_error_field_not_in_the_dictionary(tmp_path):
    project = Project(tmp_path)
    project.rows[0][project.header.index("cd22_pct")] = "cd22_percent"
    assert project.errors() == ["export.csv, row 1, column 'cd22_percent': field 'cd22_percent' is not in the "
                                "data dictionary"]


def test_error_code_not_among_the_choices(tmp_path):
    project = Project(tmp_path)
    project.set(2, "sex", "3")
    line = project.line_of("adverse_events", 2)
    project.set(line, "grade", "6")
    assert project.errors() == [
        "export.csv, non-repeating row, row 2, column 'sex': value '3': code '3' is not among the choices of field "
        "'sex' (1, Male | 2, Female) (patient INO-001)",
        f"export.csv, instrument 'adverse_events', instance 2, row {line}, column 'grade': value '6': code '6' is "
        "not among the choices of field 'grade' (1, 1 | 2, 2 | 3, 3 | 4, 4 | 5, 5) (patient INO-001)"]


def test_error_yes_no_code(tmp_path):
    project = Project(tmp_path)
    project.set(2, "prior_hsct", "2")
    assert project.errors() == [
        "export.csv, non-repeating row, row 2, column 'prior_hsct': value '2': code '2' is not among the choices "
        "of field 'prior_hsct' (1, yes | 0, no) (patient INO-001)"]


def test_error_checkbox_code_not_among_the_choices(tmp_path):
    project = Project(tmp_path)
    project.rows[0][project.header.index("cytogenetics___6")] = "cytogenetics___7"
    assert project.errors() == [
        "export.csv, row 1, column 'cytogenetics___7': column 'cytogenetics___7': code '7' is not among the "
        "choices of checkbox field 'cytogenetics' (1, normal | 2, ETV6-RUNX1 | 3, BCR-ABL1 | 4, KMT2A-r | "
        "5, hypodiploid | 6, other)"]


def test_error_a_repeating_row_without_an_instance(tmp_path):
    project = Project(tmp_path)
    line = project.line_of("ino_doses", 3)
    project.set(line, "redcap_repeat_instance", "")
    assert project.errors() == [
        f"export.csv, instrument 'ino_doses', row {line}, column 'redcap_repeat_instance': a repeating row "
        "without an instance (redcap_repeat_instance must be a whole number from 1) (patient INO-001)"]


def test_error_instance_given_twice_and_non_repeating_instrument(tmp_path):
    project = Project(tmp_path)
    second, first = project.line_of("ino_doses", 2), project.line_of("ino_doses", 1)
    project.set(second, "redcap_repeat_instance", "1")
    project.rows.append(["INO-001", "follow_up", "1"] + [""] * (len(project.header) - 3))
    assert project.errors() == [
        f"export.csv, instrument 'ino_doses', instance 1, row {second}, column 'patient_id': instance 1 of "
        f"instrument 'ino_doses' of this record is given twice (line {first} and this one) (patient INO-001)",
        f"export.csv, instrument 'follow_up', instance 1, row {len(project.rows)}, column "
        "'redcap_repeat_instrument': instrument 'follow_up' does not repeat (one per record, on the "
        "non-repeating row) (patient INO-001)"]


def test_error_a_field_on_a_row_of_another_instrument(tmp_path):
    project = Project(tmp_path)
    line = project.line_of("transplants", 1)
    project.set(line, "sex", "1")
    assert project.errors() == [
        f"export.csv, instrument 'transplants', instance 1, row {line}, column 'sex': value '1': a value for field "
        "'sex' of instrument 'patients' on a row of instrument 'transplants' (patient INO-001)"]


def test_error_never_shows_an_identifier_value(tmp_path):
    project = Project(tmp_path)
    line = project.line_of("ino_doses", 1)
    project.set(line, "full_name", "Петров Иван Сергеевич")
    errors = project.errors()
    assert len(errors) == 1 and "Петров" not in errors[0] and "'full_name'" in errors[0]


def test_error_a_required_field_missing_from_the_dictionary(tmp_path):
    project = Project(tmp_path)
    project.dictionary = [row for row in project.dictionary if row[0] != "assessments_date"]
    assert project.errors() == ["dictionary.csv, column 'assessments_date': required field 'assessments_date' "
                                "(contract column 'date') is not in the dictionary"]


def test_error_choices_that_are_not_codes(tmp_path):
    project = Project(tmp_path)
    for row in project.dictionary:
        if row[0] == "sex":
            row[5] = "Male | Female"
    assert project.errors() == ["dictionary.csv, row 4, column 'sex': field 'sex' (radio): choice 'Male' is not "
                                "'code, label'"]


def test_error_not_a_dictionary_and_no_dictionary(tmp_path):
    export = write_csv(tmp_path / "export.csv", redcap_export_rows(one_patient()))
    fields, findings = read_data_dictionary(export)
    assert [f.message() for f in findings] == [
        "export.csv, row 1: not a REDCap data dictionary: column(s) 'Variable / Field Name', 'Form Name', "
        "'Field Type', 'Choices, Calculations, OR Slider Labels' missing"]
    _, findings = read_redcap_export(export, None)
    assert [f.message() for f in findings] == [
        "export.csv: raw_format redcap needs the project's data dictionary (config key redcap_data_dictionary)"]


def test_error_record_id_not_first(tmp_path):
    project = Project(tmp_path)
    project.rows = [row[1:] + row[:1] for row in project.rows]
    assert project.errors() == ["export.csv, row 1, column 'redcap_repeat_instrument': the first column of a "
                                "REDCap export is the record ID, 'patient_id' by the convention"]


def test_workflow_stops_at_start_up_without_a_dictionary(tmp_path):
    workdir = copy_project(tmp_path / "run")
    output = start_up_error(workdir, "raw_format: redcap\nraw_data: data/examples/redcap_SYNTHETIC.csv\n")
    assert "redcap_data_dictionary" in output


# ------------------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_pipeline_on_the_redcap_example_gives_the_default_results(default_run, tmp_path):
    workdir = copy_project(tmp_path / "redcap")
    run_snakemake(workdir, "--configfile", "config/examples/redcap.yaml")
    results, expected = workdir / "results", default_run / "results"
    assert_same_summary_and_tables(results, expected)
    provenance = json.loads((results / "provenance.json").read_text())
    assert provenance["redcap_data_dictionary"]["configured"] == str(EXAMPLE_DICTIONARY.relative_to(PROJECT_ROOT))
    # the identifier fields never reach results/ or logs/
    names = list(build_reference_cohort()["patients"]["full_name"])
    assert_not_in_outputs(workdir, names)
