"""Reading a registry export: an .xlsx workbook (one sheet per table) or a directory of CSV files.

Reading only locates tables, header rows and columns and keeps every cell as it was written
(text, number or date object); `ino_study.records.clean` interprets the values. Each data row keeps
the row number the user sees in Excel (or the line of the CSV file), so that every later message can
point at the cell to fix.

Rules (each documented in docs/data_dictionary.md):
- a table is found by its sheet / file name, case- and whitespace-insensitively, or by an alias;
- the header is the first of the first 10 rows that names at least half of the table's required
  columns (title rows and merged banner rows above it are skipped, with a note);
- column names match case- and whitespace-insensitively ("Patient ID " == "patient_id"); extra
  columns are ignored; a required column missing is an error;
- a header listed in the config key `column_map` for its table is read as the contract column it is
  mapped to (see "Column maps" below);
- blank rows are skipped (a correction); a row with no patient_id and a single filled cell is a
  note typed below or inside the table and is skipped (a warning); any other row without a
  patient_id is an error;
- workbooks are opened read-only with cached values (`data_only`): formulas are never evaluated,
  macros never run, external links never followed. A formula cell in a contract column is read as
  the value Excel cached when the file was last saved (a correction, "formula read as its cached
  value"); a formula without a cached value (a file written by a program that does not calculate)
  is an error. Formulas are looked for cheaply: the sheet XML is scanned for `<f>` elements and the
  workbook is opened a second time (formulas as text) only when there are any;
- a numeric cell formatted as a percentage (Excel stores 0.0001 for a cell showing 0.01%) is read
  as the percentage it shows ("0.01%"), a correction;
- a macro-enabled workbook (.xlsm) is read as data only (a correction: its macros are not run); a
  workbook linking to other workbooks is read without following the links (a correction);
- CSV: UTF-8 (with or without BOM) or cp1251; delimiter `;`, `,` or tab, detected from the header;
  a file with NUL bytes (binary, UTF-16) or text that is neither UTF-8 nor cp1251 is an error.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
from decimal import Decimal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ino_study.records.column_map import ColumnMap, column_map_problems, header_listing, resolve_column_map
from ino_study.records.contract import TABLES, Table, normalise_name
from ino_study.records.parse import PY_WHITESPACE, re2_class
from ino_study.records.quality import Finding, short_value

HEADER_SEARCH_ROWS = 10


@dataclass
class RawTable:
    """One table as written by the user, cells untouched, columns renamed to the contract's names."""

    table: Table
    source: str  # "export.xlsx, sheet 'patients'" or "patients.csv"
    frame: pd.DataFrame  # contract columns present in the file, object dtype, plus `_row`
    findings: list[Finding] = field(default_factory=list)


def _table_for_name(name: str) -> Table | None:
    key = normalise_name(name)
    for table in TABLES:
        if key == table.name or key in {normalise_name(a) for a in table.aliases}:
            return table
    return None


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and pd.isna(value):
        return True
    return isinstance(value, str) and value.replace("\xa0", " ").strip() == ""


def _looks_like_note(value: object) -> bool:
    """A lone cell that cannot be a patient ID: free text with spaces, a leading mark, or long."""
    text = str(value).replace("\xa0", " ").strip()
    return " " in text or len(text) > 40 or not text[:1].isalnum()


def _find_header(rows: list[tuple], table: Table, mapped: dict[str, tuple[str, str]] | None = None) -> int | None:
    """Index of the header row among the first rows, or None (a mapped header counts as its column)."""
    wanted = {c.name for c in table.columns}
    needed = max(1, len(table.required_columns) // 2)
    mapped = mapped or {}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {normalise_name(v) for v in row if not _is_blank(v)}
        names = {mapped[n][1] if n in mapped else n for n in names}
        if len(names & wanted) >= needed:
            return index
    return None


#: A note about one cell, made while reading it: (severity, rule, action, value shown).
CellNote = tuple[str, str, str, "str | None"]


def rows_to_table(
    rows: list[tuple], table: Table, source: str, first_row_number: int = 1,
    cell_notes: dict[tuple[int, int], CellNote] | None = None,
    mapped: dict[str, tuple[str, str]] | None = None,
) -> RawTable:
    """Turn the rows of a sheet or CSV (header included somewhere near the top) into a RawTable.

    `first_row_number` is the number the user sees for rows[0] (1 in Excel and in a CSV file).
    `cell_notes` maps (index in `rows`, column position) to a note made while reading the cell (a
    formula, a percent format); notes on cells of contract columns below the header become findings.
    Rows may differ in length: a cell beyond the end of its row reads as None.
    `mapped` is this table's part of the column map (normalised header -> (header, contract column)):
    None when no column map is configured at all, {} when the map has nothing for this table.
    """
    return columns_to_table(_rows_to_columns(rows), len(rows), table, source, first_row_number, cell_notes,
                            mapped)


def _rows_to_columns(rows: list[tuple]) -> list[np.ndarray]:
    """The cells of `rows` position by position (object arrays), None past the end of a short row."""
    width = max(map(len, rows), default=0)
    columns = [np.full(len(rows), None, dtype=object) for _ in range(width)]
    if rows:
        for position, cells in enumerate(itertools.zip_longest(*rows)):
            columns[position][:] = np.fromiter(cells, dtype=object, count=len(rows))
    return columns


@dataclass(frozen=True)
class CodedCells:
    """A column of CSV cells with each distinct string kept once: `uniques[codes[i]]` is cell i.

    Code -1 marks no cell (past the end of a short row; read as None). Indexing by a position gives
    the cell; by a slice or an array of positions, the CodedCells of those cells (same `uniques`).
    Work that depends only on a cell's text (is it blank?) is done once per distinct string.
    """

    codes: np.ndarray  # a signed integer type (int8 where the distinct strings are few)
    uniques: np.ndarray  # object array of distinct str
    blank_uniques: np.ndarray | None = None  # blank_mask(uniques), when the reader computed it

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            code = self.codes[key]
            return None if code < 0 else self.uniques[code]
        return CodedCells(self.codes[key], self.uniques, self.blank_uniques)

    def __iter__(self):
        return (None if code < 0 else self.uniques[code] for code in self.codes.tolist())

    def per_cell(self, per_unique: np.ndarray, missing) -> np.ndarray:
        """`per_unique` (one entry per distinct string) spread to the cells; `missing` where no cell."""
        return np.append(per_unique, np.array([missing], dtype=per_unique.dtype)).take(self.codes)


def blank_mask(values) -> np.ndarray:
    """`[_is_blank(v) for v in values]`, fast for a column of text (a CSV column).

    Blank: None, a float NaN, or a string of whitespace only (`str.strip()` and `str.isspace()`
    agree on what whitespace is, NBSP included). For CodedCells each distinct string is looked at once.
    """
    if isinstance(values, CodedCells):
        blank = values.blank_uniques if values.blank_uniques is not None else blank_mask(values.uniques)
        return values.per_cell(blank, True)
    values = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        try:
            # every cell a str or None here; any other missing marker (NaN, NaT, pd.NA) raises
            return np.array([not v or v.isspace() for v in values], dtype=bool)
        except (AttributeError, TypeError):
            pass
    return np.fromiter((_is_blank(v) for v in values), dtype=bool, count=len(values))


def _filled_cells(body: list[np.ndarray], id_position: int | None, id_blank: np.ndarray) -> np.ndarray:
    """Filled (not blank) cells per row, counted exactly up to 2 (a row with 2 or more is a record).

    The rules only ask whether a row has no filled cell, one, or more; so once a row has two, its
    other cells are not looked at: most rows are decided by the ID and the next column.
    """
    filled = np.zeros(len(id_blank), dtype=np.int64)
    if id_position is not None:
        filled += ~id_blank
    undecided = np.arange(len(id_blank))
    for position, cells in enumerate(body):
        if position == id_position:
            continue
        if len(undecided) == 0:
            break
        filled[undecided] += ~blank_mask(cells[undecided])
        undecided = undecided[filled[undecided] < 2]
    return filled


def columns_to_table(
    columns: list[np.ndarray], n_rows: int, table: Table, source: str, first_row_number: int = 1,
    cell_notes: dict[tuple[int, int], CellNote] | None = None,
    mapped: dict[str, tuple[str, str]] | None = None,
) -> RawTable:
    """`rows_to_table` on the cells given position by position (each an object array of `n_rows`).

    The rules are those of `rows_to_table`; the work on data rows is done on whole columns.
    """
    findings: list[Finding] = []

    def finding(severity, row, column, value, rule, action, patient_id=None) -> None:
        findings.append(Finding(severity, table.name, source, row, column, patient_id, value, rule, action))

    top_rows = [tuple(column[index] for column in columns) for index in range(min(n_rows, HEADER_SEARCH_ROWS))]
    header_index = _find_header(top_rows, table, mapped)
    if header_index is None:
        finding(
            "error", None, None, None,
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows; expected columns "
            + ", ".join(table.required_columns)
            + ("" if mapped is None else f" (or headers mapped to them in column_map.{table.name})"),
            "stop",
        )
        return RawTable(table, source, pd.DataFrame(columns=["_row"]), findings)
    if header_index > 0:
        finding(
            "correction", first_row_number, None, None,
            f"{header_index} row(s) above the header (title or merged banner) skipped",
            "skipped",
        )
    header = top_rows[header_index]
    header_row_number = first_row_number + header_index

    positions: dict[str, int] = {}
    mapped_here = mapped or {}
    given_by: dict[str, str] = {}  # contract column -> the header giving it (as written, stripped)
    via_map: set[str] = set()  # contract columns given by a mapped header
    found_mapped: set[str] = set()  # normalised mapped headers present in the header row
    for position, raw_name in enumerate(header):
        key = normalise_name(raw_name)
        if not key:
            continue
        if key in mapped_here:
            found_mapped.add(key)
            column = table.column(mapped_here[key][1])
        else:
            try:
                column = table.column(key)
            except KeyError:
                continue
        written = str(raw_name).strip()
        if column.name in positions:
            if key in mapped_here or column.name in via_map:
                rule = (f"contract column '{column.name}' is given twice: by header '{given_by[column.name]}' and by "
                        f"header '{written}' (column_map.{table.name})")
            else:
                rule = f"column '{column.name}' appears twice in the header"
            finding("error", header_row_number, written, None, rule, "stop")
            continue
        positions[column.name] = position
        given_by[column.name] = written
        if key in mapped_here:
            via_map.add(column.name)
        elif str(raw_name) != column.name:
            finding(
                "correction", header_row_number, column.name, short_value(raw_name),
                "column name matched case- and whitespace-insensitively", "renamed",
            )
    for key, (configured, name) in mapped_here.items():
        if key not in found_mapped:
            finding("error", header_row_number, name, None,
                    f"column_map.{table.name} header '{configured}' (mapped to '{name}') is not in the header row; "
                    f"the header has: {header_listing(header)}", "stop")
    mapped_columns = {name for _, name in mapped_here.values()}
    for name in table.required_columns:
        if name in positions or name in mapped_columns:  # a mapped header missing is reported above
            continue
        if mapped is None:
            finding("error", header_row_number, name, None, f"required column '{name}' is missing", "stop")
        else:
            finding("error", header_row_number, name, None,
                    f"required column '{name}' is missing: neither in the header nor mapped in "
                    f"column_map.{table.name}; the header has: {header_listing(header)}", "stop")

    if cell_notes:
        names = {position: name for name, position in positions.items()}
        for (index, position), (severity, rule, action, value) in sorted(cell_notes.items()):
            if index > header_index and position in names:
                finding(severity, first_row_number + index, names[position], value, rule, action)

    body = [column[header_index + 1 :] for column in columns]
    data_rows = n_rows - header_index - 1
    id_position = positions.get("patient_id")
    if id_position is not None:
        patient_ids = body[id_position]
        id_blank = blank_mask(patient_ids)
    else:
        patient_ids = np.full(data_rows, None, dtype=object)
        id_blank = np.ones(data_rows, dtype=bool)
    filled = _filled_cells(body, id_position, id_blank)
    single = filled == 1
    note = single & id_blank
    maybe_note = np.flatnonzero(single & ~id_blank)  # few rows: a lone ID-like cell is looked at one by one
    note[maybe_note] = [_looks_like_note(v) for v in patient_ids[maybe_note]]
    no_id = (filled > 0) & ~note & id_blank
    # findings in row order, as a reader going down the sheet makes them
    for offset in np.flatnonzero(note | no_id):
        row_number = header_row_number + 1 + int(offset)
        if note[offset]:
            finding("warning", row_number, None, None, "a note typed in a single cell, not a record", "row ignored")
        else:
            finding("error", row_number, "patient_id", None, "a record without a patient_id", "stop")
    kept = np.flatnonzero((filled > 0) & ~note & ~id_blank)

    blank_rows = filled == 0
    blank = int(blank_rows.sum())
    trailing_blank = data_rows - (int(np.flatnonzero(~blank_rows)[-1]) + 1) if blank < data_rows else data_rows
    inner_blank = blank - trailing_blank
    if inner_blank and data_rows:
        finding("correction", None, None, None, f"{inner_blank} blank row(s) inside the table skipped", "skipped")

    frame = _records_frame({name: body[position][kept] for name, position in positions.items()},
                           header_row_number + 1 + kept)
    return RawTable(table, source, frame, findings)


def _records_frame(cells: dict[str, np.ndarray], row_numbers: np.ndarray) -> pd.DataFrame:
    """The records as an object-dtype frame with `_row`, as `DataFrame.from_records(...).astype(object)` makes it.

    from_records infers each column's type (a column of numbers becomes float, datetimes Timestamps)
    and astype(object) keeps that; a column of strings only stays as it is, so such tables (every
    CSV file) skip the row-by-row round trip. CodedCells become categorical columns, and `_row`
    int64 (`categorical_table`).
    """
    names = [*cells, "_row"]
    if any(isinstance(v, CodedCells) for v in cells.values()):
        data = {name: _categorical(v) for name, v in cells.items()}
        data["_row"] = np.asarray(row_numbers, dtype=np.int64)
        return pd.DataFrame(data, columns=names, index=pd.RangeIndex(len(row_numbers)))
    row_numbers = np.asarray(row_numbers).tolist()
    if row_numbers and all(pd.api.types.infer_dtype(v, skipna=False) == "string" for v in cells.values()):
        data: dict[str, np.ndarray] = dict(cells)
        data["_row"] = np.array(row_numbers, dtype=object)
        return pd.DataFrame(data, columns=names, index=pd.RangeIndex(len(row_numbers)))
    records = list(zip(*cells.values(), row_numbers))
    return pd.DataFrame.from_records(records, columns=names).astype(object)


def _categorical(cells: CodedCells) -> pd.Categorical:
    """The cells as a pandas Categorical: the distinct strings present as categories, None as NaN."""
    valid = cells.codes[cells.codes >= 0] if (cells.codes < 0).any() else cells.codes
    used = np.bincount(valid, minlength=len(cells.uniques)) > 0
    if used.all():
        return pd.Categorical.from_codes(cells.codes, categories=pd.Index(cells.uniques, dtype=object))
    new_code = np.append(np.cumsum(used, dtype=np.int32) - 1, np.int32(-1))
    return pd.Categorical.from_codes(new_code.take(cells.codes), categories=pd.Index(cells.uniques[used], dtype=object))


def categorical_table(raw: RawTable) -> RawTable:
    """A CSV table with every contract column categorical (as `_categorical` makes it from CodedCells)
    and the row numbers `_row` int64.

    Both ways of reading a CSV file (the columnar reader and csv.reader row by row) give this form.
    """
    frame = raw.frame
    for name in frame.columns:
        if name == "_row":
            frame[name] = frame[name].to_numpy().astype(np.int64)
        elif not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = pd.Categorical(frame[name].to_numpy(dtype=object))
    return raw


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CHUNK = 1 << 20


def _sheets_with_formulas(path: Path) -> bool:
    """True when any worksheet of the workbook holds a formula (a streamed scan of the sheet XML)."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as part:
                tail = b""
                while chunk := part.read(_CHUNK):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-8:]
    return False


def _package_parts(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def _formula_cells(path: Path) -> dict[str, set[tuple[int, int]]]:
    """(row index, column position) of every formula cell, per sheet (formulas read as text)."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        cells: dict[str, set[tuple[int, int]]] = {}
        for sheet_name in workbook.sheetnames:
            if _table_for_name(sheet_name) is None:
                continue
            found = {
                (index, position)
                for index, row in enumerate(workbook[sheet_name].iter_rows())
                for position, cell in enumerate(row)
                if getattr(cell, "data_type", None) == "f"
            }
            if found:
                cells[sheet_name] = found
        return cells
    finally:
        workbook.close()


def percent_cell_text(value: float) -> str:
    """The text a percent-formatted cell shows: 0.0001 -> '0.01%' (no binary rounding noise)."""
    shown = Decimal(repr(float(value))) * 100
    text = format(shown.normalize(), "f")
    return f"{text}%"


def _worksheet_rows(worksheet, formulas: set[tuple[int, int]] = frozenset()
                    ) -> tuple[list[tuple], dict[tuple[int, int], CellNote]]:
    """Cell values row by row, and notes on cells that are not read as their plain value."""
    rows: list[tuple] = []
    notes: dict[tuple[int, int], CellNote] = {}
    for index, row in enumerate(worksheet.iter_rows()):
        values = []
        for position, cell in enumerate(row):
            value = cell.value
            if (index, position) in formulas:
                if value is None:
                    notes[index, position] = ("error", "formula without a cached value (the file was saved by a "
                                              "program that does not calculate): type the value", "stop", None)
                else:
                    notes[index, position] = ("correction", "formula read as its cached value", "read",
                                              short_value(value))
            if (isinstance(value, (int, float)) and not isinstance(value, bool)
                    and "%" in (getattr(cell, "number_format", None) or "")):
                text = percent_cell_text(value)
                notes.setdefault((index, position), (
                    "correction", f"percent-formatted cell (stored as {value!r}) read as the percentage it shows",
                    "converted", text))
                value = text
            values.append(value)
        rows.append(tuple(values))
    return rows, notes


def read_workbook(path: Path, column_map: ColumnMap | None = None) -> tuple[dict[str, RawTable], list[Finding]]:
    """Read every contract table from an .xlsx workbook (`column_map` as `resolve_column_map` gives it)."""
    import openpyxl  # imported here: reading CSV directories must not need it

    findings: list[Finding] = []
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # a corrupt or non-xlsx file: say so plainly
        findings.append(
            Finding("error", "-", path.name, None, None, None, None,
                    f"cannot be opened as an .xlsx workbook ({type(error).__name__}: {error})", "stop")
        )
        return {}, findings
    tables: dict[str, RawTable] = {}
    try:
        parts = _package_parts(path)
        formulas = _formula_cells(path) if _sheets_with_formulas(path) else {}
        if "xl/vbaProject.bin" in parts or path.suffix.lower() == ".xlsm":
            findings.append(Finding("correction", "-", path.name, None, None, None, None,
                                    "macro-enabled workbook: read as data only, macros are never run", "read"))
        if any(p.startswith("xl/externalLinks/") for p in parts):
            findings.append(Finding("correction", "-", path.name, None, None, None, None,
                                    "workbook links to other workbooks: links not followed, cached values read",
                                    "read"))
        for sheet_name in workbook.sheetnames:
            table = _table_for_name(sheet_name)
            if table is None:
                continue
            source = f"{path.name}, sheet '{sheet_name}'"
            if table.name in tables:
                findings.append(
                    Finding("error", table.name, source, None, None, None, None,
                            f"a second sheet for table '{table.name}' ({tables[table.name].source})", "stop")
                )
                continue
            rows, notes = _worksheet_rows(workbook[sheet_name], formulas.get(sheet_name, frozenset()))
            tables[table.name] = rows_to_table(rows, table, source, cell_notes=notes,
                                               mapped=_table_map(column_map, table))
    finally:
        workbook.close()
    return tables, findings


def _decode(data: bytes) -> tuple[str, str]:
    """Text of a CSV file and the encoding used: UTF-8 (BOM or not), else cp1251."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251"), "cp1251"


def _first_filled_line(text: str, chunk: int = 1 << 16) -> str:
    """`next((line for line in text.splitlines() if line.strip()), "")` without splitting the whole text."""
    size = chunk
    while True:
        lines = text[:size].splitlines()
        whole = size >= len(text)
        # the last piece of a prefix may be a line cut short: only the pieces before it are sure
        for line in lines if whole else lines[:-1]:
            if line.strip():
                return line
        if whole:
            return ""
        size *= 2


def _delimiter(text: str) -> str:
    return _line_delimiter(_first_filled_line(text))


def _line_delimiter(first_line: str) -> str:
    """The delimiter of a CSV file whose first filled line this is: the most frequent of ; tab ,"""
    counts = {d: first_line.count(d) for d in (";", "\t", ",")}
    return max(counts, key=lambda d: (counts[d], d == ";"))


def _unquoted_csv_columns(text: str, delimiter: str, data: bytes | None = None
                          ) -> tuple[list[np.ndarray], int] | None:
    """The cells of a CSV text without quote characters, position by position, read by pyarrow's
    reader (CodedCells, `_coded_csv_columns`) or, when it declines, by pandas' C parser (object arrays).

    Gives exactly the cells `csv.reader` gives (strings; None past the end of a short row), much
    faster, or None when the text is not of the simple kind this covers and `csv.reader` must read
    it: quotes (a quoted field may hold a delimiter or a line break), a leading byte-order mark (the
    C parser drops it), a line longer than `csv.field_size_limit()` (csv.reader stops there with an
    error the user must see), or anything the C parser refuses. `data` is `text` encoded as UTF-8
    when the caller has it (the file's own bytes).
    """
    if not text or '"' in text or text.startswith("\ufeff"):
        return None
    if data is None:
        data = text.encode("utf-8")
    width = _first_row_width(data, delimiter)
    coded = _coded_csv_columns(data, delimiter)
    if coded is not None:
        return coded, len(coded[0])
    if _longest_line(data) > csv.field_size_limit() and _csv_row_lengths(data, delimiter) is None:
        return None  # a row, so maybe a field, longer than csv.reader takes
    rows = _csv_row_count(data)
    frame = _read_unquoted(data, delimiter, width)
    if (frame is not None and width > 1 and len(frame) == rows
            and data.count(delimiter.encode()) == (width - 1) * rows):
        return [frame[position].to_numpy(dtype=object) for position in range(width)], rows
    lengths = _csv_row_lengths(data, delimiter)  # a ragged file: how many cells each row has
    if lengths is None or not len(lengths):
        return None
    width = max(int(lengths.max()), 1)
    frame = _read_unquoted(data, delimiter, width)
    if frame is None or frame.shape != (len(lengths), width):
        return None
    columns = []
    for position in range(int(lengths.max())):
        cells = frame[position].to_numpy(dtype=object, copy=True)
        short = lengths <= position
        if short.any():
            cells[short] = None  # the C parser pads a short row with ""; csv.reader gives no cell there
        columns.append(cells)
    return columns, len(lengths)


def _first_row_width(data: bytes, delimiter: str) -> int:
    """Cells in the first row of quote-free `data`."""
    first_row = data[: min((i for i in (data.find(b"\r"), data.find(b"\n"), len(data)) if i >= 0))]
    return first_row.count(delimiter.encode()) + 1


def _coded_csv_columns(data: bytes, delimiter: str, quoted: bool = False, path: Path | None = None
                       ) -> list[CodedCells] | None:
    """The cells of quote-free UTF-8 `data` as CodedCells when pyarrow's reader gives exactly what
    `csv.reader` gives, else None: a file of one column, a row with another number of cells than
    the first (pyarrow refuses it), a row of empty cells only (pyarrow reads an empty line so, where
    csv.reader gives a row without cells), a cell longer than csv.reader takes, text that is not UTF-8.

    `quoted`: `data` has quotes, each line of it a whole record of plainly quoted fields (the caller
    has checked: `ino_study.records.redcap._plainly_quoted`); they are read as csv.reader reads them.
    `path`: the reader reads the file itself (its start, a UTF-8 byte-order mark dropped, is `data`: the
    caller need not hold the whole file while it is read).
    """
    width = _quoted_first_row_width(data, delimiter) if quoted else _first_row_width(data, delimiter)
    if width < 2:
        return None
    coded = _read_unquoted_coded(data if path is None else path, delimiter, width, quoted)
    if coded is None or _rows_of_empty_cells(coded) or _longest_cell(coded) > csv.field_size_limit():
        return None
    return coded


def _utf8_start(data: bytes) -> tuple[bytes, str] | None:
    """The file's bytes after a UTF-8 byte-order mark, and its delimiter, found from the first 64 KiB
    alone (as `_delimiter` finds it in the decoded text); None when that start is not UTF-8, holds no
    whole filled line, or the file has quotes or a second byte-order mark: the file is then decoded
    whole. Whether the rest is UTF-8 is left to the reader, which refuses text that is not."""
    body = data[len(_UTF8_BOM):] if data.startswith(_UTF8_BOM) else data
    if not body or b'"' in body or body.startswith(_UTF8_BOM):
        return None
    prefix = body[:1 << 16]
    whole = len(prefix) == len(body)
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(prefix, final=whole)
    except UnicodeDecodeError:
        return None
    lines = text.splitlines()
    line = next((line for line in (lines if whole else lines[:-1]) if line.strip()), None)
    return None if line is None else (body, _line_delimiter(line))


_UTF8_BOM = b"\xef\xbb\xbf"


def _quoted_first_row_width(data: bytes, delimiter: str) -> int:
    """Cells in the first row of `data`, whose first line is a whole record (quotes read as csv.reader)."""
    end = data.find(b"\n")
    line = (data if end < 0 else data[:end]).decode("utf-8", errors="replace").rstrip("\r")
    return len(next(csv.reader([line], delimiter=delimiter), []))


def _read_unquoted_coded(data: bytes | Path, delimiter: str, width: int, quoted: bool = False
                         ) -> list[CodedCells] | None:
    """Every cell as CodedCells (columns 0..width-1) read by pyarrow's CSV reader, or None when it
    refuses the data (a row with another number of cells, an empty line). `quoted`: fields in double
    quotes (a doubled quote inside one), for data whose lines are whole records (no line break quoted).

    The reader encodes each column as a dictionary while it parses (each distinct string stored
    once), so no Python object is made per cell: the cost grows with the distinct strings.
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    if isinstance(data, bytes) and data.startswith(_UTF8_BOM):  # the reader would drop it; csv.reader
        return None  # keeps it in the first cell (a file read by path: its caller drops it too)
    names = [f"c{position}" for position in range(width)]
    options = dict(
        read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char='"' if quoted else False,
                                          double_quote=quoted,
                                          escape_char=False, newlines_in_values=False,
                                          ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.dictionary(pa.int32(), pa.string()) for name in names},
            null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    try:
        if not isinstance(data, bytes):  # a file: read a block at a time
            return _coded_batches(pa_csv.open_csv(str(data), **options), width)
        table = pa_csv.read_csv(pa.py_buffer(data), **options)
    except (pa.ArrowException, ValueError):
        return None
    columns = []
    for name in names:  # each column's Arrow chunks freed once made CodedCells
        columns.append(_coded_cells(table.column(name)))
        table = table.drop_columns([name])
    return columns


def _code_type(size: int) -> type:
    """The smallest signed integer type holding codes 0..size-1 (and -1)."""
    return np.int8 if size < 2**7 else np.int16 if size < 2**15 else np.int32


def _coded_batches(reader, width: int) -> list[CodedCells]:
    """The columns of a streaming CSV reader's dictionary-coded batches as CodedCells: each batch's
    codes turned into codes of the column's distinct strings in order of first appearance (as
    `unify_dictionaries` numbers them), kept in the smallest integer type, so that no Arrow table of
    the whole file is held (a batch's work on its distinct strings only)."""
    known: list[dict[str, int]] = [{} for _ in range(width)]
    parts: list[list[np.ndarray]] = [[] for _ in range(width)]
    for batch in reader:
        for position in range(width):
            column, seen = batch.column(position), known[position]
            local = column.dictionary.to_pylist()
            mapping = np.fromiter((seen.setdefault(v, len(seen)) for v in local), dtype=np.int32,
                                  count=len(local))
            codes = mapping.take(column.indices.to_numpy(zero_copy_only=False))
            parts[position].append(codes.astype(_code_type(len(seen)), copy=False))
    columns = []
    for position in range(width):
        uniques = np.array(list(known[position]), dtype=object)
        kind = _code_type(len(uniques))
        codes = (np.concatenate(parts[position]).astype(kind, copy=False) if parts[position]
                 else np.zeros(0, kind))
        parts[position] = []
        columns.append(CodedCells(codes, uniques, blank_mask(uniques)))
    return columns


_BLANK_RE2 = f"^[{re2_class(PY_WHITESPACE)}]*$"  # blank: whitespace only (`str.isspace`) or empty


def _coded_cells(column) -> CodedCells:
    """A dictionary-encoded pyarrow column (one dictionary per chunk) as CodedCells, with the blank
    strings among its distinct strings found by pyarrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.num_chunks == 0:
        return CodedCells(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=object))
    merged = column.unify_dictionaries().combine_chunks() if column.num_chunks > 1 else column.chunk(0)
    if isinstance(merged, pa.ChunkedArray):  # pyarrow versions differ in what combine_chunks gives
        merged = merged.chunk(0)
    kind = _code_type(len(merged.dictionary))  # codes in the smallest integer type that holds them
    codes = merged.indices.to_numpy(zero_copy_only=False).astype(kind, copy=False)
    blank = pc.match_substring_regex(merged.dictionary, _BLANK_RE2).to_numpy(zero_copy_only=False)
    return CodedCells(codes, merged.dictionary.to_numpy(zero_copy_only=False).astype(object, copy=False),
                      blank.astype(bool))


def _rows_of_empty_cells(columns: list[CodedCells]) -> bool:
    """True when some row has only empty strings (in every column)."""
    empty = None
    for cells in columns:
        where = np.flatnonzero(cells.blank_uniques)  # few distinct blank strings: compare those only
        codes = [code for code in where.tolist() if cells.uniques[code] == ""]
        if not codes:
            return False
        hit = cells.codes == codes[0]
        empty = hit if empty is None else empty & hit
        if not empty.any():
            return False
    return bool(empty is not None and empty.any())


def _longest_cell(columns: list[CodedCells]) -> int:
    """Characters in the longest cell."""
    return max((max(map(len, cells.uniques), default=0) for cells in columns), default=0)


def _read_unquoted(data: bytes, delimiter: str, width: int) -> pd.DataFrame | None:
    """Every cell as a string (columns 0..width-1), or None when the C parser refuses the data."""
    try:
        return pd.read_csv(
            io.BytesIO(data), encoding="utf-8", sep=delimiter, header=None, names=range(width), index_col=False,
            dtype=str, na_filter=False, keep_default_na=False, skip_blank_lines=False,
            quoting=csv.QUOTE_NONE, engine="c", low_memory=False,
        )
    except (ValueError, pd.errors.ParserError):  # a longer row, EmptyDataError, ...: all ValueErrors
        return None


def _longest_line(data: bytes) -> int:
    """Bytes in the longest stretch between two \\n: no row (rows also end at \\r) is longer."""
    if len(data) <= csv.field_size_limit():
        return len(data)
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    return int(np.diff(ends, prepend=-1, append=len(data)).max()) - 1


def _csv_row_count(data: bytes) -> int:
    """Rows csv.reader makes of quote-free `data`: one per \\n, \\r\\n or lone \\r, one more for a last
    row without a line break."""
    breaks = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    return breaks + (0 if data.endswith((b"\n", b"\r")) else 1)


def _csv_row_lengths(data: bytes, delimiter: str) -> np.ndarray | None:
    """Number of cells csv.reader gives for each row of quote-free UTF-8 `data`; None if a row is too long.

    csv.reader ends a row at \\r\\n, \\r or \\n (a break at the very end opens no new row), gives []
    for an empty row and n + 1 cells for a row holding n delimiters. The delimiter and the line breaks
    are ASCII, so they are counted on the bytes (no UTF-8 sequence contains an ASCII byte).
    """
    octets = np.frombuffer(data, dtype=np.uint8)
    line_feed = octets == ord("\n")
    carriage_return = octets == ord("\r")
    crlf = np.zeros(len(octets), dtype=bool)
    crlf[1:] = line_feed[1:] & carriage_return[:-1]  # the \\n of a \\r\\n pair
    lone_cr = carriage_return.copy()
    lone_cr[:-1] &= ~line_feed[1:]
    breaks = np.flatnonzero(line_feed | lone_cr)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.append(breaks - crlf[breaks], len(octets))  # a row's text stops before its \\r\\n
    if len(breaks) and breaks[-1] == len(octets) - 1:  # nothing after the last break: no row there
        starts, ends = starts[:-1], ends[:-1]
    sizes = ends - starts
    if sizes.max(initial=0) > csv.field_size_limit():  # bytes >= characters: a safe bound
        return None
    delimiters = np.flatnonzero(octets == ord(delimiter))
    counts = np.searchsorted(delimiters, ends) - np.searchsorted(delimiters, starts)
    return np.where(sizes > 0, counts + 1, 0)


def _table_map(column_map: ColumnMap | None, table: Table) -> dict[str, tuple[str, str]] | None:
    return None if column_map is None else column_map.get(table.name, {})


def read_csv_file(path: Path, table: Table, column_map: ColumnMap | None = None) -> RawTable:
    """Read one CSV table as Russian-locale Excel writes it, or as any plain CSV."""
    def unreadable(reason: str) -> RawTable:
        finding = Finding("error", table.name, path.name, None, None, None, None,
                          f"cannot be read as a CSV file ({reason})", "stop")
        return RawTable(table, path.name, pd.DataFrame(columns=["_row"]), [finding])

    with open(path, "rb") as handle:  # raw files are only ever opened for reading
        data = handle.read()
    if b"\x00" in data:
        return unreadable("it holds NUL bytes: a binary file, or UTF-16 text; save it as CSV UTF-8")
    start = _utf8_start(data)
    coded = None if start is None else _coded_csv_columns(*start)
    if coded is not None:  # UTF-8 read without decoding the text in Python
        columns: tuple | None = (coded, len(coded[0]))
        encoding, delimiter = "utf-8", start[1]
    else:
        try:
            text, encoding = _decode(data)
        except UnicodeDecodeError:
            return unreadable("neither UTF-8 nor cp1251 text; save it as CSV UTF-8")
        delimiter = _delimiter(text)
        # the file's bytes are the text's UTF-8 when it was decoded as UTF-8 (strict decoding round-trips)
        utf8 = data[3:] if encoding == "utf-8-sig" else data if encoding == "utf-8" else None
        columns = _unquoted_csv_columns(text, delimiter, utf8)
    if columns is not None:
        raw = categorical_table(columns_to_table(*columns, table, path.name, mapped=_table_map(column_map, table)))
    else:
        try:
            rows = [tuple(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
        except csv.Error as error:
            return unreadable(str(error))
        raw = categorical_table(rows_to_table(rows, table, path.name, mapped=_table_map(column_map, table)))
    if encoding == "cp1251":
        raw.findings.append(
            Finding("correction", table.name, path.name, None, None, None, None,
                    "file encoded in cp1251 (Windows Cyrillic), decoded", "decoded")
        )
    if delimiter != ",":
        name = {";": "semicolon", "\t": "tab"}[delimiter]
        raw.findings.append(
            Finding("correction", table.name, path.name, None, None, None, None,
                    f"{name}-delimited CSV", "read")
        )
    return raw


def read_csv_directory(path: Path, column_map: ColumnMap | None = None) -> tuple[dict[str, RawTable], list[Finding]]:
    """Read every contract table from `<table>.csv` files in a directory."""
    tables: dict[str, RawTable] = {}
    findings: list[Finding] = []
    for file in sorted(path.iterdir()):
        if file.suffix.lower() != ".csv" or not file.is_file():
            continue
        table = _table_for_name(file.stem)
        if table is None:
            continue
        if table.name in tables:
            findings.append(
                Finding("error", table.name, file.name, None, None, None, None,
                        f"a second file for table '{table.name}' ({tables[table.name].source})", "stop")
            )
            continue
        tables[table.name] = read_csv_file(file, table, column_map)
    return tables, findings


def read_registry_export(path: str | Path, column_map: Mapping[str, Any] | None = None,
                         raw_format: str = "contract", redcap_dictionary: str | Path | None = None,
                         ) -> tuple[dict[str, RawTable], list[Finding]]:
    """Read a registry export (.xlsx workbook or CSV directory); missing tables are errors.

    `column_map` is the config key of that name (table -> {header: contract column}); a map that
    cannot be applied is reported as errors before anything is read. With `raw_format` "redcap",
    `path` is a REDCap "Export Records" CSV read through its data dictionary `redcap_dictionary`
    (`ino_study.records.redcap`); a column map does not apply to it.
    """
    if raw_format == "redcap":
        from ino_study.records.redcap import read_redcap_export

        return read_redcap_export(path, redcap_dictionary)
    problems = column_map_problems(column_map)
    if problems:
        return {}, [Finding("error", table or "-", f"config key column_map{'' if table is None else '.' + table}",
                            None, None, None, None, text, "stop") for table, text in problems]
    resolved = resolve_column_map(column_map)
    path = Path(path)
    if not path.exists():
        finding = Finding("error", "-", str(path), None, None, None, None, "the raw data path does not exist", "stop")
        return {}, [finding]
    if path.is_dir():
        tables, findings = read_csv_directory(path, resolved)
        where = f"directory {path.name}"
    elif path.suffix.lower() in {".xlsx", ".xlsm"}:
        tables, findings = read_workbook(path, resolved)
        where = path.name
    else:
        finding = Finding("error", "-", path.name, None, None, None, None,
                          "raw data must be an .xlsx workbook or a directory of <table>.csv files", "stop")
        return {}, [finding]
    for table in TABLES:
        if table.name not in tables:
            findings.append(
                Finding("error", table.name, where, None, None, None, None,
                        f"table '{table.name}' is missing (a sheet or file named '{table.name}')", "stop")
            )
    for raw in tables.values():
        findings.extend(raw.findings)
    return tables, findings
