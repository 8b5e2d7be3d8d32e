"""Errors a person can act on: run through Snakemake as a user would, a data-contract error, a config
error and a missing input each print one message in the console, without a Python traceback, and a
data error once, not once more per sensitivity scenario (which re-read the same records)."""

from __future__ import annotations

import pytest

from bad_inputs.corpus import default_sheets, set_cell, write_xlsx
from conftest import copy_project, run_snakemake

pytestmark = pytest.mark.slow


def console(result) -> str:
    return result.stdout + result.stderr


def test_a_data_error_names_file_sheet_row_column_value_patient_and_rule_once(tmp_path):
    workdir = copy_project(tmp_path / "bad_data")
    sheets = default_sheets()
    row = set_cell(sheets, "adverse_events", "INO-002", "grade", 6)
    write_xlsx(sheets, workdir / "data" / "centre_export.xlsx")
    # a scenario that re-reads the records (new cut-off) must not report the same error again
    result = run_snakemake(workdir, "--config", "raw_data=data/centre_export.xlsx", check=False)
    text = console(result)
    assert result.returncode != 0
    expected = (f"centre_export.xlsx, sheet 'adverse_events', row {row}, column 'grade': value '6': "
                "breaks the rule a CTCAE grade is 1 to 5")
    assert text.count(expected) == 1, text[-3000:]
    line = next(line for line in text.splitlines() if expected in line)
    assert "(patient INO-002)" in line
    assert "Traceback" not in text
    assert "scenario_clean_records" not in text.split("Error in rule")[-1]


def test_a_config_error_names_the_key_without_a_traceback(tmp_path):
    workdir = copy_project(tmp_path / "bad_config")
    result = run_snakemake(workdir, "--dry-run", "--config", "confidence_level=1.5", check=False)
    text = console(result)
    assert result.returncode != 0
    assert "confidence_level" in text and "1.5" in text
    assert "Traceback" not in text


def test_a_scenario_config_error_names_the_scenario(tmp_path):
    workdir = copy_project(tmp_path / "bad_scenario")
    result = run_snakemake(workdir, "--dry-run", "--config", 'scenarios={"wider": {"km_ci": "linear"}}',
                           check=False)
    text = console(result)
    assert result.returncode != 0
    assert "scenarios.wider" in text and "linear" in text
    assert "Traceback" not in text


def test_a_missing_raw_file_is_named(tmp_path):
    workdir = copy_project(tmp_path / "missing_raw")
    result = run_snakemake(workdir, "--dry-run", "--config", "raw_data=data/not_there.xlsx", check=False)
    text = console(result)
    assert result.returncode != 0
    assert "data/not_there.xlsx" in text
    assert "Traceback" not in text
