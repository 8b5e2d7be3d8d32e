"""Example-based tests of ino_study.records.parse: one case per documented rule."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from ino_study.records.contract import ColumnKind
from ino_study.records.parse import (
    MRD,
    PARSERS,
    ParseError,
    Parsed,
    normalise_text,
    parse_date,
    parse_id,
    parse_integer,
    parse_mrd,
    parse_number,
    parse_series,
    parse_sex,
    parse_vital_status,
    parse_yes_no,
)

D = dt.date
DT = dt.datetime


def check(parser, raw, value, note):
    parsed = parser(raw)
    assert isinstance(parsed, Parsed)
    assert parsed.value == value
    assert type(parsed.value) is type(value)
    assert parsed.note == note


def check_error(parser, raw, *fragments):
    with pytest.raises(ParseError) as info:
        parser(raw)
    err = info.value
    assert str(err) == err.reason
    assert err.value is raw or err.value == raw
    shown = raw.strip() if isinstance(raw, str) else str(raw)
    assert shown in err.reason, f"reason {err.reason!r} does not quote {shown!r}"
    for fragment in fragments:
        assert fragment in err.reason


# ---------------------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    "raw, value, note",
    [
        ("KMT2A-r", "KMT2A-r", None),
        ("  KMT2A-r ", "KMT2A-r", "surrounding whitespace removed"),
        ("BCR-ABL1\xa0p190", "BCR-ABL1 p190", "non-breaking space removed"),
        ("a\u202fb", "a b", "non-breaking space removed"),
        ("matched   unrelated\tdonor", "matched unrelated donor", "repeated whitespace collapsed"),
        ("\ufeffFLU-BU", "FLU-BU", "invisible character removed"),
        ("", None, None),
        ("  \xa0 ", None, None),
        (None, None, None),
        (float("nan"), None, None),
        (12, "12", "number converted to text"),
        (12.0, "12", "number converted to text"),
        (D(2020, 1, 2), "2020-01-02", "date converted to text"),
    ],
)
def test_normalise_text(raw, value, note):
    check(normalise_text, raw, value, note)


def test_text_excel_error():
    check_error(normalise_text, "#REF!", "Excel error value")


@pytest.mark.parametrize(
    "raw, value, note",
    [
        ("P-001", "P-001", None),
        (" P-001\xa0", "P-001", "non-breaking space removed; surrounding whitespace removed"),
        (1017, "1017", "number converted to text"),
        (1017.0, "1017", "number converted to text"),
        (np.int64(7), "7", "number converted to text"),
        (None, None, None),
    ],
)
def test_parse_id(raw, value, note):
    check(parse_id, raw, value, note)


@pytest.mark.parametrize("raw", [10.5, True])
def test_parse_id_rejects(raw):
    check_error(parse_id, raw, "not a patient identifier")


# ---------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "raw, value, note",
    [
        ("01.02.2019", D(2019, 2, 1), None),
        ("1.2.2019", D(2019, 2, 1), None),
        ("01/02/2019", D(2019, 2, 1), "date written dd/mm/yyyy"),
        ("01-02-2019", D(2019, 2, 1), "date written dd-mm-yyyy"),
        ("2019-02-01", D(2019, 2, 1), None),
        ("2019/02/01", D(2019, 2, 1), "date written yyyy/mm/dd"),
        ("2019-02-01 00:00:00", D(2019, 2, 1), "time of day removed"),
        ("01.02.2019 14:30", D(2019, 2, 1), "time of day removed"),
        ("01.02.2019 г.", D(2019, 2, 1), "'г.' year suffix removed"),
        ("\xa001.02.2019 ", D(2019, 2, 1), "non-breaking space removed; surrounding whitespace removed"),
        ("29.02.2020", D(2020, 2, 29), None),
        (43831, D(2020, 1, 1), "Excel serial date converted"),
        (43831.0, D(2020, 1, 1), "Excel serial date converted"),
        ("43831", D(2020, 1, 1), "Excel serial date converted"),
        (43831.75, D(2020, 1, 1), "Excel serial date converted; time of day dropped"),
        (61, D(1900, 3, 1), "Excel serial date converted"),
        (59, D(1900, 2, 28), "Excel serial date converted"),
        (1, D(1900, 1, 1), "Excel serial date converted"),
        (DT(2019, 2, 1), D(2019, 2, 1), None),
        (DT(2019, 2, 1, 9, 15), D(2019, 2, 1), "time of day dropped"),
        (pd.Timestamp("2019-02-01"), D(2019, 2, 1), None),
        (D(2019, 2, 1), D(2019, 2, 1), None),
        (None, None, None),
        ("", None, None),
        (float("nan"), None, None),
        (pd.NaT, None, None),
        ("—", None, "'—' read as missing"),
        ("н/д", None, "'н/д' read as missing"),
    ],
)
def test_parse_date(raw, value, note):
    check(parse_date, raw, value, note)


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("31.02.2019", "is not a real date: February has no day 31"),
        ("2019-02-31", "is not a real date: February has no day 31"),
        ("29.02.2019", "February has no day 29"),
        ("31.04.2020", "April has no day 31"),
        ("05.13.2019", "dates are read day-first (dd.mm.yyyy)"),
        ("01.02.19", "two-digit year"),
        ("01.02.1899", "outside 1900-2100"),
        ("01.02.2101", "outside 1900-2100"),
        ("#N/A", "Excel error value #N/A"),
        ("#VALUE!", "Excel error value #VALUE!"),
        ("#REF!", "Excel error value #REF!"),
        ("yesterday", "is not a date"),
        ("01.02/2019", "is not a date"),
        ("2019", "year alone"),
        (2019, "year alone"),
        (60, "29.02.1900"),
        (0, "not a plausible Excel serial date"),
        (100000, "not a plausible Excel serial date"),
        (-5, "not a plausible Excel serial date"),
        (True, "not a date"),
    ],
)
def test_parse_date_rejects(raw, fragment):
    check_error(parse_date, raw, fragment)


def test_parse_date_error_message_exact():
    with pytest.raises(ParseError) as info:
        parse_date("31.02.2019")
    assert str(info.value) == "31.02.2019 is not a real date: February has no day 31"


# ---------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "raw, value, note",
    [
        ("1,5", 1.5, "decimal comma read as decimal point"),
        ("1.5", 1.5, None),
        ("12", 12.0, None),
        (",5", 0.5, "decimal comma read as decimal point"),
        ("1 200,5", 1200.5, "thousands separator space removed; decimal comma read as decimal point"),
        ("1\xa0200", 1200.0, "non-breaking space removed; thousands separator space removed"),
        ("1 200 000", 1200000.0, "thousands separator space removed"),
        ("1,200.5", 1200.5, "comma thousands separator removed"),
        ("1.200,5", 1200.5, "point thousands separator removed; decimal comma read as decimal point"),
        ("1,200", 1.2, "decimal comma read as decimal point"),
        ("12%", 12.0, "'%' sign removed"),
        ("12,5 %", 12.5, "decimal comma read as decimal point; '%' sign removed"),
        ("-1,5", -1.5, "decimal comma read as decimal point"),
        ("−2", -2.0, "Unicode minus read as '-'"),
        ("+3", 3.0, None),
        ("1e-4", 0.0001, None),
        ("1,5E+03", 1500.0, "decimal comma read as decimal point"),
        ("-0", 0.0, None),
        (7, 7.0, None),
        (7.25, 7.25, None),
        (np.float64(2.5), 2.5, None),
        (float("nan"), None, None),
        (None, None, None),
        ("", None, None),
        ("—", None, "'—' read as missing"),
        ("-", None, "'-' read as missing"),
        ("н/д", None, "'н/д' read as missing"),
        ("n/a", None, "'n/a' read as missing"),
        ("N/A", None, "'N/A' read as missing"),
    ],
)
def test_parse_number(raw, value, note):
    check(parse_number, raw, value, note)


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("#N/A", "Excel error value #N/A"),
        ("#VALUE!", "Excel error value #VALUE!"),
        ("#DIV/0!", "Excel error value #DIV/0!"),
        ("abc", "is not a number"),
        ("1,200,000", "is not a number"),
        ("1 20", "is not a number"),
        ("12 mg", "is not a number"),
        ("<5", "is a bound"),
        ("менее 5", "is a bound"),
        ("1e999", "too large"),
        (True, "not a number"),
        (float("inf"), "not a finite number"),
    ],
)
def test_parse_number_rejects(raw, fragment):
    check_error(parse_number, raw, fragment)


@pytest.mark.parametrize(
    "raw, value, note",
    [
        ("2", 2, None),
        ("2,0", 2, "decimal comma read as decimal point"),
        (2.0, 2, None),
        (3, 3, None),
        (" 0 ", 0, "surrounding whitespace removed"),
        ("1 000", 1000, "thousands separator space removed"),
        ("н/д", None, "'н/д' read as missing"),
        (None, None, None),
    ],
)
def test_parse_integer(raw, value, note):
    check(parse_integer, raw, value, note)


@pytest.mark.parametrize("raw", [2.5, "2,5", "2.5"])
def test_parse_integer_rejects_fraction(raw):
    check_error(parse_integer, raw, "is not a whole number")


# ---------------------------------------------------------------------------------------- codes


@pytest.mark.parametrize(
    "raw, value, note",
    [
        ("да", True, "Russian code translated"),
        ("ДА", True, "Russian code translated"),
        ("нет", False, "Russian code translated"),
        ("д", True, "Russian code translated"),
        ("н", False, "Russian code translated"),
        ("есть", True, "Russian code translated"),
        ("ИСТИНА", True, "Russian code translated"),
        ("ЛОЖЬ", False, "Russian code translated"),
        ("yes", True, None),
        ("no", False, None),
        ("Yes", True, "'Yes' read as yes"),
        ("y", True, "'y' read as yes"),
        ("N", False, "'N' read as no"),
        ("TRUE", True, "'TRUE' read as yes"),
        ("false", False, "'false' read as no"),
        ("1", True, "'1' read as yes"),
        ("0", False, "'0' read as no"),
        ("+", True, "'+' read as yes"),
        ("-", False, "'-' read as no"),
        (1, True, "'1' read as yes"),
        (0.0, False, "'0' read as no"),
        (True, True, None),
        (False, False, None),
        (np.bool_(True), True, None),
        ("да.", True, "Russian code translated"),
        (
            " нет\xa0", False,
            "non-breaking space removed; surrounding whitespace removed; Russian code translated",
        ),
        ("н/д", None, "'н/д' read as missing"),
        ("—", None, "'—' read as missing"),
        (None, None, None),
    ],
)
def test_parse_yes_no(raw, value, note):
    check(parse_yes_no, raw, value, note)


@pytest.mark.parametrize("raw", ["maybe", "возможно", 2, "#N/A"])
def test_parse_yes_no_rejects(raw):
    check_error(parse_yes_no, raw)


@pytest.mark.parametrize(
    "raw, value, note",
    [
        ("М", "M", "Russian code translated"),  # Cyrillic Em
        ("Ж", "F", "Russian code translated"),
        ("м", "M", "Russian code translated"),
        ("ж", "F", "Russian code translated"),
        ("муж", "M", "Russian code translated"),
        ("жен.", "F", "Russian code translated"),
        ("Мужской", "M", "Russian code translated"),
        ("женский", "F", "Russian code translated"),
        ("мальчик", "M", "Russian code translated"),
        ("девочка", "F", "Russian code translated"),
        ("M", "M", None),  # Latin
        ("F", "F", None),
        ("m", "M", "'m' read as M"),
        ("f", "F", "'f' read as F"),
        ("Male", "M", "'Male' read as M"),
        ("female", "F", "'female' read as F"),
        ("boy", "M", "'boy' read as M"),
        ("girl", "F", "'girl' read as F"),
        ("", None, None),
        ("н/д", None, "'н/д' read as missing"),
    ],
)
def test_parse_sex(raw, value, note):
    check(parse_sex, raw, value, note)


@pytest.mark.parametrize("raw", ["1", "X", 1, "мужжен"])
def test_parse_sex_rejects(raw):
    check_error(parse_sex, raw, "sex")


@pytest.mark.parametrize(
    "raw, value, note",
    [
        ("жив", "alive", "Russian code translated"),
        ("Жива", "alive", "Russian code translated"),
        ("живой", "alive", "Russian code translated"),
        ("умер", "dead", "Russian code translated"),
        ("умерла", "dead", "Russian code translated"),
        ("смерть", "dead", "Russian code translated"),
        ("alive", "alive", None),
        ("dead", "dead", None),
        ("Deceased", "dead", "'Deceased' read as dead"),
        ("0", "alive", "'0' read as alive"),
        ("1", "dead", "'1' read as dead"),
        (0, "alive", "'0' read as alive"),
        (1, "dead", "'1' read as dead"),
        (None, None, None),
    ],
)
def test_parse_vital_status(raw, value, note):
    check(parse_vital_status, raw, value, note)


@pytest.mark.parametrize("raw", ["lost", 2, True, "#N/A"])
def test_parse_vital_status_rejects(raw):
    check_error(parse_vital_status, raw)


# ---------------------------------------------------------------------------------------- MRD

FRACTION = "MRD written as a fraction ({}) converted to percent"
BARE = "number without '%' read as percent"
COMMA = "decimal comma read as decimal point"
NEG = MRD(None, "<", True, True)
NOT_DONE = MRD(None, "=", False, False)


@pytest.mark.parametrize(
    "raw, value, note",
    [
        ("0,005%", MRD(0.005, "=", True, False), COMMA),
        ("0.005%", MRD(0.005, "=", True, False), None),
        ("0%", MRD(0.0, "=", True, False), None),
        ("12 %", MRD(12.0, "=", True, False), None),
        ("<0.01%", MRD(0.01, "<", True, False), None),
        ("< 0,01 %", MRD(0.01, "<", True, False), COMMA),
        ("менее 0,01%", MRD(0.01, "<", True, False), "'менее' read as '<'; " + COMMA),
        ("≤0.01%", MRD(0.01, "<", True, False), "'≤' read as '<'"),
        (">5%", MRD(5.0, ">", True, False), None),
        ("более 5%", MRD(5.0, ">", True, False), "'более' read as '>'"),
        ("1e-4", MRD(0.01, "=", True, False), FRACTION.format("1e-4")),
        ("1E-04", MRD(0.01, "=", True, False), FRACTION.format("1E-04")),
        ("1x10-4", MRD(0.01, "=", True, False), FRACTION.format("1x10-4")),
        ("1×10^-4", MRD(0.01, "=", True, False), FRACTION.format("1×10^-4")),
        ("10^-4", MRD(0.01, "=", True, False), FRACTION.format("10^-4")),
        ("10-4", MRD(0.01, "=", True, False), FRACTION.format("10-4")),
        ("<1e-4", MRD(0.01, "<", True, False), FRACTION.format("1e-4")),
        ("2,5х10-3", MRD(0.25, "=", True, False), FRACTION.format("2,5х10-3")),  # Cyrillic х
        ("0.005", MRD(0.005, "=", True, False), BARE),
        ("0,02", MRD(0.02, "=", True, False), COMMA + "; " + BARE),
        (0.005, MRD(0.005, "=", True, False), BARE),
        ("MRD: <0.01%", MRD(0.01, "<", True, False), "MRD label removed"),
        ("neg", NEG, "'neg' read as negative"),
        ("negative", NEG, None),
        ("MRD-", NEG, "'MRD-' read as negative"),
        ("не выявлено", NEG, "'не выявлено' read as negative"),
        ("не обнаружено", NEG, "'не обнаружено' read as negative"),
        ("отр", NEG, "'отр' read as negative"),
        ("Отр.", NEG, "'Отр.' read as negative"),
        ("отрицательный", NEG, "'отрицательный' read as negative"),
        ("не выявлено (<0,01%)", MRD(0.01, "<", True, False),
         "'не выявлено (<0,01%)' read as negative below the stated limit; " + COMMA),
        ("neg <0.01%", MRD(0.01, "<", True, False), "'neg <0.01%' read as negative below the stated limit"),
        ("отр. 0,01%", MRD(0.01, "<", True, False),
         "'отр. 0,01%' read as negative below the stated limit; " + COMMA),
        ("not done", NOT_DONE, None),
        ("nd", NOT_DONE, "'nd' read as not done"),
        ("н/д", NOT_DONE, "'н/д' read as not done"),
        ("не выполнено", NOT_DONE, "'не выполнено' read as not done"),
        ("не проводилось", NOT_DONE, "'не проводилось' read as not done"),
        ("нет материала", NOT_DONE, "'нет материала' read as not done"),
        ("нет данных", NOT_DONE, "'нет данных' read as not done"),
        ("", None, None),
        (None, None, None),
        (float("nan"), None, None),
        ("неизвестно", None, "'неизвестно' read as missing"),
    ],
)
def test_parse_mrd(raw, value, note):
    check(parse_mrd, raw, value, note)


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("blah", "cannot be read"),
        ("-0.01%", "negative"),
        (-0.5, "negative"),
        ("150%", "more than 100%"),
        (150, "more than 100%"),
        ("5e2", "more than 100%"),
        ("pos", "positive without a level"),
        ("-", "ambiguous"),
        ("#N/A", "Excel error value #N/A"),
        ("<", "no number"),
        ("neg (>1%)", "contradictory"),
        ("MRD-0,01%", "negative"),  # not read as "MRD negative below 0.01%": the dash is ambiguous
    ],
)
def test_parse_mrd_rejects(raw, fragment):
    check_error(parse_mrd, raw, fragment)


# ---------------------------------------------------------------------------------------- registry


def test_parsers_cover_every_column_kind():
    assert set(PARSERS) == set(ColumnKind.__args__)  # type: ignore[attr-defined]


def test_parse_error_is_value_error():
    err = ParseError("x", "a reason")
    assert isinstance(err, ValueError)
    assert str(err) == "a reason" and err.value == "x" and err.reason == "a reason"


def test_parse_series_aligned_and_typed():
    raw = pd.Series(["1,5", None, "abc", 2, "1,5", True, float("nan")], index=range(10, 17), name="x")
    values, notes, errors = parse_series(raw, "number")
    assert list(values.index) == list(raw.index)
    assert values.tolist() == [1.5, None, None, 2.0, 1.5, None, None]
    assert notes.tolist() == [COMMA, None, None, None, COMMA, None, None]
    assert errors[12] == "'abc' is not a number"
    assert "true/false" in errors[15]  # True is not parsed as the cached 1 / 1.0
    assert errors.drop([12, 15]).isna().all()


def test_parse_series_keeps_types_apart():
    raw = pd.Series([1, True, 1.0], dtype=object)
    values, _, errors = parse_series(raw, "yes_no")
    assert values.tolist() == [True, True, True]
    values, _, errors = parse_series(raw, "number")
    assert values.tolist() == [1.0, None, 1.0]
    assert errors.tolist()[1] is not None


def test_parse_series_unknown_kind():
    with pytest.raises(ValueError, match="unknown column kind"):
        parse_series(pd.Series(["a"]), "colour")


def test_parse_series_large_column():
    raw = pd.Series(["01.02.2019", "31.02.2019", None, "2019-03-04", 43831] * 100_000)
    values, notes, errors = parse_series(raw, "date")
    assert values[0] == D(2019, 2, 1) and values[1] is None and errors[1].startswith("31.02.2019")
    assert errors.notna().sum() == 100_000


def test_parse_series_datetime_column():
    raw = pd.Series(pd.to_datetime(["2019-02-01", None]))
    values, notes, errors = parse_series(raw, "date")
    assert values.tolist() == [D(2019, 2, 1), None]
    assert errors.isna().all()


def test_parsed_value_nan_never_leaks():
    for kind, parser in PARSERS.items():
        parsed = parser(float("nan"))
        assert parsed.value is None and parsed.note is None, kind
        assert not (isinstance(parsed.value, float) and math.isnan(parsed.value))
