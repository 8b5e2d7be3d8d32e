"""Property-based tests of ino_study.records.parse (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ino_study.records.parse import (
    MRD,
    PARSERS,
    ParseError,
    Parsed,
    parse_date,
    parse_integer,
    parse_mrd,
    parse_number,
    parse_series,
)
from ino_study.records.parse import (
    _clean_string, _clean_string_stepwise, _parse_cells, _parse_text_column, parse_column,
)

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Excel serial 61 is 1900-03-01; serials count from 1899-12-30 from then on.
EXCEL_EPOCH = dt.date(1899, 12, 30)
valid_dates = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 12, 31))


@FAST
@given(
    date=valid_dates,
    fmt=st.sampled_from(["%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%Y/%m/%d"]),
    pad=st.sampled_from(["", " ", "\xa0", "\u202f"]),
)
def test_formatted_date_round_trips(date: dt.date, fmt: str, pad: str) -> None:
    text = pad + date.strftime(fmt) + pad
    assert parse_date(text).value == date


@FAST
@given(date=valid_dates, unpadded=st.booleans())
def test_unpadded_day_first_date_round_trips(date: dt.date, unpadded: bool) -> None:
    text = f"{date.day}.{date.month}.{date.year}" if unpadded else date.strftime("%d.%m.%Y")
    parsed = parse_date(text)
    assert parsed == Parsed(date, None)


@FAST
@given(
    date=valid_dates,
    as_type=st.sampled_from([int, float, str]),
    time_fraction=st.floats(min_value=0, max_value=0.999, allow_nan=False),
)
def test_excel_serial_round_trips(date: dt.date, as_type: type, time_fraction: float) -> None:
    serial = (date - EXCEL_EPOCH).days
    assume(not 1900 <= serial <= 2100)  # a whole number 1900-2100 is rejected as a year alone
    raw: object = as_type(serial)
    if as_type is float:
        raw = serial + time_fraction
    parsed = parse_date(raw)
    assert parsed.value == date
    assert parsed.note is not None and "Excel serial date converted" in parsed.note


@FAST
@given(
    x=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    places=st.integers(min_value=0, max_value=6),
    comma=st.booleans(),
    percent=st.sampled_from(["", "%", " %"]),
    group=st.booleans(),
)
def test_formatted_number_round_trips(x: float, places: int, comma: bool, percent: str, group: bool) -> None:
    canonical = f"{x:.{places}f}"
    expected = float(canonical)
    text = f"{x:,.{places}f}".replace(",", " ") if group else canonical
    if comma:
        text = text.replace(".", ",")
    text += percent
    parsed = parse_number(text)
    assert parsed.value == expected
    if comma and places > 0:
        assert parsed.note is not None and "decimal comma" in parsed.note
    if percent:
        assert parsed.note is not None and "'%' sign removed" in parsed.note


@FAST
@given(n=st.integers(min_value=-10**12, max_value=10**12), comma=st.booleans(), zeros=st.integers(0, 3))
def test_formatted_integer_round_trips(n: int, comma: bool, zeros: int) -> None:
    text = str(n) + ((("," if comma else ".") + "0" * zeros) if zeros else "")
    assert parse_integer(text).value == n
    assert parse_integer(n).value == n
    assert parse_integer(float(n)).value == n


@FAST
@given(
    percent=st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False),
    qualifier=st.sampled_from(["", "<", ">", "< ", "> "]),
    comma=st.booleans(),
    space=st.sampled_from(["", " ", "\xa0"]),
)
def test_mrd_percent_round_trips(percent: Decimal, qualifier: str, comma: bool, space: str) -> None:
    number = f"{percent:f}"
    if comma:
        number = number.replace(".", ",")
    parsed = parse_mrd(f"{qualifier}{number}{space}%")
    assert parsed.value == MRD(float(percent), qualifier.strip() or "=", True, False)


@FAST
@given(
    mantissa=st.integers(min_value=1, max_value=9),
    exponent=st.integers(min_value=-7, max_value=-2),
    style=st.sampled_from(["{m}e{e}", "{m}E{e:03d}", "{m}x10{e}", "{m}×10^{e}", "{m}*10^{e}"]),
)
def test_mrd_fraction_converted_to_percent(mantissa: int, exponent: int, style: str) -> None:
    parsed = parse_mrd(style.format(m=mantissa, e=exponent))
    assert parsed.value is not None
    assert parsed.value.percent == float(Decimal(mantissa).scaleb(exponent + 2))
    assert parsed.note is not None and "fraction" in parsed.note


def _only_parse_errors(value: object) -> None:
    for kind, parser in PARSERS.items():
        try:
            parsed = parser(value)
        except ParseError as err:
            assert isinstance(err.reason, str) and err.reason, kind
            assert str(err) == err.reason
        else:
            assert isinstance(parsed, Parsed), kind
            assert parsed.note is None or (isinstance(parsed.note, str) and parsed.note), kind


@FAST
@given(st.text())
def test_parsers_raise_only_parse_error_on_text(text: str) -> None:
    _only_parse_errors(text)


messy_chars = st.sampled_from(list("0123456789.,-/ %<>eEx×^+−\xa0\u202fдаМЖ#NA!"))


@FAST
@given(st.text(messy_chars, max_size=14))
def test_parsers_raise_only_parse_error_on_messy_text(text: str) -> None:
    _only_parse_errors(text)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-10**500, max_value=10**500),
    st.floats(),
    st.text(max_size=10),
    st.datetimes(),
    st.dates(),
    st.decimals(),
    st.complex_numbers(),
    st.binary(max_size=5),
)


@FAST
@given(scalars)
def test_parsers_raise_only_parse_error_on_scalars(value: object) -> None:
    _only_parse_errors(value)


cells = st.one_of(
    st.sampled_from(
        ["1,5", "1.5", "12%", "01.02.2019", "31.02.2019", "43831", "да", "нет", "М", "Ж", "жив", "умер",
         "<0,01%", "neg", "н/д", "", "  ", "#N/A", "abc", "-", "1", "0", "2,0"]
    ),
    st.none(),
    st.just(float("nan")),
    st.booleans(),
    st.integers(min_value=-5, max_value=50000),
    st.floats(min_value=-5, max_value=50000, allow_nan=False),
    st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2110, 1, 1)),
    st.text(max_size=6),
)


def _elementwise(values: list[object], kind: str) -> tuple[list, list, list]:
    out: tuple[list, list, list] = ([], [], [])
    for v in values:
        try:
            parsed = PARSERS[kind](v)
        except ParseError as err:
            out[0].append(None)
            out[1].append(None)
            out[2].append(err.reason)
        else:
            out[0].append(parsed.value)
            out[1].append(parsed.note)
            out[2].append(None)
    return out


@FAST
@given(values=st.lists(cells, max_size=30), kind=st.sampled_from(sorted(PARSERS)))
def test_parse_series_agrees_with_elementwise(values: list[object], kind: str) -> None:
    index = pd.RangeIndex(100, 100 + len(values))
    series = pd.Series(values, index=index, dtype=object)
    got_values, got_notes, got_errors = parse_series(series, kind)
    expected = _elementwise(values, kind)
    for got, want in zip((got_values, got_notes, got_errors), expected):
        assert got.index.equals(index)
        assert got.tolist() == want


# ------------------------------------------------------------- fast paths agree with the general ones

text_cells = st.one_of(
    st.sampled_from(
        ["1,5", "1.5", "12%", "01.02.2019", "2019-02-01", "31.02.2019", "43831", "да", "нет", "М", "Ж", "жив",
         "умер", "<0,01%", "neg", "н/д", "", "  ", "\xa0", "#N/A", "#n/a", "abc", "-", "1", "0", "2,0", " SIM-1",
         "SIM-1", "SIM-1 ", "a\u200bb", "a  b", "a\tb", "1\u202f200,5"]
    ),
    st.text(st.sampled_from(list("0123456789.,-/ %<>e#NA!дМ\xa0\u2009\u200b\ufeff\t\n")), max_size=8),
    st.text(max_size=6),
)
blank_cells = st.sampled_from([None, float("nan")])


@FAST
@given(columns=st.lists(st.lists(st.one_of(text_cells, blank_cells), max_size=40), min_size=1, max_size=3),
       kind=st.sampled_from(sorted(PARSERS)))
def test_text_column_fast_path_agrees_with_general_path(columns: list[list[object]], kind: str) -> None:
    """Columns of strings and blanks (CSV columns) take the factorised path; its results are the general path's.

    The columns share one cache, as the columns of one kind do in `clean.parse_table`.
    """
    parser = PARSERS[kind]
    fast_cache: dict = {}
    for values in columns:
        series = pd.Series(values, dtype=object)
        fast = _parse_text_column(series, parser, fast_cache)
        assert fast is not None
        general = _parse_cells(values, parser, {})
        parts, _ = fast
        for got, want in zip(parts, general):
            assert list(got) == want


def test_text_column_fast_path_declines_other_cells() -> None:
    parser = PARSERS["integer"]
    for values in (["1", 1], ["1", 1.0], ["1", True], ["1", dt.date(2020, 1, 1)], ["1", Decimal("NaN")]):
        assert _parse_text_column(pd.Series(values, dtype=object), parser, {}) is None
    # and parse_series then keeps 1, 1.0 and True apart, as before
    values, notes, errors = parse_series(pd.Series(["1", 1, 1.0, True], dtype=object), "yes_no")
    assert values.tolist() == [True, True, True, True]
    assert notes.tolist() == ["'1' read as yes", "'1' read as yes", "'1' read as yes", None]


@FAST
@given(st.one_of(st.text(), st.text(st.sampled_from(list("ab \t\n\xa0\u202f\u2007\u2009\u200b\u200c\u200d\u2060\ufeff"
                                                         "\x0b\x1c\x85\u2028\u3000")), max_size=12)))
def test_clean_string_shortcut_agrees_with_the_steps(text: str) -> None:
    assert _clean_string(text) == _clean_string_stepwise(text)


@FAST
@given(values=st.one_of(st.lists(st.one_of(text_cells, blank_cells), max_size=30), st.lists(cells, max_size=30)),
       kind=st.sampled_from(sorted(PARSERS)))
def test_parse_column_masks_are_isna_and_notna(values: list[object], kind: str) -> None:
    column = parse_column(pd.Series(values, dtype=object), kind)
    assert column.missing.tolist() == column.values.isna().tolist()
    assert column.noted.tolist() == column.notes.notna().tolist()
    assert column.unreadable.tolist() == column.errors.notna().tolist()
