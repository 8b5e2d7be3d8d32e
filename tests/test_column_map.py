"""Column maps (config key `column_map`): the schema, the map's own checks, the report, the shipped
Russian-header SYNTHETIC example and, end to end (slow), the pipeline run on it.

Reading errors with a map (an unmapped required column, a mapped header absent, a column given twice)
are cases of the bad-input corpus (tests/test_bad_inputs.py, `column_map_*`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from bad_inputs.corpus import DEFAULT_WORKBOOK, RULES
from conftest import (
    PROJECT_ROOT, assert_not_in_outputs, assert_same_summary_and_tables, copy_project, load_config, run_snakemake,
    start_up_error, validate_config,
)
from ino_study.config import RECORD_KEYS
from ino_study.records.clean import clean_records
from ino_study.records.column_map import column_map_problems, mapping_rows, problem_messages
from ino_study.records.contract import TABLES, normalise_name
from ino_study.records.read import read_registry_export
from ino_study.records.report import quality_markdown
from ino_study.synthetic import RUSSIAN_HEADERS, russian_column_map, write_russian_header_workbook

EXAMPLE_CONFIG = PROJECT_ROOT / "config" / "examples" / "russian_headers.yaml"
EXAMPLE_XLSX = PROJECT_ROOT / "data" / "examples" / "ru_headers_SYNTHETIC.xlsx"


def example_map() -> dict:
    return yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))["column_map"]


# ----------------------------------------------------------------------------------------- config


def test_default_is_empty_and_a_scenario_changing_it_rereads_records():
    assert validate_config({})["column_map"] == {}
    assert "column_map" in RECORD_KEYS


def test_the_example_config_is_valid():
    config = load_config(EXAMPLE_CONFIG)
    assert config["raw_data"] == "data/examples/ru_headers_SYNTHETIC.xlsx"
    assert (PROJECT_ROOT / config["raw_data"]).exists()
    assert column_map_problems(config["column_map"]) == []


@pytest.mark.parametrize("column_map", [
    {"patient": {"Пол": "sex"}},  # not a table
    {"patients": {"Пол": 1}},  # not a column name
    {"patients": ["Пол"]},  # not a mapping
])
def test_schema_rejects_a_malformed_map(column_map):
    with pytest.raises(Exception) as error:
        validate_config({"column_map": column_map})
    assert "column_map" in str(error.value) or "patient" in str(error.value)


def test_map_problems_name_the_table_header_and_column():
    assert problem_messages({"follow_up": {"Статус": "status"}}) == [
        "config key column_map.follow_up: header 'Статус' maps to 'status', which is not a column of table "
        "'follow_up' (its columns: patient_id, last_contact_date, vital_status, death_date, death_cause, "
        "relapse_date)"]
    assert problem_messages({"patients": {"Пол": "sex", "Gender": "sex"}}) == [
        "config key column_map.patients: headers 'Пол' and 'Gender' both map to contract column 'sex'"]
    assert problem_messages({"patients": {"Пол": "sex", " пол ": "sex"}}) == [
        "config key column_map.patients: headers 'Пол' and ' пол ' are the same header (matched case- and "
        "whitespace-insensitively)"]
    assert problem_messages({"patients": {" ": "sex"}}) == [
        "config key column_map.patients: a blank header (mapped to 'sex')"]
    assert problem_messages({}) == [] and problem_messages(None) == []


def test_workflow_stops_at_start_up_on_an_unknown_contract_column(tmp_path):
    workdir = copy_project(tmp_path / "run")
    output = start_up_error(workdir, 'column_map:\n  follow_up: {"Статус": status}\n')
    assert ("config key column_map.follow_up: header 'Статус' maps to 'status', which is not a column of table "
            "'follow_up'") in output


# ----------------------------------------------------------------------------------------- report


def test_report_lists_the_mapping_only_when_a_map_is_given():
    flow = pd.DataFrame({"step": ["patients in the raw data"], "patients": [1]})
    findings = pd.DataFrame(columns=["severity", "table", "source", "row", "column", "patient_id", "value", "rule",
                                     "action", "count"])
    plain = quality_markdown(findings, flow, "x.xlsx", RULES)
    assert plain == quality_markdown(findings, flow, "x.xlsx", RULES, {})
    assert "Column map" not in plain
    mapped = quality_markdown(findings, flow, "x.xlsx", RULES,
                              {"follow_up": {"Дата последнего контакта": "last_contact_date"},
                               "patients": {"ФИО": "full_name"}})
    assert ("| table | header | contract column |\n|---|---|---|\n| patients | ФИО | full_name |\n"
            "| follow_up | Дата последнего контакта | last_contact_date |") in mapped
    assert mapped.index("## Column map") < mapped.index("## Patient flow")


# ---------------------------------------------------------------------------- the shipped example


def test_committed_example_is_what_the_builder_writes(tmp_path):
    out = tmp_path / "ru.xlsx"
    write_russian_header_workbook(out)
    assert out.read_bytes() == EXAMPLE_XLSX.read_bytes()


def test_example_map_covers_every_header_of_the_example():
    shipped = {t: {normalise_name(h): c for h, c in m.items()} for t, m in example_map().items()}
    built = {t: {normalise_name(h): c for h, c in m.items()} for t, m in russian_column_map().items()}
    assert shipped == built
    assert set(shipped) == {t.name for t in TABLES}
    for table in TABLES:
        assert sorted(shipped[table.name].values()) == sorted(c.name for c in table.columns)
    # some headers differ from the map in case and spaces only, as a centre types them
    assert any(h != h.strip() for m in RUSSIAN_HEADERS.values() for h in m.values())


def test_example_reads_to_the_default_clean_tables():
    raw, findings = read_registry_export(EXAMPLE_XLSX, example_map())
    records = clean_records(raw, RULES, findings)
    raw0, findings0 = read_registry_export(DEFAULT_WORKBOOK)
    default = clean_records(raw0, RULES, findings0)
    for name, table in default.tables.items():
        pd.testing.assert_frame_equal(records.tables[name], table)
    pd.testing.assert_frame_equal(records.flow, default.flow)
    assert "full_name" not in records.tables["patients"] and "birth_date" not in records.tables["patients"]
    assert mapping_rows(example_map())[0] == ("patients", "ИД пациента", "patient_id")


# ------------------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_pipeline_on_the_russian_example_gives_the_default_results(default_run, tmp_path):
    workdir = copy_project(tmp_path / "ru")
    run_snakemake(workdir, "--configfile", "config/examples/russian_headers.yaml")
    results, expected = workdir / "results", default_run / "results"
    assert_same_summary_and_tables(results, expected)
    report = (results / "data_quality" / "report.md").read_text(encoding="utf-8")
    assert "## Column map" in report and "| patients | ФИО | full_name |" in report
    assert "## Column map" not in (expected / "data_quality" / "report.md").read_text(encoding="utf-8")
    # the mapped identifier columns never reach results/ or logs/
    raw, _ = read_registry_export(EXAMPLE_XLSX, example_map())
    names = [str(v) for v in raw["patients"].frame["full_name"].dropna()]
    births = raw["patients"].frame["birth_date"].dropna()
    birth_texts = {b.strftime("%d.%m.%Y") if isinstance(b, (dt.date, dt.datetime)) else str(b).strip()
                   for b in births}
    assert_not_in_outputs(workdir, [*names, *birth_texts])
