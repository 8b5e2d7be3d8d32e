"""The fast CSV writer (outputs.io.csv_text) writes exactly the bytes pandas' to_csv writes.

Reference: pandas `DataFrame.to_csv(index=False, float_format="%.6g", lineterminator="\n")` after
`_csv_ready` (ISO dates), which is what write_csv used for every frame before; property-tested on
random frames of every column type csv_text covers, with the awkward values (NaN, NA, NaT, inf,
-0.0, empty strings, commas, quotes, line breaks, Cyrillic).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ino_study.outputs.io import FLOAT_FORMAT, _csv_ready, csv_text, write_csv


def pandas_csv(frame: pd.DataFrame) -> str:
    return _csv_ready(frame).to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


TEXT = st.one_of(st.none(), st.just(float("nan")), st.sampled_from(["", "a,b", 'say "hi"', "line\nbreak", "cr\rhere",
                                                                     "Гепатотоксичность", " padded ", "plain"]),
                 st.text(max_size=8))
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e-7, 123456.7, 0.1]))


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(min_value=0, max_value=12))
    def column(kind: str):
        if kind == "bool":
            return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        if kind == "boolean":
            return pd.Series(draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)), dtype="boolean")
        if kind == "int":
            return pd.Series(draw(st.lists(st.integers(-10**12, 10**12), min_size=n, max_size=n)), dtype="int64")
        if kind == "Int64":
            return pd.Series(draw(st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6)), min_size=n, max_size=n)),
                             dtype="Int64")
        if kind == "float":
            return pd.Series(draw(st.lists(FLOATS, min_size=n, max_size=n)), dtype="float64")
        if kind == "date":
            days = draw(st.lists(st.one_of(st.none(), st.integers(-30000, 30000)), min_size=n, max_size=n))
            return pd.Series([pd.NaT if d is None else pd.Timestamp("2000-01-01") + pd.Timedelta(days=d) for d in days],
                             dtype="datetime64[ns]")
        if kind == "category":  # categorical codes of text (unused categories too), missing values
            values = draw(st.lists(st.one_of(st.none(), st.sampled_from(["x", "a,b", 'q"', "Ж", ""])), min_size=n,
                                   max_size=n))
            return pd.Series(pd.Categorical(values, categories=["x", "a,b", 'q"', "Ж", "", "unused"]))
        if kind == "string":  # pandas' string dtype
            return pd.Series(draw(st.lists(st.one_of(st.none(), TEXT.filter(lambda v: isinstance(v, str))),
                                           min_size=n, max_size=n)), dtype="string")
        return pd.Series(draw(st.lists(TEXT, min_size=n, max_size=n)), dtype=object)
    kinds = draw(st.lists(st.sampled_from(["bool", "boolean", "int", "Int64", "float", "date", "text", "category",
                                           "string"]),
                          min_size=2, max_size=6))
    names = draw(st.lists(st.sampled_from(["id", "a,b", 'q"x', "AVAL", "ДАТА", "x y", "CNSR", "z"]),
                          min_size=len(kinds), max_size=len(kinds), unique=True))
    return pd.DataFrame({name: column(kind) for name, kind in zip(names, kinds)})


@settings(max_examples=300, deadline=None)
@given(frames(), st.integers(min_value=1, max_value=5))
def test_csv_text_is_byte_identical_to_pandas(frame, rows):
    """Also in blocks of a few rows (write_csv puts 50,000 together at a time)."""
    assert csv_text(frame) == pandas_csv(frame)
    assert csv_text(frame, rows) == pandas_csv(frame)


def test_frames_it_does_not_cover_go_to_pandas(tmp_path):
    mixed = pd.DataFrame({"a": [1, "x"], "b": [0.5, 1.5]})  # numbers inside a text column
    one_column = pd.DataFrame({"a": ["", "x"]})  # the csv module quotes a lone empty field
    categorical = pd.DataFrame({"a": pd.Categorical([1, 2]), "b": [1, 2]})  # categories not text
    for frame in (mixed, one_column, categorical):
        assert csv_text(frame) is None
        write_csv(frame, tmp_path / "out.csv")
        assert (tmp_path / "out.csv").read_text(encoding="utf-8") == pandas_csv(frame)


def test_large_analysis_like_frame_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    n = 5000
    frame = pd.DataFrame({
        "patient_id": [f"P{i:06d}" for i in range(n)],
        "AVAL": rng.exponential(12, n), "CNSR": rng.integers(0, 2, n),
        "ADT": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
        "EVNTDESC": rng.choice(["death", "relapse, marrow", None], n),
    })
    write_csv(frame, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == pandas_csv(frame)
    back = pd.read_csv(tmp_path / "out.csv")
    assert len(back) == n and back["CNSR"].tolist() == frame["CNSR"].tolist()
