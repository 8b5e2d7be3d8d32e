"""Helpers of the bad-input corpus: load the default workbook, mutate it, write it, read and clean it.

The default SYNTHETIC workbook is loaded once as plain rows (cell values, Excel's cached values for
formulas); a mutation edits a deep copy; the result is written to a temporary .xlsx (openpyxl) or a
directory of CSV files and put through the package's own reading and cleaning functions (not the
whole pipeline, for speed). `Outcome` holds the DataContractError or the clean records.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import openpyxl

from ino_study.records.clean import CleanRecords, Eligibility, clean_records
from ino_study.records.quality import DataContractError, Finding
from ino_study.records.read import normalise_name, read_registry_export

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_WORKBOOK = PROJECT_ROOT / "data" / "synthetic" / "ino_registry_export_SYNTHETIC.xlsx"
RULES = Eligibility(dt.date(2016, 10, 1), dt.date(2022, 9, 1), 18.0, dt.date(2023, 1, 31))

Sheets = dict[str, list[list[Any]]]


@functools.lru_cache(maxsize=1)
def _default_sheets() -> Sheets:
    workbook = openpyxl.load_workbook(DEFAULT_WORKBOOK, data_only=True)
    try:
        return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in workbook.worksheets}
    finally:
        workbook.close()


def default_sheets() -> Sheets:
    """A fresh, mutable copy of the default workbook's sheets (rows of cell values)."""
    return copy.deepcopy(_default_sheets())


def column_index(sheets: Sheets, sheet: str, column: str, header_row: int = 0) -> int:
    """Position of a contract column in a sheet's header (matched as the reader matches it)."""
    names = [normalise_name(v) for v in sheets[sheet][header_row]]
    return names.index(column)


def row_index(sheets: Sheets, sheet: str, patient_id: str, nth: int = 0) -> int:
    """Index (0-based; Excel row = index + 1) of the nth row of a patient in a sheet."""
    position = column_index(sheets, sheet, "patient_id")
    hits = [i for i, row in enumerate(sheets[sheet]) if i > 0 and str(row[position]).strip() == patient_id]
    return hits[nth]


def set_cell(sheets: Sheets, sheet: str, patient_id: str, column: str, value: Any, nth: int = 0) -> int:
    """Set one cell; returns its Excel row number."""
    index = row_index(sheets, sheet, patient_id, nth)
    sheets[sheet][index][column_index(sheets, sheet, column)] = value
    return index + 1


def get_cell(sheets: Sheets, sheet: str, patient_id: str, column: str, nth: int = 0) -> Any:
    return sheets[sheet][row_index(sheets, sheet, patient_id, nth)][column_index(sheets, sheet, column)]


def write_xlsx(sheets: Sheets, path: Path, number_formats: dict[tuple[str, str], str] | None = None) -> Path:
    """Write sheets with openpyxl; `number_formats` maps (sheet, 'D5') to a number format."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(row)
    for (title, coordinate), number_format in (number_formats or {}).items():
        workbook[title][coordinate].number_format = number_format
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def csv_text(value: Any) -> str:
    """A cell as Russian-locale Excel writes it to CSV: dd.mm.yyyy dates, decimal commas."""
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return str(value)


def write_csv_dir(sheets: Sheets, directory: Path, encoding: str = "utf-8", delimiter: str = ",",
                  skip: tuple[str, ...] = ("README",)) -> Path:
    """One <sheet>.csv per sheet."""
    directory.mkdir(parents=True, exist_ok=True)
    for title, rows in sheets.items():
        if title in skip:
            continue
        with open(directory / f"{title}.csv", "w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
            for row in rows:
                writer.writerow([csv_text(v) for v in row])
    return directory


def patch_xlsx(path: Path, sheet_part: str, edit: Callable[[str], str], extra_parts: dict[str, bytes] | None = None,
               content_types: Callable[[str], str] | None = None) -> Path:
    """Rewrite one worksheet XML part of an .xlsx (and optionally add parts / edit [Content_Types].xml)."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts[sheet_part] = edit(parts[sheet_part].decode("utf-8")).encode("utf-8")
    if content_types is not None:
        parts["[Content_Types].xml"] = content_types(parts["[Content_Types].xml"].decode("utf-8")).encode("utf-8")
    parts.update(extra_parts or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def sheet_part(sheets: Sheets, title: str) -> str:
    """The XML part openpyxl writes for a sheet (sheets numbered in order)."""
    return f"xl/worksheets/sheet{list(sheets).index(title) + 1}.xml"


def add_formula(xml: str, coordinate: str, formula: str, cached: float | None) -> str:
    """Turn the numeric cell at `coordinate` into a formula with (or without) a cached value."""
    pattern = re.compile(rf'<c r="{coordinate}"([^>]*?)(?:/>|>.*?</c>)')
    cached_xml = "<v></v>" if cached is None else f"<v>{cached!r}</v>"
    replacement = f'<c r="{coordinate}"><f>{formula}</f>{cached_xml}</c>'
    new, count = pattern.subn(lambda m: replacement, xml, count=1)
    assert count == 1, coordinate
    return new


@dataclass
class Outcome:
    error: DataContractError | None
    records: CleanRecords | None
    read_findings: list[Finding]

    @property
    def findings(self) -> list[Finding]:
        return self.records.findings if self.records is not None else self.read_findings

    @property
    def message(self) -> str:
        return "" if self.error is None else str(self.error)


def run(path: Path, rules: Eligibility = RULES, pseudonym_key: bytes | None = None,
        column_map: dict | None = None) -> Outcome:
    """Read and clean like the pipeline's records step; any exception but DataContractError escapes."""
    raw, findings = read_registry_export(path, column_map)
    try:
        records = clean_records(raw, rules, findings, pseudonym_key=pseudonym_key)
    except DataContractError as error:
        return Outcome(error, None, findings)
    return Outcome(None, records, findings)


def has_finding(findings: list[Finding], severity: str, table: str | None = None, row: int | None = None,
                column: str | None = None, rule: str | None = None, value: str | None = None) -> bool:
    """Is there a finding matching every given field (rule: substring)?"""
    for f in findings:
        if f.severity != severity:
            continue
        if table is not None and f.table != table:
            continue
        if row is not None and f.row != row:
            continue
        if column is not None and f.column != column:
            continue
        if value is not None and f.value != value:
            continue
        if rule is not None and rule not in f.rule:
            continue
        return True
    return False
