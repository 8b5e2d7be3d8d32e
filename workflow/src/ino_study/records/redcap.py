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

import pandas as pd

from ino_study.records.contract import TABLES, TABLES_BY_NAME
from ino_study.records.quality import Finding, short_value
from ino_study.records.read import RawTable

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


def _instance(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[1-9][0-9]*", text.strip()) else None


def read_redcap_export(path: str | Path, dictionary_path: str | Path | None
                       ) -> tuple[dict[str, RawTable], list[Finding]]:
    """The six raw tables from a REDCap export and its data dictionary, with the reading's findings."""
    path = Path(path)
    findings: list[Finding] = []
    if dictionary_path is None:
        return {}, [Finding("error", "-", path.name, None, None, None, None,
                            "raw_format redcap needs the project's data dictionary (config key "
                            "redcap_data_dictionary)", "stop")]
    fields, findings = read_data_dictionary(dictionary_path)
    if findings:
        return {}, findings
    if not path.is_file():
        return {}, [Finding("error", "-", str(path), None, None, None, None,
                            "the raw data path does not exist (a REDCap export CSV)", "stop")]
    try:
        rows = _read_csv(path)
    except ValueError as problem:
        return {}, [Finding("error", "-", path.name, None, None, None, None, str(problem), "stop")]
    name = path.name
    header = [h.strip() for h in rows[0]] if rows else []

    def error(table, line, column, rule, patient=None, value=None, where=None) -> None:
        findings.append(Finding("error", table, where or name, line, column, patient, value, rule, "stop"))

    if not header or header[0] != RECORD_ID:
        error("-", 1, header[0] if header else None,
              f"the first column of a REDCap export is the record ID, '{RECORD_ID}' by the convention")
        return {}, findings

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
    if findings:
        return {}, findings
    at = {c: header.index(c) for c in SPECIAL_COLUMNS if c in header}
    longitudinal = "redcap_event_name" in at

    # non-repeating tables: record -> (line, {contract column: value}), merged over events;
    # repeating tables: one (line, {contract column: value}) per instance
    records: dict[str, dict[str, tuple[int, dict[str, str | None]]]] = {t: {} for t in NON_REPEATING}
    repeating: dict[str, list[tuple[int, dict[str, str | None]]]] = {
        t.name: [] for t in TABLES if t.name not in NON_REPEATING}
    seen_rows: dict[tuple, int] = {}
    where_given: dict[tuple[str, str], tuple[str, str]] = {}  # (record, field) -> (event, value)

    for line, row in enumerate(rows[1:], start=2):
        row = [*row, *[""] * (len(header) - len(row))]
        if not any(cell.strip() for cell in row):
            continue
        record = row[0].strip()
        event = row[at["redcap_event_name"]].strip() if longitudinal else ""
        instrument = row[at["redcap_repeat_instrument"]].strip() if "redcap_repeat_instrument" in at else ""
        instance_text = row[at["redcap_repeat_instance"]].strip() if "redcap_repeat_instance" in at else ""
        table = instrument or "patients"
        instance = _instance(instance_text)
        where = f"{name}, instrument '{instrument}'" + (f", instance {instance_text}" if instance_text else "") \
            if instrument else f"{name}, non-repeating row"
        if longitudinal:
            where += f", event '{event}'"
        if not record:
            error(table, line, RECORD_ID, "a row without a record ID", where=where)
            continue
        if instrument:
            if instrument not in TABLES_BY_NAME:
                error(instrument, line, "redcap_repeat_instrument", f"unknown instrument '{instrument}'", record,
                      where=where)
                continue
            if instrument in NON_REPEATING:
                error(instrument, line, "redcap_repeat_instrument",
                      f"instrument '{instrument}' does not repeat (one per record, on the non-repeating row)",
                      record, where=where)
                continue
            if instance is None:
                error(instrument, line, "redcap_repeat_instance",
                      "a repeating row without an instance (redcap_repeat_instance must be a whole number from 1)",
                      record, short_value(instance_text) if instance_text else None, where=where)
                continue
        elif instance_text:
            error("-", line, "redcap_repeat_instance",
                  "an instance on a row without a repeating instrument (redcap_repeat_instrument is blank)",
                  record, short_value(instance_text), where=where)
            continue
        key = (record, event, instrument, instance)
        if key in seen_rows:
            what = f"instance {instance} of instrument '{instrument}'" if instrument else "the non-repeating row"
            error(table, line, RECORD_ID, f"{what} of this record is given twice (line {seen_rows[key]} and this one)"
                  + (f" in event '{event}'" if longitudinal else ""), record, where=where)
            continue
        seen_rows[key] = line

        allowed = set(NON_REPEATING) if not instrument else {instrument}
        values: dict[str, dict[str, str | None]] = {}
        ticked: dict[str, list[str]] = {}
        for position, column in enumerate(columns):
            if column.field is None or column.field.name == RECORD_ID:
                continue
            field_, cell = column.field, row[position].strip()
            if column.code is not None and cell in ("", "0"):
                continue
            if not cell:
                continue
            shown = None if field_.identifier else short_value(cell)
            if field_.form not in allowed:
                error(field_.form, line, header[position],
                      f"a value for field '{header[position]}' of instrument '{field_.form}' on a row of "
                      + (f"instrument '{instrument}'" if instrument else "the non-repeating instruments"),
                      record, shown, where=where)
                continue
            if column.code is not None:
                if cell != "1":
                    error(field_.form, line, header[position], "a checkbox column holds 1 (ticked) or 0",
                          record, shown, where=where)
                    continue
                ticked.setdefault(field_.name, []).append(field_.choices[column.code])
                continue
            decoded = _decode(field_, cell)
            if decoded is None:
                allowed_codes = field_.choices if field_.type in CODED_TYPES else BINARY_LABELS[field_.type]
                error(field_.form, line, field_.name,
                      f"code '{'<withheld>' if field_.identifier else cell}' is not among the choices of field "
                      f"'{field_.name}' ({_listing(allowed_codes)})", record, shown, where=where)
                continue
            if field_.name in FIELD_COLUMNS:
                values.setdefault(field_.form, {})[FIELD_COLUMNS[field_.name][1]] = decoded
        for base, labels in ticked.items():
            if base in FIELD_COLUMNS:
                values.setdefault(fields[base].form, {})[FIELD_COLUMNS[base][1]] = "; ".join(labels)

        if instrument:
            repeating[instrument].append((line, {RECORD_ID: record, **values.get(instrument, {})}))
            continue
        for form, cells in values.items():
            _, merged = records[form].setdefault(record, (line, {RECORD_ID: record}))
            for column, value in cells.items():
                field_name = field_names()[form][column]
                given = where_given.get((record, field_name))
                if given is not None and given[1] != value:
                    error(form, line, field_name, f"field '{field_name}' is filled in two events ('{given[0]}' and "
                          f"'{event}') with different values", record,
                          None if fields[field_name].identifier else short_value(value), where=where)
                    continue
                where_given[(record, field_name)] = (event, value)
                merged[column] = value

    tables: dict[str, RawTable] = {}
    for table in TABLES:
        rows_of = list(records[table.name].values()) if table.name in NON_REPEATING else repeating[table.name]
        present = [c.name for c in table.columns
                   if c.name == RECORD_ID or field_names()[table.name][c.name] in fields]
        frame = pd.DataFrame({c: pd.Series([cells.get(c) for _, cells in rows_of], dtype=object) for c in present})
        frame["_row"] = pd.Series([line for line, _ in rows_of], dtype=object)
        tables[table.name] = RawTable(table, f"{name}, instrument '{table.name}'", frame)
    return tables, findings


def _decode(field_: Field, cell: str) -> str | None:
    """The label of a coded value (None for a code not among the choices); other values as written."""
    if field_.type in CODED_TYPES:
        return field_.choices.get(cell)
    if field_.type in BINARY_LABELS:
        return BINARY_LABELS[field_.type].get(cell)
    return cell


def _listing(choices: dict[str, str]) -> str:
    return " | ".join(f"{code}, {label}" for code, label in choices.items())


