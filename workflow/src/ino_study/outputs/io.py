"""Deterministic writing of tables and JSON: same inputs, byte-identical files.

Floats are written with 6 significant digits, dates as ISO yyyy-mm-dd, rows in the order the
caller sorted them, no index, no timestamps. Files are written to a temporary name and renamed, so
an interrupted run never leaves a half-written file under results/.
"""

from __future__ import annotations

import datetime as dt
import errno
import glob
import io
import json
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable, Collection, Mapping

import numpy as np
import pandas as pd

FLOAT_FORMAT = "%.6g"

JSON_DIGITS = 6


class OutputWriteError(OSError):
    """A result file could not be written (full disk, no permission, read-only folder)."""


#: Errors that mean "the results folder cannot take this file", explained to the user as such.
WRITE_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
                errno.EFBIG: "the file is larger than allowed (disk full or file-size limit)",
                errno.EACCES: "permission denied", errno.EPERM: "operation not permitted (read-only or immutable)",
                errno.EROFS: "the file system is read-only"}


def _errno_from_message(message: str) -> int | None:
    for code in WRITE_ERRNOS:
        if os.strerror(code) in message:
            return code
    return None


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Write through `write(tmp_path)` into a temporary file in the same folder, then rename.

    A failure leaves no partial file behind; a full disk or an unwritable folder raises
    `OutputWriteError` with a message that says which file and why. A partial file left by a
    writer that was killed (kill -9, power cut) is removed the next time the same file is written.
    """
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f".{glob.escape(path.name)}.*.part"):
            stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
        write(Path(tmp))
        os.replace(tmp, path)
    except OSError as error:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        code = error.errno or _errno_from_message(str(error))  # pyarrow's IO errors carry no errno
        if code in WRITE_ERRNOS:
            raise OutputWriteError(
                code,
                f"cannot write {path}: {WRITE_ERRNOS[code]}. Free disk space or make the results "
                "folder writable, then rerun: finished steps are kept.",
            ) from error
        raise
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d").where(out[column].notna(), "")
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """CSV with fixed float formatting and ISO dates.

    Frames of plain column types are formatted column by column and joined here (`csv_text`), in
    blocks of CSV_CHUNK_ROWS rows so that memory stays bounded: pandas' writer formats cell by cell,
    which took 13 s for the four analysis datasets of 100,000 patients. The bytes are the same as
    pandas' `to_csv` (tests/test_outputs_io.py compares them on random frames); frames with other
    column types are written by pandas.
    """
    if not _csv_covered(frame):
        ready = _csv_ready(frame)
        atomic_write(path, lambda tmp: ready.to_csv(tmp, index=False, float_format=FLOAT_FORMAT,
                                                     lineterminator="\n"))
        return

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            for block in _csv_blocks(frame):
                handle.write(block)

    atomic_write(path, write)


#: Rows put together at a time by write_csv (a block of the analysis dataset adsl, 57 columns, takes an
#: index array of 50,000 x 114 x 8 bytes = 46 MB).
CSV_CHUNK_ROWS = 50_000

#: What makes the csv module quote a field (QUOTE_MINIMAL, lineterminator "\n" as write_csv passes):
#: the delimiter, the quote character and the line terminator; a lone "\r" is written as it is.
_CSV_SPECIAL = (",", '"', "\n")


def _csv_field(value: str) -> str:
    """One field as the csv module writes it with QUOTE_MINIMAL: quoted if it holds a delimiter,
    a quote or a line feed, with inner quotes doubled."""
    if any(special in value for special in _CSV_SPECIAL):
        return '"' + value.replace('"', '""') + '"'
    return value


def _text_column(values: list[str]) -> list[str]:
    """Quote the fields that need it (checked on the joined column first: usually none do)."""
    joined = "\x00".join(values)
    if any(special in joined for special in _CSV_SPECIAL):
        return [_csv_field(v) for v in values]
    return values


def _is_text_categorical(dtype: Any) -> bool:
    return isinstance(dtype, pd.CategoricalDtype) and all(isinstance(c, str) for c in dtype.categories)


def _csv_covered(frame: pd.DataFrame) -> bool:
    """True if `_column_text` renders every column exactly as pandas would: at least two uniquely
    named columns (the csv module quotes a lone empty field), each bool, boolean, integer, float,
    naive datetime64, text (pandas' string dtype, or object holding only text and missing values),
    or categorical of text."""
    if len(frame.columns) < 2 or frame.columns.duplicated().any() or not all(isinstance(c, str) for c in frame.columns):
        return False
    for name in frame.columns:
        dtype = frame[name].dtype
        if dtype == object:  # only str and missing values (pandas' C type inference)
            if pd.api.types.infer_dtype(frame[name], skipna=True) not in ("string", "empty"):
                return False
        elif not (dtype == bool or dtype == "boolean" or pd.api.types.is_integer_dtype(dtype)
                  or dtype in (np.float64, np.float32) or (isinstance(dtype, np.dtype) and dtype.kind == "M")
                  or isinstance(dtype, pd.StringDtype) or _is_text_categorical(dtype)):
            return False
    return True


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of `keys` (integers: pd.factorize, linear time)."""
    codes, distinct = pd.factorize(keys, use_na_sentinel=False)
    return codes, np.asarray(distinct)


def _column_text(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """The fields pandas' `to_csv(float_format=FLOAT_FORMAT, na_rep="")` writes for a column of a
    type `_csv_covered` accepts, as (codes, texts): field i is texts[codes[i]].

    Each distinct value is formatted once (floats and dates by their bits, so -0.0 and 0.0 stay
    apart); a column of 100,000 values holds a few thousand distinct ones at most, text aside.
    """
    dtype = column.dtype
    if dtype == bool:
        return column.to_numpy().astype(np.int8), ["False", "True"]
    if dtype == "boolean":
        missing = column.isna().to_numpy()
        codes = column.fillna(False).to_numpy(bool).astype(np.int8)
        codes[missing] = 2
        return codes, ["False", "True", ""]
    if pd.api.types.is_integer_dtype(dtype):  # numpy or nullable integers
        missing = column.isna().to_numpy()
        codes, distinct = _distinct(column.fillna(0).to_numpy("int64"))
        codes[missing] = len(distinct)
        return codes, distinct.astype(str).tolist() + [""]
    if dtype in (np.float64, np.float32):
        values = np.ascontiguousarray(column.to_numpy(np.float64))
        codes, distinct = _distinct(values.view(np.int64))
        return codes, ["" if v != v else FLOAT_FORMAT % v for v in distinct.view(np.float64).tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind == "M":  # naive datetime64
        values = np.ascontiguousarray(column.to_numpy())
        codes, distinct = _distinct(values.view(np.int64))
        texts = np.datetime_as_string(distinct.view(values.dtype), unit="D").astype(object)
        texts[np.isnat(distinct.view(values.dtype))] = ""
        return codes, texts.tolist()
    if isinstance(dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        codes[codes < 0] = len(dtype.categories)
        return codes, [_csv_field(c) for c in dtype.categories] + [""]
    codes, distinct = pd.factorize(column.to_numpy(object))  # text; missing values coded -1
    codes[codes < 0] = len(distinct)
    return codes, _text_column(distinct.tolist()) + [""]


def _csv_blocks(frame: pd.DataFrame, rows: int = CSV_CHUNK_ROWS):
    """The header line, then the rows in blocks of `rows`, as UTF-8 bytes ("\n" line ends).

    Each column is formatted once (`_column_text`: codes into its distinct texts). The texts of all
    columns and the separators go into one pyarrow string array, and a block is one `take` from it
    (field, comma, field, ..., line end for each row): its data buffer is the block's bytes. No
    Python runs per row or per cell.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    yield (",".join(_csv_field(name) for name in frame.columns) + "\n").encode("utf-8")
    columns = [_column_text(frame[name]) for name in frame.columns]
    pieces: list[str] = []
    bases = []
    for _, texts in columns:
        bases.append(len(pieces))
        pieces += texts
    comma, newline = len(pieces), len(pieces) + 1
    pieces = pa.array(pieces + [",", "\n"], type=pa.large_string())
    width = 2 * len(columns)
    for start in range(0, len(frame), rows):
        stop = min(start + rows, len(frame))
        index = np.full((stop - start, width), comma, dtype=np.int64)
        for position, ((codes, _), base) in enumerate(zip(columns, bases)):
            index[:, 2 * position] = codes[start:stop]
            index[:, 2 * position] += base
        index[:, -1] = newline
        block = pc.take(pieces, pa.array(index.ravel()))
        offsets = np.frombuffer(block.buffers()[1], dtype=np.int64)[block.offset:block.offset + len(block) + 1]
        yield block.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def csv_text(frame: pd.DataFrame, rows: int = CSV_CHUNK_ROWS) -> str | None:
    """The whole CSV as write_csv writes it, or None for a frame it leaves to pandas."""
    return b"".join(_csv_blocks(frame, rows)).decode("utf-8") if _csv_covered(frame) else None


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def read_parquet(path: str | Path, columns: Collection[str] | None = None,
                 rows: Mapping[str, Collection[Any]] | None = None) -> pd.DataFrame:
    """The Parquet file as a data frame: all of it, or only those of `columns` the file has (in the
    file's order; a column absent from older datasets is simply not there), and only the `rows` whose
    value of each named column is one of those given ({"PARAMCD": ["OS", "EFS"]}, read even if not
    among `columns`).

    The selection is made by pyarrow before pandas makes a Python object of each text cell, which is
    most of a step's reading time at a million patients. The rows keep their order; their index is a
    fresh RangeIndex (not the positions in the file)."""
    if columns is None and not rows:
        return pd.read_parquet(path)
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = pq.read_schema(path).names
    wanted = None if columns is None else [n for n in names if n in set(columns) or n in (rows or {})]
    filters = [(column, "in", list(values)) for column, values in (rows or {}).items()] or None
    try:
        frame = pd.read_parquet(path, columns=wanted, filters=filters)
    except (pa.ArrowTypeError, pa.ArrowNotImplementedError, pa.ArrowInvalid):  # e.g. an empty column of no type
        frame = pd.read_parquet(path, columns=wanted)
        for column, values in (rows or {}).items():
            frame = frame[frame[column].isin(list(values))]
    if columns is not None and rows and any(column not in columns for column in rows):
        frame = frame[[n for n in frame.columns if n in set(columns)]]
    return frame.reset_index(drop=True) if rows else frame


def isin_text(values: pd.Series | np.ndarray, allowed: Any) -> np.ndarray:
    """``pd.Series(values).isin(allowed).to_numpy()`` for text (patient identifiers), hashed by pyarrow
    in C: pandas looks each row's Python string up in a table of Python strings, 2 s for the 5 million
    rows of adtte against a million patients. Anything but text without missing values on either side
    (numbers, None, NaN) goes to pandas, whose rules for those it keeps."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = np.asarray(values, dtype=object)
    allowed = np.asarray(allowed, dtype=object)
    try:
        array = pa.array(values, type=pa.string(), from_pandas=True)
        value_set = pa.array(allowed, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = value_set = None
    if array is None or array.null_count or value_set.null_count:
        return pd.Series(values, dtype=object).isin(allowed).to_numpy()
    return pc.is_in(array, value_set=value_set).to_numpy(zero_copy_only=False)


def sorted_distinct_text(values: pd.Series | np.ndarray) -> np.ndarray:
    """``np.sort(pd.unique(values))`` of text, as an object array: the distinct values in code-point order
    (as Python compares str), sorted in C as fixed-width Unicode rather than by Python comparisons."""
    distinct = pd.unique(np.asarray(values, dtype=object))
    if pd.api.types.infer_dtype(distinct, skipna=False) != "string" or "\x00" in "".join(distinct):
        return np.sort(distinct)  # not all text, or a NUL character (fixed-width Unicode drops trailing ones)
    return distinct[np.argsort(distinct.astype(str), kind="stable")]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else round(value, JSON_DIGITS)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def write_json(data: Any, path: str | Path) -> None:
    """Pretty JSON, keys in the order given, floats rounded to 6 decimals, NaN as null."""
    text = json.dumps(_jsonable(data), indent=2, ensure_ascii=False) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_text(text: str, path: str | Path) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_zip_fixed_times(buffer: io.BytesIO, path: str | Path, when: dt.datetime) -> None:
    """Copy a zip (an .xlsx or .docx in memory) with fixed entry timestamps and permissions, entries in
    their original order: the same content gives byte-identical files."""
    buffer.seek(0)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o600 << 16
                dst.writestr(entry, src.read(info.filename))

    atomic_write(path, write)
