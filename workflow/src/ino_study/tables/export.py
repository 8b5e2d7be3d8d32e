"""Deterministic table files: Markdown, one XLSX with a sheet per table, one DOCX with a heading + table each.

XLSX and DOCX are zip files: both are written with fixed document properties (created/modified
dates, no author) and fixed zip-entry timestamps, so the same tables give byte-identical files.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ino_study.outputs.formats import (
    DEFAULT_PERCENT_DECIMALS, PERCENT_DECIMALS, is_p_column, is_percent_column, reader_cell,
)
from ino_study.outputs.language import catalogue, localise_text
from ino_study.outputs.io import write_text, write_zip_fixed_times

#: Columns of the centre's own identifiers and recorded terms: a term with no catalogue entry is shown as
#: the centre recorded it (like a centre's own label); identifiers are never translated.
ID_COLUMNS = ("patient_id",)
DATA_COLUMNS = ("term",)

FIXED_TIMESTAMP = dt.datetime(2023, 2, 1, 0, 0, 0)


def _cell(value: object) -> object:
    """A cell's value in XLSX: numbers stay numbers (6 significant digits), missing values empty."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else float(f"{value:.6g}")
    if hasattr(value, "item"):  # numpy scalar
        return _cell(value.item())
    return value


def percent_decimals(name: str) -> int:
    """Decimals of the percentages of table `name` (ino_study.outputs.formats.PERCENT_DECIMALS)."""
    return PERCENT_DECIMALS.get(name, DEFAULT_PERCENT_DECIMALS)


def header(column: object, language: str = "en") -> str:
    """A column heading in `language` (the reader tables' headings; the CSVs keep the machine names)."""
    return localise_text(str(column), language)


def reader_text(column: object, value: object, decimals: int, language: str = "en") -> object:
    """A cell as a reader sees it in `language`: numbers per ino_study.outputs.formats, texts through the
    catalogue (ino_study.outputs.language.localise_text); identifiers as they are."""
    cell = reader_cell(column, value, decimals, language)
    if language == "en" or not isinstance(value, str) or column in ID_COLUMNS:
        return cell
    if column in DATA_COLUMNS:
        return catalogue(language).get(cell, cell)
    return localise_text(cell, language)


def _cached(function: Callable[[object], object]) -> Callable[[object], object]:
    """`function` of one value, computed once per distinct value: a listing repeats few values in many
    rows. Values are told apart by type and, for floats, sign (1 == 1.0 == True, 0.0 == -0.0 as keys
    otherwise); NaN and unhashable values are computed each time."""
    cache: dict[object, object] = {}

    def cached(value: object) -> object:
        try:
            key = (type(value), value, math.copysign(1.0, value) if isinstance(value, float) else 0.0)
            return cache[key]
        except KeyError:
            cache[key] = function(value)
            return cache[key]
        except TypeError:  # unhashable
            return function(value)

    return cached


def _column_codes(frame: pd.DataFrame, index: int, cell: Callable[[object, object], object]
                  ) -> tuple[np.ndarray, list[object]]:
    """(codes, results): `cell(column, value)` of each distinct value of the frame's `index`-th column,
    and each row's position among them, so that row i's result is results[codes[i]].

    Columns of numbers, booleans, nullable integers or booleans, and text without missing values are
    told apart in C (floats by their bits, so -0.0 and 0.0 stay apart), each distinct value passed to
    `cell` as iterating the column gives it (a Python scalar; for nullable types numpy's, or pandas'
    NA). Any other column is gone through value by value, once per distinct value (`_cached`'s rule:
    told apart by type and a float's sign)."""
    name, column = frame.columns[index], frame.iloc[:, index]
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and (dtype.kind in "biu" or dtype == np.float64):
        values = np.ascontiguousarray(column.to_numpy())
        codes, distinct = pd.factorize(values.view(np.int64) if dtype == np.float64 else values)
        seen = np.asarray(distinct).view(np.float64) if dtype == np.float64 else np.asarray(distinct)
        return codes, [cell(name, value) for value in seen.tolist()]
    if isinstance(dtype, pd.BooleanDtype) or (pd.api.types.is_extension_array_dtype(dtype)
                                               and pd.api.types.is_integer_dtype(dtype)):  # nullable
        codes, distinct = pd.factorize(column.array, use_na_sentinel=False)
        return codes, [cell(name, value) for value in distinct]
    if dtype == object and pd.api.types.infer_dtype(column, skipna=False) == "string":
        codes, distinct = pd.factorize(column.to_numpy())
        return codes, [cell(name, value) for value in distinct.tolist()]
    keys: dict[object, int] = {}
    results: list[object] = []
    codes = np.empty(len(column), dtype=np.int64)
    for row, value in enumerate(column):
        try:
            key = (type(value), value, math.copysign(1.0, value) if isinstance(value, float) else 0.0)
            code = keys.get(key)
            if code is None:
                code = keys[key] = len(results)
                results.append(cell(name, value))
        except TypeError:  # unhashable
            code = len(results)
            results.append(cell(name, value))
        codes[row] = code
    return codes, results


def _taken(codes: np.ndarray, results: list[object]) -> list[object]:
    """[results[code] for code in codes], taken in C."""
    table = np.empty(len(results), dtype=object)
    for position, result in enumerate(results):  # (not np.array(results): a tuple would become a row)
        table[position] = result
    return table[codes].tolist()


def _column_values(frame: pd.DataFrame, index: int, cell: Callable[[object, object], object]) -> list[object]:
    """`cell(column, value)` of each value of the frame's `index`-th column (the values
    `frame.itertuples` gives), computed once per distinct value (`_column_codes`)."""
    return _taken(*_column_codes(frame, index, cell))


def _rows(frame: pd.DataFrame, decimals: int, language: str = "en") -> list[list[str]]:
    """The cells as a reader sees them (ino_study.outputs.formats.reader_cell), as text."""
    columns = [_column_values(frame, index, lambda c, v: str(reader_text(c, v, decimals, language)))
               for index in range(len(frame.columns))]
    return [list(row) for row in zip(*columns)] if columns else [[] for _ in range(len(frame))]


def _joined_rows(columns: list[tuple[np.ndarray, list[str]]], n_rows: int, start: str, separator: str, end: str
                 ) -> str:
    """Every row as start + its texts joined by separator + end, one after another; each column given as
    (codes, texts) (`_column_codes`): put together by one pyarrow `take` (no Python per row or cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not n_rows:
        return ""
    pieces, bases = [start, separator, end], []
    for _, texts in columns:
        bases.append(len(pieces))
        pieces += texts
    width = 2 * len(columns) + 1 if columns else 2
    index = np.full((n_rows, width), 1, dtype=np.int64)  # separators between the cells
    index[:, 0], index[:, -1] = 0, 2
    for position, ((codes, _), base) in enumerate(zip(columns, bases)):
        index[:, 1 + 2 * position] = codes + base
    block = pc.take(pa.array(pieces, type=pa.large_string()), pa.array(index.ravel()))
    offsets = np.frombuffer(block.buffers()[1], dtype=np.int64)[block.offset:block.offset + len(block) + 1]
    return block.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]].decode("utf-8")


def to_markdown(frame: pd.DataFrame, title: str = "", note: str = "",
                decimals: int = DEFAULT_PERCENT_DECIMALS, language: str = "en") -> str:
    """A GitHub Markdown table (no index), optional heading and note; numbers per the convention of
    ino_study.outputs.formats (p-values, counts with separators, percentages with `decimals`)."""
    top = "| " + " | ".join(header(c, language) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = _joined_rows([_column_codes(frame, index, lambda c, v: str(reader_text(c, v, decimals, language))
                                       .replace("|", "\\|")) for index in range(len(frame.columns))],
                        len(frame), "| ", " | ", " |\n")
    parts = [f"# {title}\n" if title else "", "\n".join([top, rule]) + "\n" + body]
    if note:
        parts.append(f"\n{note}\n")
    return "\n".join(p for p in parts if p)


def write_markdown(frame: pd.DataFrame, path: str | Path, title: str = "", note: str = "",
                   decimals: int = DEFAULT_PERCENT_DECIMALS, language: str = "en") -> None:
    write_text(to_markdown(frame, title, note, decimals, language), path)


def _rezip(buffer: io.BytesIO, path: str | Path, when: dt.datetime = FIXED_TIMESTAMP) -> None:
    """Copy a zip with fixed entry timestamps and permissions, entries in their original order."""
    write_zip_fixed_times(buffer, path, when)


def sheet_name(name: str) -> str:
    return name[:31]


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: str | Path, language: str = "en") -> None:
    """One sheet per table (sheet name = table name), header in bold, fixed properties.

    openpyxl's write-only mode (its way to write large sheets) writes every row; each cell's value and
    number format is made once per distinct value of its column (`_column_values`). Numbers keep their
    formats (percentages with the table's decimals, integers with thousands separators)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook(write_only=True)
    for name, frame in tables.items():
        sheet = workbook.create_sheet(sheet_name(name))
        decimals = percent_decimals(name)
        percent_format = "0" if decimals == 0 else "0." + "0" * decimals

        def xlsx_cell(c: object, v: object) -> object:
            # p-values as text per the convention; numbers stay numbers, shown with separators/decimals
            value = (reader_cell(c, v, decimals, language) if is_p_column(c)
                     else reader_text(c, v, decimals, language) if isinstance(v, str) else _cell(v))
            if isinstance(value, float) and is_percent_column(c):
                number_format = percent_format
            elif isinstance(value, int) and not isinstance(value, bool):
                number_format = "#,##0"
            else:
                return value
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            return cell

        for index, column in enumerate(frame.columns, start=1):  # widths go before the rows
            codes, lengths = _column_codes(frame, index - 1,
                                           lambda c, v: len(str(reader_text(c, v, decimals, language))))
            width = max([len(header(column, language)), *lengths]) + 2
            sheet.column_dimensions[get_column_letter(index)].width = min(width, 60)
        top = []
        for column in frame.columns:
            cell = WriteOnlyCell(sheet, value=header(column, language))
            cell.font = Font(bold=True)
            top.append(cell)
        sheet.append(top)
        for row in zip(*[_column_values(frame, index, xlsx_cell) for index in range(len(frame.columns))]):
            sheet.append(list(row))
    workbook.properties.creator = None
    workbook.properties.lastModifiedBy = None
    workbook.properties.created = FIXED_TIMESTAMP
    workbook.properties.modified = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(workbook, archive).save()  # openpyxl's save_workbook would stamp 'modified' with now()
    _rezip(buffer, path)


#: Characters python-docx writes as elements of their own (tab, line break) rather than text.
_RUN_BREAKS = re.compile("[\t\r\n]")


def _cell_8pt(cell: Any, text: str) -> None:
    """`text` in a table cell in 8 pt, through python-docx (one paragraph with one run)."""
    from docx.shared import Pt

    cell.text = text
    for paragraph in cell.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(8)


def _template_row(document: Any, table: Any) -> tuple[Any, Any]:
    """(the table's w:tbl, a w:tr of 8 pt cells that python-docx built and that is taken out again):
    the row whose XML the listing's rows copy."""
    from docx.oxml.ns import qn

    for cell in table.add_row().cells:
        _cell_8pt(cell, "x")
    tbl = document.element.body.findall(qn("w:tbl"))[-1]
    template = tbl.findall(qn("w:tr"))[-1]
    tbl.remove(template)
    return tbl, template


def _add_rows(document: Any, table: Any, rows: list[list[str]]) -> None:
    """Append `rows` to `table`, the last table of `document` (python-docx), each cell's text in 8 pt,
    as `table.add_row()` and `cell.text = ...` would.

    python-docx builds each cell element by element (about 0.3 ms a cell: 16 s for the 53,000-row
    SOS/VOD listing of a million patients). Here the first row is built that way and its XML copied
    for the others, only the text of each copy's `w:t` replaced (removed for an empty cell); a row with
    a cell python-docx writes differently (a tab or line break) is built through python-docx. The XML
    is the same (tests/test_tables.py compares the two on awkward cells).
    """
    from docx.oxml.ns import qn

    if not rows:
        return
    tbl, template = _template_row(document, table)
    preserve = qn("xml:space")
    for row in rows:
        if any(_RUN_BREAKS.search(text) for text in row):
            for cell, text in zip(table.add_row().cells, row):
                _cell_8pt(cell, text)
            continue
        tr = copy.deepcopy(template)
        tbl.append(tr)
        for tc, text in zip(tr.findall(qn("w:tc")), row):
            run = tc[-1][-1]  # w:tc > w:p > w:r > (w:rPr, w:t)
            if not text:
                run.remove(run[-1])
                continue
            run[-1].text = text
            if len(text.strip()) < len(text):
                run[-1].set(preserve, "preserve")


def _add_column_rows(document: Any, table: Any, columns: list[tuple[np.ndarray, list[str]]], n_rows: int) -> None:
    """`_add_rows` of the rows given column by column as (codes, texts) (`_column_codes`), the same XML.

    Each column's cell is written once per distinct text, from the XML of one row built by python-docx
    (its `w:t` replaced, left out for an empty text); the rows are put together as text in C
    (`_joined_rows`) and parsed by lxml at once. A table with a text python-docx writes specially (a
    tab or a line break) goes through `_add_rows`."""
    from docx.oxml.parser import parse_xml
    from lxml import etree

    if not n_rows:
        return
    if not columns or any(_RUN_BREAKS.search(text) for _, texts in columns for text in texts):
        _add_rows(document, table, [list(row) for row in zip(*[_taken(*column) for column in columns])]
                  if columns else [[] for _ in range(n_rows)])
        return
    tbl, template = _template_row(document, table)
    xml = etree.tostring(template, encoding="unicode")
    start = xml.index(">") + 1  # the w:tr start tag, with the document's namespace declarations
    cells = list(re.finditer(r"<w:tc>.*?</w:tc>", xml, flags=re.S))
    if len(cells) != len(columns) or any(cell.group().count("<w:t>x</w:t>") != 1 for cell in cells):
        raise ValueError(f"unexpected row XML from python-docx: {xml[:200]!r}")
    pieces = []
    for cell, (codes, texts) in zip(cells, columns):
        before, after = cell.group().split("<w:t>x</w:t>")
        pieces.append((codes, [before + ("" if not text else (
            '<w:t xml:space="preserve">' if len(text.strip()) < len(text) else "<w:t>")
            + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</w:t>") + after
            for text in texts]))
    declaration = r'\s+xmlns(?::\w+)?="[^"]*"'  # the namespaces go on a wrapper, the rest of the tag stays
    row_tag = re.sub(declaration, "", xml[:start])
    rows = _joined_rows(pieces, n_rows, row_tag + xml[start:cells[0].start()], "", xml[cells[-1].end():])
    wrapper = "<w:tbl" + "".join(re.findall(declaration, xml[:start])) + ">"
    tbl.extend(list(parse_xml(wrapper + rows + "</w:tbl>")))


def write_docx(tables: Mapping[str, tuple[str, pd.DataFrame, str]], path: str | Path, language: str = "en") -> None:
    """One heading + table (+ note) per entry: {name: (title, frame, note)}; fixed core properties."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.add_heading(localise_text("Inotuzumab ozogamicin in children with R/R B-ALL: tables", language), level=0)
    for name, (title, frame, note) in tables.items():
        document.add_heading(title, level=1)
        table = document.add_table(rows=1, cols=len(frame.columns))
        table.style = "Table Grid"
        for cell, column in zip(table.rows[0].cells, frame.columns):
            cell.text = header(column, language)
            for run in cell.paragraphs[0].runs:
                run.font.bold = True
        for cell in table.rows[0].cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)
        decimals = percent_decimals(name)
        _add_column_rows(document, table, [_column_codes(frame, index, lambda c, v: str(reader_text(c, v, decimals,
                                                                                                 language)))
                                           for index in range(len(frame.columns))], len(frame))
        if note:
            document.add_paragraph(note)
    props = document.core_properties
    props.author = ""
    props.last_modified_by = ""
    props.created = FIXED_TIMESTAMP
    props.modified = FIXED_TIMESTAMP
    props.last_printed = FIXED_TIMESTAMP
    props.revision = 1
    props.title = localise_text("Tables", language)
    buffer = io.BytesIO()
    document.save(buffer)
    _rezip(buffer, path)
