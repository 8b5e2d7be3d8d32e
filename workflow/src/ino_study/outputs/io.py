"""Deterministic writing of tables and JSON: same inputs, byte-identical files.

Floats are written with 6 significant digits, dates as ISO yyyy-mm-dd, rows in the order the
caller sorted them, no index, no timestamps. Files are written to a temporary name and renamed, so
an interrupted run never leaves a half-written file under results/.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import json
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ino_study.outputs import staging as _staging

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
    `OutputWriteError` with a message that says which file and why.
    """
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = _staging.PARTIAL_DIR or path.parent
        staging.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=staging)
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

    Frames of plain column types are formatted column by column and joined here (`csv_text`):
    pandas' writer formats cell by cell, which took 13 s for the four analysis datasets of 100,000
    patients. The bytes are the same as pandas' `to_csv` (tests/test_outputs_io.py compares them on
    random frames); frames with other column types are written by pandas.
    """
    text = csv_text(frame)
    if text is None:
        ready = _csv_ready(frame)
        atomic_write(path, lambda tmp: ready.to_csv(tmp, index=False, float_format=FLOAT_FORMAT,
                                                     lineterminator="\n"))
        return
    atomic_write(path, lambda tmp: tmp.write_bytes(text.encode("utf-8")))


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


def _with_missing(text: np.ndarray, missing: np.ndarray) -> list[str]:
    out = text.astype(object)
    out[missing] = ""
    return out.tolist()


def _column_text(column: pd.Series) -> list[str] | None:
    """The fields pandas' `to_csv(float_format=FLOAT_FORMAT, na_rep="")` writes for `column`, or
    None for a type not covered here."""
    dtype = column.dtype
    missing = column.isna().to_numpy()
    if dtype == bool:
        return np.where(column.to_numpy(), "True", "False").tolist()
    if dtype == "boolean":
        return _with_missing(np.where(column.fillna(False).to_numpy(bool), "True", "False"), missing)
    if pd.api.types.is_integer_dtype(dtype):  # numpy or nullable integers
        return _with_missing(column.fillna(0).to_numpy("int64").astype(str), missing)
    if dtype in (np.float64, np.float32):
        return ["" if v != v else FLOAT_FORMAT % v for v in column.to_numpy(np.float64).tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind == "M":  # naive datetime64: ISO date
        return _with_missing(np.datetime_as_string(column.to_numpy(), unit="D"), missing)
    if dtype == object:
        values = column.tolist()
        if not all(isinstance(v, str) or v is None or (isinstance(v, float) and v != v) for v in values):
            return None
        return _text_column([v if isinstance(v, str) else "" for v in values])
    return None


def csv_text(frame: pd.DataFrame) -> str | None:
    """The whole CSV (header, rows, "\n" line ends) as pandas writes it, or None if a column's type
    is not covered (or the frame has one column: the csv module quotes a lone empty field)."""
    if len(frame.columns) < 2 or frame.columns.duplicated().any() or not all(isinstance(c, str) for c in frame.columns):
        return None
    columns = []
    for name in frame.columns:
        fields = _column_text(frame[name])
        if fields is None:
            return None
        columns.append(fields)
    header = ",".join(_csv_field(name) for name in frame.columns)
    return "\n".join([header, *map(",".join, zip(*columns))]) + "\n"


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def read_parquet(path: str | Path) -> pd.DataFrame:
    return pd.read_parquet(path)


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
