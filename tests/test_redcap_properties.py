"""Property-based tests (hypothesis): the columnar REDCap reader (`ino_study.records.redcap`) reads any
export as the row-by-row reader it replaced did (tests/redcap_rowwise.py, the code of 806be73 kept as
the oracle): the same raw tables (values, row numbers, column order) and the same findings, in the
same order, on generated exports: well-formed ones, and ones with every error the reader reports
(blank record IDs, unknown or non-repeating instruments, bad instances, rows given twice, fields on
rows of other instruments, codes not among the choices, checkbox cells other than 0/1, events
disagreeing), quoted cells, short and long rows, a byte-order mark, CRLF line ends."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ino_study.records import redcap
from ino_study.records.redcap import read_redcap_export
from ino_study.synthetic import (
    build_reference_cohort, redcap_data_dictionary_rows, redcap_export_columns, redcap_export_rows,
)
from redcap_rowwise import read_redcap_export_rowwise

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

DATA_COLUMNS = redcap_export_columns()[0][3:]
RECORDS = ["INO-001", " INO-001", "INO-002", "INO-003\xa0", "", " ", "Ж-1"]
EVENTS = ["baseline_arm_1", "follow_up_arm_1", " baseline_arm_1", ""]
INSTRUMENTS = ["", "", "", "ino_doses", "assessments", "transplants", "adverse_events", " ino_doses",
               "patients", "follow_up", "hsct"]
INSTANCES = ["", "1", "2", "3", " 1", "01", "0", "x"]
CELLS = ["", "", "", " ", "0", "1", "2", "3", "5", "6", " 1 ", "2016-11-08", "45,5", 'say "hi"',
         "Петров", "a\nb", "x\r"]


def _write(path: Path, rows: list[list[str]], bom: bool, crlf: bool) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


@st.composite
def exports(draw, simple: bool = False) -> tuple[list[list[str]], bool, bool]:
    longitudinal = draw(st.booleans())
    chosen = draw(st.lists(st.sampled_from(DATA_COLUMNS), min_size=1, max_size=12))
    if not simple and draw(st.booleans()):
        chosen = [*chosen, draw(st.sampled_from(chosen))]  # a column given twice
    header = ["patient_id", *(["redcap_event_name"] if longitudinal else []), "redcap_repeat_instrument",
              "redcap_repeat_instance", *chosen]
    cells = st.sampled_from(CELLS[:-2] if simple else CELLS)  # simple: no line break in a cell
    rows = [header]
    for _ in range(draw(st.integers(0, 25))):
        row = [draw(st.sampled_from(RECORDS[:4] if simple else RECORDS)),
               *([draw(st.sampled_from(EVENTS))] if longitudinal else []),
               draw(st.sampled_from(INSTRUMENTS)), draw(st.sampled_from(INSTANCES)),
               *(draw(cells) for _ in chosen)]
        if not simple and draw(st.integers(0, 9)) == 0:
            row = row[:draw(st.integers(0, len(row)))] + draw(st.lists(cells, max_size=2))  # short or long
        rows.append(row)
    return rows, draw(st.booleans()), draw(st.booleans())


def _plain(raw) -> dict[str, list]:
    """A raw table's cells as Python values (a missing cell None), column by column, and its source."""
    frame = raw.frame
    out = {"source": raw.source, "columns": list(frame.columns)}
    for name in frame.columns:
        values = frame[name].astype(object).tolist()
        out[name] = [int(v) if name == "_row" else None if v is None or v is np.nan or pd.isna(v) else v
                     for v in values]
    return out


def assert_same_reading(export: Path, dictionary: Path) -> None:
    tables, findings = read_redcap_export(export, dictionary)
    expected_tables, expected_findings = read_redcap_export_rowwise(export, dictionary)
    assert findings == expected_findings
    assert list(tables) == list(expected_tables)
    for name in tables:
        assert _plain(tables[name]) == _plain(expected_tables[name]), name


@pytest.fixture(scope="module")
def dictionary(tmp_path_factory) -> Path:
    rows = [list(r) for r in redcap_data_dictionary_rows()]
    return _write(tmp_path_factory.mktemp("redcap") / "dictionary.csv", rows, False, False)


@SETTINGS
@given(export=exports())
def test_columnar_reading_equals_the_row_by_row_reading(export, dictionary, tmp_path):
    rows, bom, crlf = export
    assert_same_reading(_write(tmp_path / "export.csv", rows, bom, crlf), dictionary)


@SETTINGS
@given(export=exports(simple=True))
def test_plain_exports_are_read_by_pyarrow_and_equal(export, dictionary, tmp_path, monkeypatch):
    """Rows of the header's width, quotes only around whole one-line fields: csv.reader is never used."""
    rows, bom, crlf = export
    path = _write(tmp_path / "export.csv", rows, bom, crlf)
    tables, findings = read_redcap_export_rowwise(path, dictionary)
    with monkeypatch.context() as patch:
        patch.setattr(redcap, "_rows_to_columns", _refuse)
        got_tables, got_findings = read_redcap_export(path, dictionary)
    assert got_findings == findings
    assert {n: _plain(t) for n, t in got_tables.items()} == {n: _plain(t) for n, t in tables.items()}


def _refuse(rows):
    raise AssertionError("read row by row")


def test_the_study_example_and_a_longitudinal_export_with_disagreeing_events(dictionary, tmp_path):
    """Two fixed cases the generator reaches rarely: the whole reference cohort, and events that give
    several fields of both non-repeating instruments different values (findings in the reader's order)."""
    rows = redcap_export_rows(build_reference_cohort())
    assert_same_reading(_write(tmp_path / "cohort.csv", rows, False, False), dictionary)
    header = ["patient_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance", "sex",
              "vital_status", "cytogenetics___2", "full_name", "cytogenetics___1", "death_cause"]
    rows = [header,
            ["A", "e1", "", "", "1", "", "1", "Ivan", "", ""],
            ["A", "e2", "", "", "1", "1", "", "Ivan", "", "x"],
            ["A", "e3", "", "", "2", "0", "", "Petr", "1", "y"],
            ["A", "e4", "", "", "", "0", "1", "", "", "y"],
            ["B", "e1", "", "", "", "1", "", "", "", ""],
            ["B", "e2", "", "", "1", "0", "", "", "", "z"]]
    export = _write(tmp_path / "events.csv", rows, False, False)
    assert_same_reading(export, dictionary)
    _, findings = read_redcap_export(export, dictionary)
    assert [(f.row, f.column) for f in findings] == [
        (4, "sex"), (4, "full_name"), (4, "cytogenetics"), (4, "vital_status"), (4, "death_cause"),
        (5, "vital_status"), (5, "death_cause"), (7, "vital_status")]
    assert "Petr" not in " ".join(f.message() for f in findings)  # an identifier's value is never shown


@pytest.mark.parametrize("text", [
    'patient_id,redcap_repeat_instrument,redcap_repeat_instance,death_cause\nA,,,ab"c\n',
    'patient_id,redcap_repeat_instrument,redcap_repeat_instance,death_cause\nA,,,"ab"c\n',
    'patient_id,redcap_repeat_instrument,redcap_repeat_instance,death_cause\nA,,, "a,b"\n',
    'patient_id,redcap_repeat_instrument,redcap_repeat_instance,death_cause\nA,,,"a\rb"\n',
    'patient_id,redcap_repeat_instrument,redcap_repeat_instance,death_cause\r\nA,,,"a,""b"""\r\nB,,,c\r\n',
])
def test_quotes_that_are_not_plain_are_read_as_csv_reader_reads_them(text, dictionary, tmp_path):
    """Quotes pyarrow's reader might read otherwise (inside an unquoted field, text after a closing
    quote, a space before an opening one, a quoted carriage return) send the file to csv.reader."""
    export = tmp_path / "export.csv"
    export.write_text(text, encoding="utf-8", newline="")
    plain = redcap._plainly_quoted(export.read_bytes(), 0)
    assert plain == text.endswith("B,,,c\r\n")  # the last case alone is plainly quoted
    assert_same_reading(export, dictionary)


def test_the_benchmark_export_is_laid_out_as_the_study_example():
    """benchmarks/redcap_export.py builds the export by column; on the reference cohort it writes the
    committed example byte for byte (what `redcap_export_rows` writes, row by row)."""
    import importlib.util

    from conftest import PROJECT_ROOT

    path = PROJECT_ROOT / "benchmarks" / "redcap_export.py"
    spec = importlib.util.spec_from_file_location("redcap_export", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.redcap_export_frame(build_reference_cohort()).to_csv(index=False, lineterminator="\n")
    assert text == (PROJECT_ROOT / "data" / "examples" / "redcap_SYNTHETIC.csv").read_text(encoding="utf-8")
