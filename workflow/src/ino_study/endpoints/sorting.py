"""Integer sort keys for text columns, so that multi-column sorts compare numbers, not strings.

``DataFrame.sort_values`` on a text column orders the rows by the codes of
``pd.factorize(column, sort=True)`` (missing values last); sorting on those codes instead gives the
same row order, and the codes can be computed once and reused.  At 100,000 patients each sort on
the patient id string cost 0.1-0.3 s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def sort_codes(values: pd.Series) -> np.ndarray:
    """Each value's rank among the distinct values in sorted order; missing values rank last."""
    codes, uniques = pd.factorize(values)
    uniques = np.asarray(uniques)  # a Series' distinct values come back as an Index
    if uniques.dtype == object and pd.api.types.infer_dtype(uniques) == "string":
        # text: the distinct values ordered as fixed-width Unicode (code-point order, as Python compares
        # str), in C rather than by Python comparisons
        order = np.argsort(uniques.astype(str), kind="stable")
    else:
        order = np.argsort(pd.factorize(uniques, sort=True)[0], kind="stable")
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[order] = np.arange(len(uniques))
    return np.where(codes < 0, len(uniques), rank[np.maximum(codes, 0)] if len(uniques) else 0)


def in_order(*keys: np.ndarray) -> bool:
    """True when rows are already in ascending lexicographic order of the integer ``keys``.

    A stable sort of rows already in order changes nothing, so it can be skipped.
    """
    if len(keys[0]) < 2:
        return True
    tied = np.ones(len(keys[0]) - 1, dtype=bool)  # row pairs (i, i + 1) equal on every key so far
    for key in keys:
        if np.any(tied & (key[:-1] > key[1:])):
            return False
        tied &= key[:-1] == key[1:]
    return True


def join_patients(rows: pd.DataFrame, patients: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`rows` of the patients in `patients` (one row per patient_id), with `columns` of `patients` added.

    What ``rows.merge(patients[["patient_id", *columns]], on="patient_id", how="inner")`` gives (rows in
    their order, a fresh RangeIndex), by one hash lookup of the identifiers and a take per column, for
    `columns` that `rows` does not have (the merge would keep both, suffixed _x and _y).
    """
    index = pd.Index(patients["patient_id"])
    if not index.is_unique or not _same_kind(rows["patient_id"], patients["patient_id"]):
        # several rows per patient (the merge's many-to-one rules), or identifiers of different types
        # (text and numbers: the merge raises, or matches True with 1, where a lookup would find none)
        return rows.merge(patients[["patient_id", *columns]], on="patient_id", how="inner")
    position = index.get_indexer(rows["patient_id"])
    keep = position >= 0
    out = rows[keep].reset_index(drop=True) if not keep.all() else rows.reset_index(drop=True)
    taken = position[keep]
    for column in columns:  # Series.take keeps the column's type (nullable integers, booleans)
        out[column] = patients[column].take(taken).set_axis(out.index)
    return out


def date_key(dates: pd.Series) -> np.ndarray:
    """Integer sort key of a date column that sorts as ``sort_values`` does (missing dates last)."""
    values = dates.to_numpy().view(np.int64).copy()  # NaT is the smallest int64
    values[np.isnat(dates.to_numpy())] = np.iinfo(np.int64).max
    return values


def left_join(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """``left.merge(right, on="patient_id", how="left")`` for a `right` with one row per patient_id.

    The same rows, columns and types (a column of `right` missing for some rows takes pandas' missing
    value, integers becoming floats as in the merge), by one hash lookup of the identifiers (none when
    both tables list the same patients in the same order) and a take per column. Falls back to the
    merge when `right` repeats a patient, shares a column name with `left`, or its identifiers are of
    another type than `left`'s (text and numbers).
    """
    extra = [column for column in right.columns if column != "patient_id"]
    keys = pd.Index(right["patient_id"])
    if (not keys.is_unique or any(column in left.columns for column in extra)
            or not _same_kind(left["patient_id"], right["patient_id"])):
        return left.merge(right, on="patient_id", how="left")
    ids = left["patient_id"].to_numpy()
    if len(ids) == len(keys) and keys.equals(pd.Index(ids)):  # missing identifiers compare equal, as merge matches them
        position = np.arange(len(ids))
    else:
        position = keys.get_indexer(ids)
    # a shallow copy of `left` (its columns are not copied; setting a column replaces it, never writes
    # into the shared array) with `right`'s columns added
    out = left.copy(deep=False)
    out.index = pd.RangeIndex(len(out))
    for column in extra:
        values = right[column]
        out[column] = pd.api.extensions.take(values.to_numpy() if isinstance(values.dtype, np.dtype) else values.array,
                                             position, allow_fill=True)
    return out


def _same_kind(ids: pd.Series, other_ids: pd.Series) -> bool:
    """Whether a hash lookup of `ids` among `other_ids` gives what the merge gives: both columns of one
    type holding values of one kind (a lookup finds no "1" among 1s, where the merge raises, and keeps
    `ids`' type where the merge would make int64 and object keys object). A column with no identifier
    at all (empty, or every value missing) matches nothing either way."""
    kinds = {pd.api.types.infer_dtype(column, skipna=True) for column in (ids, other_ids)}
    return "empty" in kinds or (len(kinds) == 1 and ids.dtype == other_ids.dtype)


def taken_frame(frame: pd.DataFrame, columns: dict[str, str], rows: np.ndarray) -> pd.DataFrame:
    """A new frame of `frame`'s `columns` ({new name: column}) at positions `rows`, built once.

    What ``frame.take(rows)[list(columns.values())].rename(...).reset_index(drop=True)`` gives (the
    columns' types kept), without the intermediate frames' copies.
    """
    out = {}
    for name, column in columns.items():
        values = frame[column]
        out[name] = values.to_numpy()[rows] if isinstance(values.dtype, np.dtype) else values.array.take(rows)
    return pd.DataFrame(out, index=pd.RangeIndex(len(rows)), copy=False)  # fresh arrays: not copied into blocks
