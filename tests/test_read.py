"""Unit tests of ino_study.records.read (the corpus in test_bad_inputs.py covers whole files)."""

from __future__ import annotations

import openpyxl
import pytest

from ino_study.records.contract import TABLES_BY_NAME
from ino_study.records.read import (
    _sheets_with_formulas, normalise_name, percent_cell_text, read_registry_export, rows_to_table,
)

TRANSPLANTS = TABLES_BY_NAME["transplants"]


@pytest.mark.parametrize("value, text", [(0.0001, "0.01%"), (0.5, "50%"), (1, "100%"), (0.00005, "0.005%"),
                                         (0.123456, "12.3456%"), (0, "0%")])
def test_percent_cell_text(value, text):
    assert percent_cell_text(value) == text


@pytest.mark.parametrize("raw, name", [("Patient ID ", "patient_id"), ("\xa0DATE\xa0", "date"),
                                       ("dose  mg_m2", "dose_mg_m2"), (None, ""), ("pid", "pid")])
def test_normalise_name(raw, name):
    assert normalise_name(raw) == name


def test_formula_scan(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append([1, 2])
    workbook.save(tmp_path / "plain.xlsx")
    workbook.active["C1"] = "=A1+B1"
    workbook.save(tmp_path / "formula.xlsx")
    assert not _sheets_with_formulas(tmp_path / "plain.xlsx")
    assert _sheets_with_formulas(tmp_path / "formula.xlsx")


def test_rows_keep_excel_row_numbers_and_cell_notes():
    rows = [("Title",), ("patient_id", "date"), ("A", "01.01.2020"), (None, None), ("B", "02.01.2020")]
    notes = {(4, 1): ("correction", "formula read as its cached value", "read", "02.01.2020"),
             (0, 0): ("error", "ignored above the header", "stop", None)}
    raw = rows_to_table(rows, TRANSPLANTS, "x.xlsx, sheet 'transplants'", cell_notes=notes)
    assert raw.frame["_row"].tolist() == [3, 5]
    assert [(f.severity, f.row, f.column) for f in raw.findings if "formula" in f.rule] == [("correction", 5, "date")]
    assert not [f for f in raw.findings if f.severity == "error"]


def test_unsupported_path(tmp_path):
    (tmp_path / "x.ods").write_bytes(b"")
    tables, findings = read_registry_export(tmp_path / "x.ods")
    assert tables == {} and findings[0].severity == "error"
