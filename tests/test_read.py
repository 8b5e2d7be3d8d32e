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


# ------------------------------------------------- the column-wise reading agrees with the row-wise rules

import csv  # noqa: E402
import datetime as dt  # noqa: E402
import io  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ino_study.records import read  # noqa: E402
from ino_study.records.quality import Finding, short_value  # noqa: E402

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _reference_rows_to_table(rows, table, source, first_row_number=1, cell_notes=None):
    """rows_to_table as it was written row by row (before the column-wise version): the oracle."""
    findings = []

    def finding(severity, row, column, value, rule, action, patient_id=None):
        findings.append(Finding(severity, table.name, source, row, column, patient_id, value, rule, action))

    header_index = read._find_header(rows, table)
    if header_index is None:
        finding("error", None, None, None, f"no header row found in the first {read.HEADER_SEARCH_ROWS} rows; "
                "expected columns " + ", ".join(table.required_columns), "stop")
        return pd.DataFrame(columns=["_row"]), findings
    if header_index > 0:
        finding("correction", first_row_number, None, None,
                f"{header_index} row(s) above the header (title or merged banner) skipped", "skipped")
    header = rows[header_index]
    header_row_number = first_row_number + header_index
    positions = {}
    for position, raw_name in enumerate(header):
        key = read.normalise_name(raw_name)
        if not key:
            continue
        try:
            column = table.column(key)
        except KeyError:
            continue
        if column.name in positions:
            finding("error", header_row_number, str(raw_name).strip(), None,
                    f"column '{column.name}' appears twice in the header", "stop")
            continue
        positions[column.name] = position
        if str(raw_name) != column.name:
            finding("correction", header_row_number, column.name, short_value(raw_name),
                    "column name matched case- and whitespace-insensitively", "renamed")
    for name in table.required_columns:
        if name not in positions:
            finding("error", header_row_number, name, None, f"required column '{name}' is missing", "stop")
    if cell_notes:
        names = {position: name for name, position in positions.items()}
        for (index, position), (severity, rule, action, value) in sorted(cell_notes.items()):
            if index > header_index and position in names:
                finding(severity, first_row_number + index, names[position], value, rule, action)
    id_position = positions.get("patient_id")
    records = []
    for offset, row in enumerate(rows[header_index + 1:], start=1):
        row_number = header_row_number + offset
        filled = [v for v in row if not read._is_blank(v)]
        if not filled:
            continue
        patient_id = row[id_position] if id_position is not None and id_position < len(row) else None
        if len(filled) == 1 and (read._is_blank(patient_id) or read._looks_like_note(patient_id)):
            finding("warning", row_number, None, None, "a note typed in a single cell, not a record", "row ignored")
            continue
        if read._is_blank(patient_id):
            finding("error", row_number, "patient_id", None, "a record without a patient_id", "stop")
            continue
        record = {name: (row[pos] if pos < len(row) else None) for name, pos in positions.items()}
        record["_row"] = row_number
        records.append(record)
    data_rows = len(rows) - header_index - 1
    blank = sum(1 for row in rows[header_index + 1:] if all(read._is_blank(v) for v in row))
    trailing_blank = 0
    for row in reversed(rows[header_index + 1:]):
        if not all(read._is_blank(v) for v in row):
            break
        trailing_blank += 1
    inner_blank = blank - trailing_blank
    if inner_blank and data_rows:
        finding("correction", None, None, None, f"{inner_blank} blank row(s) inside the table skipped", "skipped")
    frame = pd.DataFrame.from_records(records, columns=[*positions, "_row"]).astype(object)
    return frame, findings


def _same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert got.index.equals(want.index)
    assert (got.dtypes == want.dtypes).all()
    for name in want.columns:
        for a, b in zip(got[name].tolist(), want[name].tolist()):
            assert type(a) is type(b) and (a == b or (a != a and b != b)), (name, a, b)


header_cells = st.sampled_from(["patient_id", "Patient ID ", "date", "DATE", "donor_type", "conditioning", "extra",
                                None, "", "Title"])
body_cells = st.one_of(
    st.sampled_from(["INO-001", "INO-002", " ", "", "\xa0", "a note here", "#", "01.02.2020", "x" * 45, "\t"]),
    st.none(), st.just(float("nan")), st.integers(-3, 3), st.floats(allow_nan=False, width=16), st.booleans(),
    st.datetimes(min_value=dt.datetime(2019, 1, 1), max_value=dt.datetime(2021, 1, 1)),
    st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2021, 1, 1)),
)
text_only = st.sampled_from(["INO-001", "INO-002", " ", "", "\xa0", "a note here", "#", "01.02.2020", "\t", "x"])


@FAST
@given(header=st.lists(header_cells, min_size=1, max_size=5),
       above=st.lists(st.lists(st.sampled_from([None, "Title", ""]), max_size=3), max_size=2),
       body=st.lists(st.lists(body_cells, max_size=6), max_size=12))
def test_rows_to_table_agrees_with_row_by_row_rules(header, above, body) -> None:
    rows = [tuple(r) for r in [*above, header, *body]]
    raw = rows_to_table(rows, TRANSPLANTS, "x.xlsx, sheet 'transplants'")
    frame, findings = _reference_rows_to_table(rows, TRANSPLANTS, "x.xlsx, sheet 'transplants'")
    assert raw.findings == findings
    _same_frame(raw.frame, frame)


@FAST
@given(body=st.lists(st.lists(st.one_of(text_only, st.none()), max_size=6), max_size=12))
def test_rows_to_table_agrees_on_text_rows(body) -> None:
    """CSV rows (text, None past the end of a short row): the frame is built without from_records."""
    rows = [("patient_id", "date", "donor_type"), *[tuple(r) for r in body]]
    raw = rows_to_table(rows, TRANSPLANTS, "transplants.csv")
    frame, findings = _reference_rows_to_table(rows, TRANSPLANTS, "transplants.csv")
    assert raw.findings == findings
    _same_frame(raw.frame, frame)


@FAST
@given(st.lists(body_cells, max_size=20))
def test_blank_mask_is_is_blank_cell_by_cell(values) -> None:
    cells = np.empty(len(values), dtype=object)
    cells[:] = values
    assert read.blank_mask(cells).tolist() == [read._is_blank(v) for v in values]


csv_text = st.lists(st.sampled_from(["a", "ж", ";", ",", "\t", " ", "\n", "\r", "\r\n", "\x0b", "\x1c", "\u2028",
                                     "\x85", "#", "'", "\\", "\xa0"]), max_size=60).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=csv_text, delimiter=st.sampled_from([";", ",", "\t"]))
def test_unquoted_csv_reading_agrees_with_csv_reader(text: str, delimiter: str) -> None:
    want = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    result = read._unquoted_csv_columns(text, delimiter)
    if result is None:  # declined: csv.reader reads it
        return
    columns, n_rows = result
    got = [[c[i] for c in columns] for i in range(n_rows)]
    # a cell past the end of a short row is None, and only there
    assert [[v for v in row if v is not None] for row in got] == want
    assert all(row[len(w):] == [None] * (len(row) - len(w)) for row, w in zip(got, want))


def test_unquoted_csv_reading_declines_what_it_does_not_cover() -> None:
    assert read._unquoted_csv_columns('a;"b;c"\n', ";") is None  # quotes
    assert read._unquoted_csv_columns("\ufeffa;b\n", ";") is None  # a byte-order mark left in the text
    assert read._unquoted_csv_columns("", ";") is None
    long_line = "x" * (csv.field_size_limit() + 1)
    assert read._unquoted_csv_columns(f"a;b\n{long_line}\n", ";") is None  # csv.reader reports the long field


@pytest.mark.parametrize("encoding, delimiter", [("utf-8", ","), ("utf-8-sig", ";"), ("cp1251", "\t")])
def test_csv_file_fast_and_row_by_row_reading_agree(tmp_path, monkeypatch, encoding, delimiter):
    from bad_inputs.corpus import default_sheets, write_csv_dir

    sheets = default_sheets()
    directory = write_csv_dir(sheets, tmp_path / "csv", encoding=encoding, delimiter=delimiter)
    with open(directory / "transplants.csv", "a", encoding=encoding, newline="") as handle:
        handle.write(f"\r\n\r\na note below{delimiter}\r\nINO-001{delimiter}01.02.2020\r\n{delimiter}x\r\n")
    fast, fast_findings = read_registry_export(directory)
    monkeypatch.setattr(read, "_unquoted_csv_columns", lambda *args: None)
    slow, slow_findings = read_registry_export(directory)
    assert fast_findings == slow_findings
    assert any("a note typed" in f.rule for f in fast_findings)
    for name in slow:
        _same_frame(fast[name].frame, slow[name].frame)


@FAST
@given(rows=st.lists(st.lists(st.sampled_from(["", " ", "a", "ж b", "1,5", "\xa0", "#"]), min_size=3, max_size=3),
                     min_size=1, max_size=8),
       delimiter=st.sampled_from([";", "\t"]), end=st.sampled_from(["\r\n", "\n", "\r"]), last=st.booleans())
def test_rectangular_csv_reading_agrees_with_csv_reader(rows, delimiter, end, last) -> None:
    """Every row with the same number of cells: read without counting each row's cells."""
    text = end.join(delimiter.join(row) for row in rows) + (end if last else "")
    want = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    columns, n_rows = read._unquoted_csv_columns(text, delimiter)
    assert [[c[i] for c in columns] for i in range(n_rows)] == want
