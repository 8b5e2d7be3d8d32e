"""The REDCap reader as it was before the columnar rewrite (ino_study.records.redcap at 806be73), row by
row: kept only as the oracle of tests/test_redcap_properties.py, which checks that the columnar reader
gives the same raw tables and findings. Not used by the pipeline. The dictionary, the header's
columns and the reading's stops are shared with the columnar reader; the rows are read as before."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ino_study.records.contract import TABLES, TABLES_BY_NAME
from ino_study.records.quality import Finding, short_value
from ino_study.records.read import RawTable
from ino_study.records.redcap import (
    BINARY_LABELS, CODED_TYPES, FIELD_COLUMNS, NON_REPEATING, RECORD_ID, SPECIAL_COLUMNS, Field,
    _decode, _dictionary_and_export, _listing, _read_csv, checked_header, field_names,
)


def _instance(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[1-9][0-9]*", text.strip()) else None


def read_redcap_export_rowwise(path: str | Path, dictionary_path: str | Path | None
                       ) -> tuple[dict[str, RawTable], list[Finding]]:
    """The row-by-row reader as it was before the columnar rewrite (a test oracle only)."""
    path = Path(path)
    fields, rows, findings = _dictionary_and_export(path, dictionary_path, _read_csv)
    if findings:
        return {}, findings
    name = path.name
    header = [h.strip() for h in rows[0]] if rows else []

    def error(table, line, column, rule, patient=None, value=None, where=None) -> None:
        findings.append(Finding("error", table, where or name, line, column, patient, value, rule, "stop"))

    columns = checked_header(header, fields, error)
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
