"""Issue #23: the columnar reading and cleaning give what the cell-by-cell rules give.

Each columnar shortcut of `ino_study.records` is checked against the plain Python rule it replaces
(the oracle written cell by cell here or kept in the package): the RE2 spellings of Python's
whitespace and of "already clean text", the blank cells found by pyarrow, pandas' factorisation
(blind to text after a NUL character), the first rows of each note, the per-patient dates, and the
CSV file read without decoding it in Python."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ino_study.records import clean, read
from ino_study.records.contract import TRANSPLANTS
from ino_study.records.parse import _CLEAN_TEXT, PY_WHITESPACE, clean_text_mask, factorize_exactly

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
tricky = st.text(st.sampled_from(list("ab#1 \t\n\r\x0b\x0c\x1c\x85\xa0\u2007\u2009\u200b\u2028\u3000\ufeffж\x00")),
                 max_size=8)


def test_python_whitespace_is_spelled_out_completely():
    assert PY_WHITESPACE == "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    assert all(re.fullmatch(r"\s", c) for c in PY_WHITESPACE)


@FAST
@given(st.lists(st.one_of(tricky, st.text(max_size=6)), max_size=20))
def test_clean_text_mask_is_the_regular_expression_cell_by_cell(texts):
    cells = np.array(texts, dtype=object)
    want = [bool(_CLEAN_TEXT.fullmatch(t)) and not t.startswith("#") for t in texts]
    assert clean_text_mask(cells).tolist() == want


@FAST
@given(st.lists(st.lists(st.one_of(tricky.filter(lambda t: not set(t) & set("\r\n;\x00")), st.just("")),
                         min_size=2, max_size=2), min_size=1, max_size=12))
def test_blank_cells_found_by_pyarrow_are_the_blank_cells(rows):
    data = "\n".join(";".join(row) for row in rows).encode()
    coded = read._read_unquoted_coded(data, ";", 2)
    if data.startswith(read._UTF8_BOM):  # declined: csv.reader keeps a leading byte-order mark
        assert coded is None
        return
    assert coded is not None
    for position, cells in enumerate(coded):
        assert [cells[i] for i in range(len(cells))] == [row[position] for row in rows]
        assert read.blank_mask(cells).tolist() == [read._is_blank(row[position]) for row in rows]


def test_factorize_exactly_keeps_text_after_a_nul_character_apart():
    cells = np.array(["a", "a\x00b", None, "", "\x00", "a"], dtype=object)
    codes, uniques = factorize_exactly(cells)
    assert codes.tolist() == [0, 1, -1, 2, 3, 0]
    assert uniques.tolist() == ["a", "a\x00b", "", "\x00"]
    codes, uniques = factorize_exactly(np.array(["x", None, "y", "x"], dtype=object))
    assert codes.tolist() == [0, -1, 1, 0] and uniques.tolist() == ["x", "y"]


@FAST
@given(st.lists(st.one_of(st.none(), st.sampled_from(["n1", "n2", "n3", "n4"])), max_size=60))
def test_first_rows_by_note_are_the_groups_cut_short(per_cell_notes):
    notes = pd.Series(per_cell_notes, dtype=object)
    rows = pd.Series(np.arange(10, 10 + len(per_cell_notes)), dtype=object)
    want = [(note, group[: clean.EXAMPLE_ROWS].tolist(), len(group)) for note, group in clean._rows_by_note(notes, rows)]
    codes, distinct = pd.factorize(notes.to_numpy(dtype=object), use_na_sentinel=True)
    distinct_notes = np.append(distinct.astype(object), None)
    got = clean._first_rows_by_note(distinct_notes, np.where(codes < 0, len(distinct), codes), rows.to_numpy())
    assert [(note, list(first), count) for note, first, count in got] == want


def test_first_rows_by_note_reach_past_the_first_block():
    """A note met only far down the table still gets its rows (the sorted prefix grows to reach it)."""
    notes = np.array(["common", "rare", None], dtype=object)
    codes = np.zeros(20_000, dtype=np.int64)
    codes[[15_000, 19_999]] = 1
    codes[100] = 2
    got = clean._first_rows_by_note(notes, codes, np.arange(20_000) + 2)
    assert [(note, list(first), count) for note, first, count in got] == [
        ("common", [2, 3, 4, 5, 6], 19_997), ("rare", [15_002, 20_001], 2)]


@FAST
@given(st.lists(st.tuples(st.integers(-1, 4), st.one_of(st.none(), st.integers(0, 3000))), max_size=40),
       st.sampled_from(["min", "max"]))
def test_per_patient_dates_are_the_groupby(rows, how):
    codes = np.array([code for code, _ in rows], dtype=np.int64)
    days = [None if day is None else pd.Timestamp("2015-01-01") + pd.Timedelta(days=day) for _, day in rows]
    dates = pd.Series(pd.to_datetime(pd.Series(days, dtype=object)), dtype="datetime64[ns]")
    frame = pd.DataFrame({"patient_id": pd.Series(codes).where(codes >= 0), "date": dates})
    want = getattr(frame.dropna(subset=["patient_id"]).groupby("patient_id")["date"], how)()
    got = clean._per_patient(codes, dates, clean.PatientCodes(5, 5), how)
    assert np.isnat(got[-1])
    for code in range(5):
        expected = want.get(float(code), pd.NaT)
        assert (pd.isna(expected) and np.isnat(got[code])) or pd.Timestamp(got[code]) == expected


def test_patient_codes_put_the_patients_first_and_code_orphans_and_missing_ids():
    tables = {"patients": pd.DataFrame({"patient_id": ["P2", "P1", "P2"]}),
              "follow_up": pd.DataFrame({"patient_id": ["P1", "X9", None, "X9"]})}
    coded, codes = clean.add_patient_codes(tables)
    assert coded["patients"][clean.PATIENT_CODE].tolist() == [0, 1, 0]
    assert coded["follow_up"][clean.PATIENT_CODE].tolist() == [1, 2, -1, 2]
    assert (codes.known, codes.size) == (2, 3)
    assert clean.PATIENT_CODE not in tables["patients"]  # the caller's frames are left as they were


@settings(max_examples=30, deadline=None)
@given(encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]), delimiter=st.sampled_from([";", ",", "\t"]),
       body=st.lists(st.lists(st.sampled_from(["INO-001", "ж", "", " ", "01.02.2020", "II", "x\xa0y"]),
                              min_size=3, max_size=3), min_size=1, max_size=5),
       blank_line=st.booleans())
def test_csv_read_without_decoding_is_the_csv_read_after_decoding(tmp_path_factory, encoding, delimiter, body,
                                                                  blank_line):
    folder = tmp_path_factory.mktemp("csv")
    lines = [delimiter.join(["patient_id", "date", "agvhd_grade"]), *(delimiter.join(row) for row in body)]
    if blank_line:
        lines.insert(1, "")
    path = folder / "transplants.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    fast = read.read_csv_file(path, TRANSPLANTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(read, "_utf8_start", lambda data: None)
        slow = read.read_csv_file(path, TRANSPLANTS)
    assert fast.findings == slow.findings
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
