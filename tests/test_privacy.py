"""Patient privacy: keyed pseudonyms, and no name or birth date from the raw records in any output.

The slow scans run the whole pipeline (default data; a simulated cohort of 300 patients; the default
data pseudonymised) and search every file under results/, logs/ and .snakemake/ for each full name
and each birth date written dd.mm.yyyy, dd/mm/yyyy, ISO yyyy-mm-dd or yyyymmdd.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bad_inputs.corpus import DEFAULT_WORKBOOK, run
from conftest import assert_not_in_outputs, copy_project, run_snakemake
from ino_study.records.parse import parse_date
from ino_study.records.pseudonym import (
    ENV_VAR, PseudonymKeyError, key_fingerprint, key_from_environment, pseudonym, pseudonymise_findings,
)
from ino_study.records.quality import Finding

KEY = b"0123456789abcdef-test-key"
SCANNED = ("results", "logs", ".snakemake")


# ----------------------------------------------------------------------------------- pseudonyms


def test_key_is_required_and_long_enough():
    with pytest.raises(PseudonymKeyError, match=f"{ENV_VAR} is not set"):
        key_from_environment({})
    with pytest.raises(PseudonymKeyError, match="too short"):
        key_from_environment({ENV_VAR: "short"})
    assert key_from_environment({ENV_VAR: KEY.decode()}) == KEY


def test_pseudonyms_are_keyed_stable_and_distinct():
    assert pseudonym("INO-001", KEY) == pseudonym("INO-001", KEY)
    assert pseudonym("INO-001", KEY) != pseudonym("INO-001", KEY + b"x")
    assert pseudonym("INO-001", KEY).startswith("PT-") and len(pseudonym("INO-001", KEY)) == 19
    ids = [f"SIM-{i:06d}" for i in range(20_000)]
    assert len({pseudonym(i, KEY) for i in ids}) == len(ids)
    assert KEY.decode() not in key_fingerprint(KEY)


def test_findings_carry_pseudonyms():
    finding = Finding("error", "ino_doses", "x.xlsx", 3, "patient_id", "INO-099", "INO-099", "orphan", "stop")
    (out,) = pseudonymise_findings([finding], KEY)
    assert out.patient_id == out.value == pseudonym("INO-099", KEY)


def test_clean_tables_and_findings_are_pseudonymised():
    outcome = run(DEFAULT_WORKBOOK, pseudonym_key=KEY)
    assert outcome.error is None, outcome.message
    raw_ids = {f"INO-{i:03d}" for i in range(1, 21)}
    for name, frame in outcome.records.tables.items():
        assert not set(frame["patient_id"]) & raw_ids, name
        assert frame["patient_id"].str.fullmatch(r"PT-[0-9a-f]{16}").all(), name
    assert set(outcome.records.tables["patients"]["patient_id"]) == {pseudonym(i, KEY) for i in raw_ids}
    assert not raw_ids & {f.patient_id for f in outcome.records.findings}
    # same analysis: pseudonyms change nothing else
    plain = run(DEFAULT_WORKBOOK)
    assert outcome.records.flow.equals(plain.records.flow)


def test_errors_carry_pseudonyms_too(tmp_path):
    from bad_inputs.corpus import default_sheets, set_cell, write_xlsx

    sheets = default_sheets()
    set_cell(sheets, "ino_doses", "INO-004", "patient_id", "INO-099")
    outcome = run(write_xlsx(sheets, tmp_path / "export.xlsx"), pseudonym_key=KEY)
    assert "INO-099" not in outcome.message and pseudonym("INO-099", KEY) in outcome.message


def test_pipeline_refuses_to_start_without_the_key(tmp_path):
    workdir = copy_project(tmp_path / "nokey")
    (workdir / "pseudo.yaml").write_text("pseudonymise: true\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "--dry-run", "--configfile",
                             "pseudo.yaml"], cwd=workdir, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    assert f"the environment variable {ENV_VAR} is not set" in result.stdout + result.stderr


# ---------------------------------------------------------------------------------- the scans


def _date_spellings(value: dt.date) -> set[str]:
    return {value.strftime("%d.%m.%Y"), value.strftime("%d/%m/%Y"), value.isoformat(), value.strftime("%Y%m%d")}


def _raw_identifiers(tables: dict[str, list[list]]) -> tuple[set[str], set[str]]:
    """(full names, birth-date spellings) of the patients table, and every non-identifier date."""
    header = [str(h).strip().lower() for h in tables["patients"][0]]
    name_at, birth_at = header.index("full_name"), header.index("birth_date")
    names = {str(r[name_at]).strip() for r in tables["patients"][1:] if r[name_at] and len(r) > birth_at}
    births = set()
    for row in tables["patients"][1:]:
        if len(row) > birth_at and row[birth_at] not in (None, ""):
            births.add(parse_date(row[birth_at]).value)
    return {n for n in names if " " in n}, births


def _other_dates(tables: dict[str, list[list]]) -> set[dt.date]:
    """Dates of non-identifier columns: they may rightly appear in outputs."""
    found = set()
    for name, rows in tables.items():
        header = [str(h).strip().lower() for h in rows[0]]
        for position, column in enumerate(header):
            if column == "birth_date" or not (column.endswith("date") or column == "date"):
                continue
            for row in rows[1:]:
                if position < len(row) and row[position] not in (None, ""):
                    try:
                        found.add(parse_date(row[position]).value)
                    except ValueError:
                        pass
    return found


def _workbook_tables(path: Path) -> dict[str, list[list]]:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook.worksheets
                if ws.title != "README"}
    finally:
        workbook.close()


def _csv_tables(directory: Path) -> dict[str, list[list]]:
    return {p.stem: pd.read_csv(p, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
            .pipe(lambda f: [list(f.columns)] + f.values.tolist()) for p in sorted(directory.glob("*.csv"))}


def _scan(workdir: Path, tables: dict[str, list[list]]) -> int:
    names, births = _raw_identifiers(tables)
    births -= _other_dates(tables)  # a birth date equal to a treatment date cannot be told apart
    needles = set(names) | {s for b in births for s in _date_spellings(b)}
    assert len(names) >= 17 and len(births) >= 15
    return assert_not_in_outputs(workdir, needles, SCANNED)


@pytest.mark.slow
def test_default_run_leaks_no_name_or_birth_date(default_run):
    assert _scan(default_run, _workbook_tables(default_run / "data/synthetic/ino_registry_export_SYNTHETIC.xlsx")) > 20


@pytest.mark.slow
def test_simulated_cohort_run_leaks_no_name_or_birth_date(tmp_path):
    workdir = copy_project(tmp_path / "sim_run")
    subprocess.run([sys.executable, "workflow/scripts/simulate_cohort.py", "--patients", "300", "--seed", "1",
                    "--out", "sim"], cwd=workdir, check=True, capture_output=True, timeout=300)
    run_snakemake(workdir, "--config", "raw_data=sim")
    assert _scan(workdir, _csv_tables(workdir / "sim")) > 20


@pytest.mark.slow
def test_pseudonymised_run_has_no_raw_patient_ids(tmp_path):
    workdir = copy_project(tmp_path / "pseudo_run")
    (workdir / "pseudo.yaml").write_text("pseudonymise: true\n", encoding="utf-8")
    env = {**os.environ, ENV_VAR: KEY.decode()}
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "pseudo.yaml"],
                            cwd=workdir, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    adsl = pd.read_csv(workdir / "results" / "adam" / "adsl.csv")
    assert adsl["patient_id"].str.startswith("PT-").all()
    for folder in ("results", "logs"):
        for path in (workdir / folder).rglob("*"):
            if path.is_file() and path.suffix in {".csv", ".json", ".md", ".log", ".svg", ".txt"}:
                text = path.read_text(encoding="utf-8", errors="ignore")
                assert "INO-0" not in text, path
                assert KEY.decode() not in text, path
