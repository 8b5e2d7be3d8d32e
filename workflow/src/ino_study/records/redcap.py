"""REDCap (config `raw_format: redcap`): the CSV of REDCap's "Export Records" (raw coded values) read
with the project's data dictionary (config key `redcap_data_dictionary`, the CSV REDCap downloads)
into the same raw tables as a contract export; cleaning and everything after it are unchanged.

With config `raw_format: redcap`, `raw_data` is the CSV of REDCap's "Export Records" (raw coded
values, not labels) and `redcap_data_dictionary` the project's data dictionary as REDCap downloads
it. `config/examples/redcap.yaml` reads the SYNTHETIC example `data/examples/redcap_SYNTHETIC.csv`;
its dictionary `data/examples/redcap_data_dictionary_SYNTHETIC.csv` is the study's, to import into
REDCap to capture the study. The convention:

- one instrument per contract table, named as the table; `patients` and `follow_up` do not repeat,
  `ino_doses`, `assessments`, `transplants` and `adverse_events` are repeating instruments;
- the record ID field is `patient_id` (the first column of the export); the other fields are named
  as the contract's columns, except a column name occurring in more than one table (`date`,
  `marrow_blasts_pct`), which is `<table>_<column>` (`ino_doses_date`, `assessments_date`,
  `transplants_date`, `patients_marrow_blasts_pct`, `assessments_marrow_blasts_pct`), since REDCap
  field names are unique in a project. Dictionary fields of a contract instrument that are no
  contract column are not read (as extra columns);
- the non-repeating row of a record (blank `redcap_repeat_instrument`) holds `patients` and
  `follow_up`; each row of a repeating instrument (`redcap_repeat_instrument`,
  `redcap_repeat_instance` a whole number from 1) is one row of its table. In a longitudinal
  project (`redcap_event_name` present) a record's non-repeating fields may be spread over events,
  but each field filled in one event only;
- coded values are decoded through the dictionary: radio and dropdown by their choices ("1, Male |
  2, Female" reads code 1 as "Male"), yesno 1/0 as yes/no, truefalse 1/0 as true/false, a checkbox
  field `f` from its columns `f___<code>` (1 ticked, 0 not) as the labels ticked, joined by "; ".
  The labels are then normalised like any other value, so they must be spellings the contract
  accepts (see "Types" below). Dates as REDCap exports them (yyyy-mm-dd) and numbers are read as
  written. `<instrument>_complete`, `<instrument>_timestamp`, `redcap_data_access_group` and
  `redcap_survey_identifier` columns are ignored;
- errors (each a finding naming the REDCap file, the record ID as patient, the instrument, the
  instance and the field): an instrument that is not a contract table, an export column that is
  not a dictionary field, a code not among the field's choices, a repeating row without an
  instance, a non-repeating instrument given as repeating, a field filled on a row of another
  instrument, a record or instance given twice, a field filled with different values in two
  events, a required contract field missing from the dictionary. The values of fields marked as
  identifiers in the dictionary ("Identifier?" = y) are never shown; identifiers are dropped as
  for any export (`full_name`, `birth_date` after the age is computed, config
  `identifier_columns`). Each row keeps its line in the export CSV as its row number.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ino_study.records.contract import TABLES, TABLES_BY_NAME
from ino_study.records.quality import Finding, short_value
from ino_study.records.read import (
    _UTF8_BOM, CodedCells, RawTable, _coded_csv_columns, _records_frame, _rows_to_columns, blank_mask,
)

#: Contract tables read from the non-repeating row of a record; the others are repeating instruments.
NON_REPEATING = tuple(t.name for t in TABLES if t.one_row_per_patient)
RECORD_ID = "patient_id"
#: Export columns REDCap adds that carry no contract data.
SPECIAL_COLUMNS = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
                   "redcap_data_access_group", "redcap_survey_identifier")

DICTIONARY_COLUMNS = {"field": "Variable / Field Name", "form": "Form Name", "type": "Field Type",
                      "choices": "Choices, Calculations, OR Slider Labels"}
IDENTIFIER_COLUMN = "Identifier?"
CODED_TYPES = ("radio", "dropdown", "checkbox")
BINARY_LABELS = {"yesno": {"1": "yes", "0": "no"}, "truefalse": {"1": "true", "0": "false"}}


def _shared_columns() -> set[str]:
    seen: dict[str, int] = {}
    for table in TABLES:
        for column in table.columns:
            seen[column.name] = seen.get(column.name, 0) + 1
    return {name for name, count in seen.items() if count > 1 and name != RECORD_ID}


def field_names() -> dict[str, dict[str, str]]:
    """table -> contract column -> its REDCap field name (the record ID `patient_id` in every table)."""
    shared = _shared_columns()
    return {t.name: {c.name: f"{t.name}_{c.name}" if c.name in shared else c.name for c in t.columns}
            for t in TABLES}


#: REDCap field name -> (table, contract column), the record ID excluded.
FIELD_COLUMNS: dict[str, tuple[str, str]] = {
    name: (table, column) for table, columns in field_names().items() for column, name in columns.items()
    if column != RECORD_ID
}


@dataclass(frozen=True)
class Field:
    """One field of the REDCap data dictionary."""

    name: str
    form: str
    type: str
    choices: dict[str, str] = field(default_factory=dict)  # code -> label (radio, dropdown, checkbox)
    identifier: bool = False


def parse_choices(text: str) -> dict[str, str]:
    """"1, Male | 2, Female" -> {"1": "Male", "2": "Female"}; ValueError on an entry without a code."""
    choices: dict[str, str] = {}
    for entry in (text or "").split("|"):
        if not entry.strip():
            continue
        code, comma, label = entry.partition(",")
        if not comma or not code.strip():
            raise ValueError(f"choice {entry.strip()!r} is not 'code, label'")
        choices[code.strip()] = label.strip()
    return choices


def _read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    if b"\x00" in data:
        raise ValueError("the file has NUL bytes (binary or UTF-16), not a CSV export")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text (REDCap exports UTF-8)") from None
    return list(csv.reader(io.StringIO(text, newline="")))


def read_data_dictionary(path: str | Path) -> tuple[dict[str, Field], list[Finding]]:
    """The dictionary's fields by name, and its errors (an unknown instrument, unreadable choices, ...)."""
    path = Path(path)
    findings: list[Finding] = []

    def error(table, line, column, rule) -> None:
        findings.append(Finding("error", table, path.name, line, column, None, None, rule, "stop"))

    if not path.is_file():
        error("-", None, None, "the REDCap data dictionary (config key redcap_data_dictionary) does not exist")
        return {}, findings
    try:
        rows = _read_csv(path)
    except ValueError as problem:
        error("-", None, None, str(problem))
        return {}, findings
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [name for name in DICTIONARY_COLUMNS.values() if name not in header]
    if missing:
        error("-", 1, None, "not a REDCap data dictionary: column(s) " + ", ".join(f"'{m}'" for m in missing)
              + " missing")
        return {}, findings
    at = {key: header.index(name) for key, name in DICTIONARY_COLUMNS.items()}
    identifier_at = header.index(IDENTIFIER_COLUMN) if IDENTIFIER_COLUMN in header else None
    fields: dict[str, Field] = {}
    named: set[str] = set()  # every field the dictionary lists (an unreadable one too)
    for line, row in enumerate(rows[1:], start=2):
        def cell(position):
            return row[position].strip() if position is not None and position < len(row) else ""

        name, form, kind = cell(at["field"]), cell(at["form"]), cell(at["type"]).lower()
        if not name:
            continue
        named.add(name)
        if form not in TABLES_BY_NAME:
            error(form or "-", line, name,
                  f"unknown instrument '{form}' (field '{name}'): instruments are named as the contract tables ("
                  + ", ".join(t.name for t in TABLES) + ")")
            continue
        if name != RECORD_ID and name in FIELD_COLUMNS and FIELD_COLUMNS[name][0] != form:
            error(form, line, name, f"field '{name}' is in instrument '{form}' but belongs to instrument "
                                    f"'{FIELD_COLUMNS[name][0]}'")
            continue
        choices: dict[str, str] = {}
        if kind in CODED_TYPES:
            try:
                choices = parse_choices(cell(at["choices"]))
            except ValueError as problem:
                error(form, line, name, f"field '{name}' ({kind}): {problem}")
                continue
            if not choices:
                error(form, line, name, f"field '{name}' ({kind}) has no choices")
                continue
        fields[name] = Field(name, form, kind, choices, cell(identifier_at).lower() == "y")
    if RECORD_ID not in named:
        error("patients", None, RECORD_ID, f"the record ID field '{RECORD_ID}' is not in the dictionary")
    for table, columns in field_names().items():
        for column in TABLES_BY_NAME[table].required_columns:
            if column != RECORD_ID and columns[column] not in named:
                error(table, None, columns[column],
                      f"required field '{columns[column]}' (contract column '{column}') is not in the dictionary")
    return fields, findings


@dataclass
class _Column:
    """What one export column holds: a dictionary field, one choice of a checkbox field, or nothing."""

    field: Field | None
    code: str | None = None  # a checkbox column's code


_INSTANCE = re.compile(r"[1-9][0-9]*")  # redcap_repeat_instance: a whole number from 1


# a line of plainly quoted CSV fields: a field is unquoted (no quote, comma or line break) or wholly in
# double quotes (a doubled quote inside; no line break), the line ending in \n, \r\n or the file's end
_FIELD_RE2 = r'(?:[^",\r\n]*|"(?:[^"\r\n]|"")*")'
_PLAIN_LINE_RE2 = rf"^{_FIELD_RE2}(?:,{_FIELD_RE2})*\r?\n?$"
_CHUNK = 1 << 26


def _byte_positions(data: bytes, start: int, byte: int) -> np.ndarray:
    """Positions of `byte` in data[start:], found a chunk at a time (no array the size of the file)."""
    found = []
    for offset in range(start, len(data), _CHUNK):
        octets = np.frombuffer(data, dtype=np.uint8, count=min(_CHUNK, len(data) - offset), offset=offset)
        found.append(np.flatnonzero(octets == byte) + offset)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _plainly_quoted(data: bytes, start: int) -> bool:
    """True when every line of data[start:] holding a quote is a whole record of plainly quoted fields
    (`_PLAIN_LINE_RE2`): pyarrow's reader, quoting on, then gives exactly the cells csv.reader gives.
    A quoted line break, a quote inside an unquoted field or text after a closing quote: False."""
    import pyarrow as pa
    import pyarrow.compute as pc

    quotes = _byte_positions(data, start, ord('"'))
    if not len(quotes):
        return True
    breaks = _byte_positions(data, start, ord("\n"))
    offsets = np.concatenate(([start], breaks + 1, [len(data)])).astype(np.int64)
    lines = pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(offsets) - 1,
                                             [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    quoted = np.zeros(len(offsets) - 1, dtype=bool)
    quoted[np.searchsorted(breaks, quotes)] = True  # the line of each quote
    return bool(pc.all(pc.match_substring_regex(lines.filter(pa.array(quoted)), _PLAIN_LINE_RE2)).as_py())


def _coded(values: np.ndarray) -> CodedCells:
    """An object array of str (None: no cell) as CodedCells."""
    codes, uniques = pd.factorize(values)
    return CodedCells(codes.astype(np.int32), np.asarray(uniques, dtype=object))


def _export_cells(path: Path) -> list[CodedCells]:
    """The export's cells column by column (row 0 the header): what `_read_csv` reads, as CodedCells.

    A UTF-8 file whose quoting is plain (`_plainly_quoted`) and whose rows all have the header's
    number of cells is read by pyarrow's reader (each distinct string made once); any other by
    csv.reader. ValueError as `_read_csv`.
    """
    data = path.read_bytes()
    if b"\x00" not in data:  # a file that has any stays for _read_csv to refuse
        start = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
        if len(data) > start and not data.startswith(_UTF8_BOM, start):
            quoted = data.find(b'"', start) >= 0
            if not quoted or _plainly_quoted(data, start):
                end = data.find(b"\n", start)
                first_line = data[start:] if end < 0 else data[start:end + 1]
                del data  # pyarrow reads the file itself (dropping a byte-order mark, as _read_csv does)
                coded = _coded_csv_columns(first_line, ",", quoted, path=path)
                if coded is not None:
                    return coded
    data = None
    return [_coded(column) for column in _rows_to_columns(_read_csv(path))]


@dataclass
class _Texts:
    """A column's cells stripped, by code: `labels[codes[i]]` is row i's text; code -1 a blank or no cell."""

    codes: np.ndarray
    labels: np.ndarray

    def text(self, row: int) -> str:
        code = self.codes[row]
        return "" if code < 0 else self.labels[code]


def _texts(cells: CodedCells | None, rows: int) -> _Texts:
    if cells is None:
        return _Texts(np.full(rows, -1, dtype=np.int32), np.zeros(0, dtype=object))
    stripped = np.array([text.strip() for text in cells.uniques.tolist()], dtype=object)
    codes, labels = pd.factorize(stripped)
    codes = np.where(stripped == "", -1, codes).astype(np.int32)
    return _Texts(cells.per_cell(codes, -1), np.asarray(labels, dtype=object))


def _first_occurrences(codes: np.ndarray) -> np.ndarray:
    """For codes numbered in order of first appearance (pd.factorize), whether each is its code's first."""
    before = np.maximum.accumulate(np.concatenate(([-1], codes[:-1]))) if len(codes) else codes
    return codes > before


def _combined_codes(parts: list[np.ndarray]) -> np.ndarray:
    """One code per distinct tuple of the parts' codes (each >= -1), numbered in order of first appearance."""
    key = np.zeros(len(parts[0]), dtype=np.int64)
    for part in parts:
        key = key * (int(part.max(initial=-1)) + 2) + (part.astype(np.int64) + 1)
        key = pd.factorize(key)[0].astype(np.int64)  # keeps the key below the number of rows
    return key


def _dictionary_and_export(path: Path, dictionary_path: str | Path | None, read):
    """(the dictionary's fields, `read(path)`, []), or (None, None, the findings that stop the reading):
    no dictionary configured, its errors, no export, an export `read` refuses (ValueError)."""
    if dictionary_path is None:
        return None, None, [Finding("error", "-", path.name, None, None, None, None,
                                    "raw_format redcap needs the project's data dictionary (config key "
                                    "redcap_data_dictionary)", "stop")]
    fields, findings = read_data_dictionary(dictionary_path)
    if findings:
        return None, None, findings
    if not path.is_file():
        return None, None, [Finding("error", "-", str(path), None, None, None, None,
                                    "the raw data path does not exist (a REDCap export CSV)", "stop")]
    try:
        return fields, read(path), []
    except ValueError as problem:
        return None, None, [Finding("error", "-", path.name, None, None, None, None, str(problem), "stop")]


def read_redcap_export(path: str | Path, dictionary_path: str | Path | None
                       ) -> tuple[dict[str, RawTable], list[Finding]]:
    """The six raw tables from a REDCap export and its data dictionary, with the reading's findings.

    Columnar: each test is made once per distinct cell of a column and spread to the rows by code;
    only rows with an error, and records whose events disagree, are looked at one by one. The
    findings are those of a reader going down the export row by row, in that order.
    """
    path = Path(path)
    fields, cells, findings = _dictionary_and_export(path, dictionary_path, _export_cells)
    if findings:
        return {}, findings
    name = path.name
    header = [c[0].strip() for c in cells if len(c) and c.codes[0] >= 0]

    def error(table, line, column, rule, patient=None, value=None, where=None) -> None:
        findings.append(Finding("error", table, where or name, line, column, patient, value, rule, "stop"))

    columns = checked_header(header, fields, error)
    if findings:
        return {}, findings
    return _read_rows(name, header, columns, [c[1:] for c in cells], fields)


def checked_header(header: list[str], fields: dict[str, Field], error) -> list[_Column]:
    """The export's columns, read from its header row; a header that does not start with the record
    ID, or names a column the dictionary does not explain, is reported through `error` (then the
    columns are not to be used)."""
    if not header or header[0] != RECORD_ID:
        error("-", 1, header[0] if header else None,
              f"the first column of a REDCap export is the record ID, '{RECORD_ID}' by the convention")
        return []
    return _header_columns(header, fields, error)


def _header_columns(header: list[str], fields: dict[str, Field], error) -> list[_Column]:
    """What each export column holds; an unknown instrument or field, or a checkbox column that does not
    fit its field, is an error (reported by `error(table, line, column, rule)`)."""
    columns: list[_Column] = []
    for column in header:
        if column in SPECIAL_COLUMNS:
            columns.append(_Column(None))
            continue
        instrument = re.fullmatch(r"(.+)_(complete|timestamp)", column)
        if column not in fields and instrument:
            if instrument.group(1) not in TABLES_BY_NAME:
                error("-", 1, column, f"unknown instrument '{instrument.group(1)}' (column '{column}'): instruments "
                                      "are named as the contract tables (" + ", ".join(t.name for t in TABLES) + ")")
            columns.append(_Column(None))
            continue
        checkbox = re.fullmatch(r"(.+)___(.+)", column)
        if column not in fields and checkbox and checkbox.group(1) in fields:
            base, code = checkbox.group(1), checkbox.group(2)
            field_ = fields[base]
            if field_.type != "checkbox":
                error(field_.form, 1, column, f"column '{column}': field '{base}' is not a checkbox field")
            elif code not in field_.choices:
                error(field_.form, 1, column, f"column '{column}': code '{code}' is not among the choices of "
                                              f"checkbox field '{base}' ({_listing(field_.choices)})")
            columns.append(_Column(field_, code))
            continue
        if column not in fields:
            error("-", 1, column, f"field '{column}' is not in the data dictionary")
            columns.append(_Column(None))
            continue
        if fields[column].type == "checkbox":
            error(fields[column].form, 1, column,
                  f"checkbox field '{column}' must be exported as its columns '{column}___<code>'")
        columns.append(_Column(fields[column]))
    return columns


#: The order of a reading finding: (row, step: 0 the row's shape, 1 a cell, 2 a merge of events, rank).
_Order = tuple[int, int, tuple[int, ...]]


def _read_rows(name: str, header: list[str], columns: list[_Column], body: list[CodedCells],
               fields: dict[str, Field]) -> tuple[dict[str, RawTable], list[Finding]]:
    """The raw tables from the export's data rows (`body`, column by column), and the rows' findings."""
    rows = len(body[0])
    at = {c: header.index(c) for c in SPECIAL_COLUMNS if c in header}
    longitudinal = "redcap_event_name" in at
    record = _texts(body[0], rows)
    event, instrument, instance = (_texts(body[at[c]] if c in at else None, rows)
                                   for c in SPECIAL_COLUMNS[:3])
    found: list[tuple[_Order, Finding]] = []

    def where(row: int) -> str:
        written, number = instrument.text(row), instance.text(row)
        text = (f"{name}, instrument '{written}'" + (f", instance {number}" if number else "")
                if written else f"{name}, non-repeating row")
        return text + (f", event '{event.text(row)}'" if longitudinal else "")

    def error(order: _Order, table, column, rule, value=None) -> None:
        row = order[0]
        patient = record.text(row) or None
        finding = Finding("error", table, where(row), row + 2, column, patient, value, rule, "stop")
        found.append((order, finding))

    # rows with a filled cell (the record ID decides most)
    filled = record.codes >= 0
    undecided = np.flatnonzero(~filled)
    for cells in body[1:]:
        if not len(undecided):
            break
        filled[undecided] = ~blank_mask(cells[undecided])
        undecided = undecided[~filled[undecided]]

    # the row's shape: record ID, instrument, instance (per distinct text, then per row)
    # per instrument text: 0 a repeating instrument, 1 unknown, 2 non-repeating; 3 (last): no instrument
    status = np.array([1 if t not in TABLES_BY_NAME else 2 if t in NON_REPEATING else 0
                       for t in instrument.labels.tolist()] + [3], dtype=np.int8)
    shape = status.take(instrument.codes)  # the last entry for code -1
    whole = np.array([bool(_INSTANCE.fullmatch(t)) for t in instance.labels.tolist()] + [False])
    has_whole = whole.take(instance.codes)
    has_instance = instance.codes >= 0
    bad = filled & ((record.codes < 0) | ((shape < 3) & ((shape > 0) | ~has_whole))
                    | ((shape == 3) & has_instance))
    for row in np.flatnonzero(bad).tolist():
        written, number = instrument.text(row), instance.text(row)
        order = (row, 0, ())
        if record.codes[row] < 0:
            error(order, written or "patients", RECORD_ID, "a row without a record ID")
        elif not written:
            error(order, "-", "redcap_repeat_instance",
                  "an instance on a row without a repeating instrument (redcap_repeat_instrument is blank)",
                  short_value(number))
        elif written not in TABLES_BY_NAME:
            error(order, written, "redcap_repeat_instrument", f"unknown instrument '{written}'")
        elif written in NON_REPEATING:
            error(order, written, "redcap_repeat_instrument",
                  f"instrument '{written}' does not repeat (one per record, on the non-repeating row)")
        else:
            error(order, written, "redcap_repeat_instance",
                  "a repeating row without an instance (redcap_repeat_instance must be a whole number "
                  "from 1)", short_value(number) if number else None)

    # a record's row given twice: the first is read
    valid = np.flatnonzero(filled & ~bad)
    key = _combined_codes([part.codes[valid] for part in (record, event, instrument, instance)])
    first = _first_occurrences(key)
    first_line = valid[first] + 2  # by key code
    for position in np.flatnonzero(~first).tolist():
        row, written = int(valid[position]), instrument.text(int(valid[position]))
        what = (f"instance {int(instance.text(row))} of instrument '{written}'" if written
                else "the non-repeating row")
        error((row, 0, ()), written or "patients", RECORD_ID,
              f"{what} of this record is given twice (line {first_line[key[position]]} and this one)"
              + (f" in event '{event.text(row)}'" if longitudinal else ""))
    kept = np.zeros(rows, dtype=bool)
    kept[valid[first]] = True
    # the instrument of each kept row: its table's position in TABLES, -1 for the non-repeating row
    table_at = np.array([next((i for i, t in enumerate(TABLES) if t.name == label), -1)
                         for label in instrument.labels.tolist()] + [-1], dtype=np.int64)
    form_of_row = table_at.take(instrument.codes)
    position_of = {t.name: i for i, t in enumerate(TABLES)}

    # the kept rows of each kind (-1 the non-repeating row, else the repeating instrument's place in
    # TABLES): the values of a field are held for the rows of its instrument only
    def kind(form: str) -> int:
        return -1 if form in NON_REPEATING else position_of[form]

    rows_of = {kind(t.name): np.flatnonzero(kept & (form_of_row == kind(t.name))) for t in TABLES}
    values: dict[str, np.ndarray] = {}  # contract field -> per row of its kind, its code in labels[field]
    labels: dict[str, dict[str, int]] = {}
    stored: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # position -> (code per distinct cell, codes)
    ticks: dict[str, list[tuple[int, np.ndarray]]] = {}  # checkbox field -> (position, rows ticked)
    for position, column in enumerate(columns):
        if column.field is None or column.field.name == RECORD_ID:
            continue
        field_, cells = column.field, body[position]
        texts = [text.strip() for text in cells.uniques.tolist()]
        skip = np.array([not t or (column.code is not None and t == "0") for t in texts], dtype=bool)
        hit = np.flatnonzero(cells.per_cell(~skip, False) & kept)  # rows giving this column a value
        allowed = form_of_row[hit] == kind(field_.form)
        for row in hit[~allowed].tolist():
            written = instrument.text(row)
            error((row, 1, (position,)), field_.form, header[position],
                  f"a value for field '{header[position]}' of instrument '{field_.form}' on a row of "
                  + (f"instrument '{written}'" if written else "the non-repeating instruments"),
                  None if field_.identifier else short_value(texts[cells.codes[row]]))
        hit = hit[allowed]
        if column.code is not None:
            ticked = np.array([t == "1" for t in texts], dtype=bool)[cells.codes[hit]]
            for row in hit[~ticked].tolist():
                error((row, 1, (position,)), field_.form, header[position],
                      "a checkbox column holds 1 (ticked) or 0",
                      None if field_.identifier else short_value(texts[cells.codes[row]]))
            ticks.setdefault(field_.name, []).append((position, hit[ticked]))
            continue
        known = labels.setdefault(field_.name, {})
        code_of = np.array([-1 if d is None else known.setdefault(d, len(known))
                            for d in (None if s else _decode(field_, t) for t, s in zip(texts, skip))] + [-1],
                           dtype=np.int32)
        given = code_of[cells.codes[hit]]
        for row in hit[given < 0].tolist():
            cell = texts[cells.codes[row]]
            allowed_codes = field_.choices if field_.type in CODED_TYPES else BINARY_LABELS[field_.type]
            error((row, 1, (position,)), field_.form, field_.name,
                  f"code '{'<withheld>' if field_.identifier else cell}' is not among the choices of field "
                  f"'{field_.name}' ({_listing(allowed_codes)})",
                  None if field_.identifier else short_value(cell))
        if field_.name in FIELD_COLUMNS:
            stored[position] = (code_of, cells.codes)
            here = rows_of[kind(field_.form)]
            value = values.setdefault(field_.name, np.full(len(here), -1, dtype=np.int32))
            value[np.searchsorted(here, hit[given >= 0])] = given[given >= 0]  # a later column overwrites
    for base, ticked in ticks.items():
        if base in FIELD_COLUMNS:
            here = rows_of[kind(fields[base].form)]
            values[base], labels[base] = _checkbox_values(fields[base], here, ticked, columns)

    tables: dict[str, RawTable] = {}
    for table in TABLES:
        names = field_names()[table.name]
        present = [c.name for c in table.columns if c.name == RECORD_ID or names[c.name] in fields]
        given = [c for c in present if c != RECORD_ID and names[c] in values]
        if table.name in NON_REPEATING:
            chosen, merged = _merge_events(table.name, [names[c] for c in given], values, labels, rows_of[-1],
                                           record, event, fields, stored, ticks, columns, error)
        else:
            chosen = rows_of[kind(table.name)]
            merged = {names[c]: values[names[c]] for c in given}
        cells_of: dict[str, CodedCells] = {}
        for column in present:
            if column == RECORD_ID:
                cells_of[column] = CodedCells(record.codes[chosen], record.labels)
            elif column in given:
                cells_of[column] = CodedCells(merged[names[column]], _label_array(labels[names[column]]))
            else:
                cells_of[column] = CodedCells(np.full(len(chosen), -1, dtype=np.int32),
                                              np.zeros(0, dtype=object))
        tables[table.name] = RawTable(table, f"{name}, instrument '{table.name}'",
                                      _records_frame(cells_of, chosen + 2))
    found.sort(key=lambda item: item[0])
    return tables, [finding for _, finding in found]


def _label_array(known: dict[str, int]) -> np.ndarray:
    return np.array(list(known), dtype=object) if known else np.zeros(0, dtype=object)


def _checkbox_values(field_: Field, rows: np.ndarray, ticked: list[tuple[int, np.ndarray]],
                     columns: list[_Column]) -> tuple[np.ndarray, dict[str, int]]:
    """A checkbox field's value on each of `rows` (code into the labels given): the labels of the choices
    ticked (`ticked`: per column, its position and the rows ticked), in column order, joined by "; "
    (-1 where none is ticked)."""
    matrix = []
    for _, where in ticked:
        column = np.zeros(len(rows), dtype=np.int8)
        column[np.searchsorted(rows, where)] = 1
        matrix.append(column)
    combination = _combined_codes(matrix)
    known: dict[str, int] = {}
    code_of = []
    for row in np.flatnonzero(_first_occurrences(combination)).tolist():  # one row per distinct combination
        chosen = [field_.choices[columns[p].code] for (p, _), t in zip(ticked, matrix) if t[row]]
        code_of.append(known.setdefault("; ".join(chosen), len(known)) if chosen else -1)
    return np.array(code_of, dtype=np.int32).take(combination), known


def _merge_events(form: str, names: list[str], values: dict[str, np.ndarray],
                  labels: dict[str, dict[str, int]], rows: np.ndarray, record: _Texts, event: _Texts,
                  fields: dict[str, Field], stored: dict[int, tuple[np.ndarray, np.ndarray]],
                  ticks: dict[str, list[tuple[int, np.ndarray]]], columns: list[_Column], error
                  ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A non-repeating instrument's rows, one per record: the record's first non-repeating row (of
    `rows`, the values given for each of them) giving any of its fields, each field's first value over
    the record's rows (events). A field given again with another value is an error on that row, found
    as a reader going down the rows finds it."""
    if not names:
        return np.zeros(0, dtype=np.int64), {}
    candidates = np.flatnonzero(np.logical_or.reduce([values[n] >= 0 for n in names]))
    per_record = pd.factorize(record.codes[rows[candidates]])[0]
    chosen = rows[candidates[_first_occurrences(per_record)]]
    merged: dict[str, np.ndarray] = {}
    for field_name in names:
        given = values[field_name][candidates]
        has = np.flatnonzero(given >= 0)
        owners = per_record[has]
        _, firsts = np.unique(owners, return_index=True)
        value = np.full(len(chosen), -1, dtype=np.int32)
        value[owners[firsts]] = given[has[firsts]]
        merged[field_name] = value
        shown = list(labels[field_name])
        for owner in np.unique(owners[given[has] != value[owners]]).tolist():
            held = None  # (event, value) as the row-by-row reader keeps it
            for at in has[owners == owner].tolist():
                row, code = int(rows[candidates[at]]), int(given[at])
                if held is not None and held[1] != code:
                    rank = _merge_rank(row, field_name, form, stored, ticks, columns)
                    value = None if fields[field_name].identifier else short_value(shown[code])
                    error((row, 2, rank), form, field_name, f"field '{field_name}' is filled in two events "
                          f"('{held[0]}' and '{event.text(row)}') with different values", value)
                    continue
                held = (event.text(row), code)
    return chosen, merged


def _merge_rank(row: int, field_name: str, form: str, stored: dict[int, tuple[np.ndarray, np.ndarray]],
                ticks: dict[str, list[tuple[int, np.ndarray]]], columns: list[_Column]) -> tuple[int, int]:
    """Where the row-by-row reader met a field's value on a row: (its instrument's place, its place)
    in the order the values were gathered (the fields by column, checkbox fields after the others)."""
    ranks: dict[str, int] = {}
    for position, (code_of, codes) in stored.items():  # by position
        if code_of[codes[row]] >= 0:
            ranks.setdefault(columns[position].field.name, position)
    for base, ticked in ticks.items():
        first = next((p for p, where in ticked if row in where[np.searchsorted(where, row):][:1]), None)
        if first is not None and base in FIELD_COLUMNS:
            ranks.setdefault(base, len(columns) + first)
    return min(r for f, r in ranks.items() if FIELD_COLUMNS[f][0] == form), ranks[field_name]


def _decode(field_: Field, cell: str) -> str | None:
    """The label of a coded value (None for a code not among the choices); other values as written."""
    if field_.type in CODED_TYPES:
        return field_.choices.get(cell)
    if field_.type in BINARY_LABELS:
        return BINARY_LABELS[field_.type].get(cell)
    return cell


def _listing(choices: dict[str, str]) -> str:
    return " | ".join(f"{code}, {label}" for code, label in choices.items())


