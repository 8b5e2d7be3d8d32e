"""Reading raw registry cells: one parser per column kind of :mod:`ino_study.records.contract`.

Cells arrive either from an Excel workbook (openpyxl gives ``str``, ``int``, ``float``,
``datetime.datetime``, ``datetime.date`` or ``None``) or from a CSV file written by Russian-locale
Excel (every cell a string). Every parser takes one raw cell and returns a :class:`Parsed` holding
the canonical value (``None`` for a blank / missing cell) and a short note describing any
normalisation applied (``None`` when the cell was already in canonical form). A cell that cannot be
read raises :class:`ParseError`, whose message quotes the value and says why.

Common to all kinds
-------------------
* Blank cells: ``None``, ``""``, whitespace only, float NaN, ``pandas.NA``/``NaT`` -> missing, no note.
* Whitespace: leading/trailing whitespace removed, internal runs collapsed to one space; the
  non-breaking spaces U+00A0, U+202F, U+2007 (and the thin space U+2009) are read as spaces;
  zero-width spaces and byte-order marks are removed. Each of these gives a note.
* Excel error values (``#N/A``, ``#VALUE!``, ``#REF!``, ``#DIV/0!``, ``#NAME?``, ``#NUM!``,
  ``#NULL!``, ``#SPILL!``, ``#CALC!``, ``#GETTING_DATA``) are never data: ParseError
  "Excel error value #N/A", for every kind including ``text`` and ``id``.
* Placeholders read as missing (value ``None``, note "'н/д' read as missing") for the kinds
  ``date``, ``number``, ``integer``, ``yes_no``, ``sex``, ``vital_status``:
  ``-`` (not for ``yes_no``, where it means "no"), ``—``, ``–``, ``н/д``, ``нд``, ``н.д.``, ``n/a``, ``na``,
  ``нет данных``, ``неизвестно``, ``неизв.``, ``unknown``, ``unk``, ``?``.
  (For ``mrd``, ``н/д`` / ``n/a`` / ``нет данных`` mean "not done", only ``неизвестно``, ``неизв``,
  ``unknown``, ``unk`` and ``?`` mean missing, and a lone dash is rejected as ambiguous.)
* Booleans (``True``/``False`` cells) are accepted only by ``yes_no``.

``id``
    Text, whitespace-normalised as ``text``; an integer cell (or a whole float such as ``123.0``)
    becomes its digits (``"123"``), note "number converted to text". Other floats, booleans and
    dates are rejected.
``text``
    Any text, whitespace-normalised; numbers become their digits, dates ISO ``yyyy-mm-dd``.
``date``
    Always day-first. Accepted spellings (``d`` and ``m`` may have one or two digits):
    ``dd.mm.yyyy`` (canonical, no note), ``yyyy-mm-dd`` (ISO, no note), ``dd/mm/yyyy``,
    ``dd-mm-yyyy``, ``yyyy/mm/dd``, ``yyyy.mm.dd`` (note "date written dd/mm/yyyy" etc.);
    an optional time after a space (``01.02.2019 0:00``, ``2019-02-01 00:00:00``, ``2019-02-01T10:30``)
    is dropped with a note; an optional Russian year suffix ``г.`` / ``г`` is dropped with a note;
    ``datetime.date`` cells as they are; ``datetime.datetime`` cells lose their time of day
    (note only when the time is not midnight); Excel serial numbers in the 1900 date system as
    numbers or strings (``43831``, ``"43831"``, ``43831,0``, range 1-73415, i.e. up to 31.12.2100;
    serial 60, Excel's non-existent 29.02.1900, is rejected; a fractional part is a time of day and
    is dropped), note "Excel serial date converted".
    Rejected: impossible dates ("31.02.2019 is not a real date: February has no day 31"), month
    above 12 ("dates are read day-first (dd.mm.yyyy)"), two-digit years (``01.02.19`` is ambiguous
    in clinical data: write the year in full), years outside 1900-2100, a whole number between 1900
    and 2100 (a year alone, not an Excel serial), mixed separators (``01.02/2019``), anything else.
``number``
    ``12``, ``12.5``, ``12,5`` (decimal comma, note), ``,5`` / ``.5``, ``-1,5`` / ``−1,5`` (Unicode
    minus), ``+2``, thousands separated by spaces in groups of three (``1 200,5``, ``1 200 000``;
    NBSP allowed), comma thousands only when followed by a decimal point (``1,200.5``), point
    thousands only when followed by a decimal comma (``1.200,5``), exponent notation (``1e-4``,
    ``1,5E+03``), a ``%`` sign before or after (``12%``, ``12 %``; removed with a note), numeric
    cells (NaN -> missing). A single comma is ALWAYS a decimal comma (Russian locale): ``1,200``
    reads as 1.2, with the note. Rejected: ``1,200,000`` (ambiguous), bounds such as ``<5`` or
    ``>100`` (a bound is not a number), infinities, text with units (``12 mg``), booleans.
``integer``
    As ``number``, then the value must be whole: ``2``, ``"2,0"``, ``2.0`` -> 2; ``2.5`` -> ParseError.
``yes_no``
    yes/True: ``да``, ``д``, ``есть``, ``имеется``, ``было``, ``истина`` (Russian Excel TRUE),
    ``yes``, ``y``, ``true``, ``1``, ``+``, ``True``, numeric 1.
    no/False: ``нет``, ``н``, ``отсутствует``, ``не было``, ``ложь`` (Russian Excel FALSE),
    ``no``, ``n``, ``false``, ``0``, ``-``, ``False``, numeric 0. Case-insensitive, a trailing ``.``
    ignored. Note None for ``yes``/``no`` and boolean cells, "Russian code translated" for Russian
    spellings, "'1' read as yes" and so on for the other spellings.
``sex``
    M: Cyrillic ``М``, ``м``, ``муж``, ``мужской``, ``мужчина``, ``мальчик``, ``мал``; Latin ``M``,
    ``m``, ``male``, ``man``, ``boy``. F: Cyrillic ``Ж``, ``ж``, ``жен``, ``женский``, ``женщина``,
    ``девочка``, ``дев``; Latin ``F``, ``f``, ``female``, ``woman``, ``girl``. Case-insensitive,
    trailing ``.`` ignored. Numeric codes (1/2) are rejected as ambiguous. Note None only for the
    Latin ``M``/``F``; "Russian code translated" for Cyrillic (so a Cyrillic ``М`` is visible).
``vital_status``
    alive: ``жив``, ``жива``, ``живой``, ``живая``, ``жив(а)``, ``alive``, ``living``, ``0``.
    dead: ``умер``, ``умерла``, ``умер(ла)``, ``смерть``, ``летальный исход``, ``погиб``,
    ``погибла``, ``dead``, ``deceased``, ``died``, ``death``, ``1``. Numeric 0 / 1 likewise
    (1 = dead).
``mrd``
    Returns an :class:`MRD`. Percent is the share of cells in percent (0.01 means 0.01 %).

    * ``0,005%``, ``0.005 %``, ``0%`` -> percent, qualifier ``=``.
    * ``<0.01%``, ``< 0,01 %``, ``≤0,01%``, ``<=0.01%``, ``менее 0,01%``, ``меньше 0,01%``,
      ``less than 0.01%``, ``below 0.01%`` -> qualifier ``<``; ``>5%``, ``≥5%``, ``более 5%``,
      ``больше 5%``, ``more than 5%``, ``above 5%`` -> qualifier ``>``.
    * A fraction of cells: ``1e-4``, ``1E-04``, ``1,5e-4``, ``1x10-4``, ``1×10^-4``, ``1*10^-4``
      (``x`` Latin or Cyrillic ``х``), ``10^-4``, ``10-4`` -> multiplied by 100
      (1e-4 -> 0.01 %), note "MRD written as a fraction (1e-4) converted to percent". With a ``%``
      sign the number is a percent whatever its notation.
    * A bare number without ``%`` (``0.005``, ``0,02``, numeric cells) is read as a percent, note
      "number without '%' read as percent". CAUTION: an Excel cell formatted as a percentage
      stores the fraction (0.0001 for "0.01%"); such cells must be converted before parsing.
    * A leading label ``MRD``, ``МОБ``, ``МРБ`` (optionally with ``:``) is ignored.
    * Text negative, no number: ``neg``, ``negative``, ``mrd-``, ``mrd neg``, ``mrd negative``,
      ``not detected``, ``undetectable``, ``не выявлено``, ``не выявлена``, ``не обнаружено``,
      ``не обнаружена``, ``не определяется``, ``отр``, ``отр.``, ``отрицательно``,
      ``отрицательный``, ``отрицательная``, ``моб-``, ``моб отр``, ``мрб-`` ... ->
      ``MRD(None, "<", True, True)``.
    * A text negative with its limit (``не выявлено (<0,01%)``, ``neg <0.01%``, ``отр. 0,01%``) ->
      the limit with qualifier ``<`` (``=`` for 0 %), ``text_negative`` False since a number is given.
    * Not done: ``not done``, ``nd``, ``n/d``, ``n/a``, ``na``, ``not performed``, ``no material``,
      ``н/д``, ``нд``, ``не выполнено``, ``не выполнялось``, ``не проводилось``, ``не проводили``,
      ``не делали``, ``нет материала``, ``нет данных`` -> ``MRD(None, "=", False, False)``.
    * Missing (value None): ``неизвестно``, ``неизв``, ``unknown``, ``unk``, ``?``.
    * Rejected: a lone dash ``-``/``—``/``–`` (negative, not done or missing?), text positive
      without a number (``pos``, ``MRD+``, ``положительно``: give the level), negative numbers,
      more than 100 %, anything else (the reason quotes the value).
``cns_status``
    ``CNS1``, ``CNS2``, ``CNS3``; also ``CNS 1``, ``CNS-1``, ``1``-``3`` (text or numeric cells), ``ЦНС1``,
    ``ЦНС 1``, ``ЦНС-1``; case-insensitive. Placeholders as for ``sex`` read as missing. Anything else is
    rejected.
``mrd_method``
    ``flow`` (``FCM``, ``MFC``, ``flow cytometry``, ``flow-MRD``, ``проточная цитометрия``, ``проточная``,
    ``ПЦ``), ``PCR`` (``RQ-PCR``, ``qPCR``, ``Ig/TCR PCR``, ``ПЦР``), ``NGS`` (``next-generation
    sequencing``, ``секвенирование``, ``НГС``); case-insensitive. Anything else is rejected.
``sos_severity``
    The EBMT paediatric SOS/VOD severity grades (Corbacioglu et al., Bone Marrow Transplant 2018):
    ``mild`` (``лёгкая``), ``moderate`` (``средняя``, ``среднетяжёлая``, ``умеренная``), ``severe``
    (``тяжёлая``), ``very severe`` (``very_severe``, ``очень тяжёлая``, ``крайне тяжёлая``); ``е`` for
    ``ё`` accepted; case-insensitive. A CTCAE grade (1-5) is not a severity grade and is rejected.
``sos_outcome``
    ``resolved`` (``resolution``, ``разрешилась``, ``разрешился``, ``разрешение``, ``выздоровление``),
    ``fatal`` (``died``, ``death``, ``летальный исход``, ``смерть``, ``умер``, ``умерла``), ``ongoing``
    (``persisting``, ``продолжается``, ``сохраняется``); case-insensitive. Anything else is rejected.
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "MRD",
    "PARSERS",
    "ParseError",
    "Parsed",
    "normalise_text",
    "parse_date",
    "parse_id",
    "parse_integer",
    "parse_mrd",
    "parse_number",
    "parse_column",
    "parse_series",
    "parse_sex",
    "parse_text",
    "parse_vital_status",
    "parse_yes_no",
]

T = TypeVar("T")


class ParseError(ValueError):
    """A raw value that cannot be read.

    ``.value`` holds the raw value, ``.reason`` a short human sentence; ``str(err) == reason``.
    """

    def __init__(self, value: object, reason: str) -> None:
        super().__init__(reason)
        self.value = value
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A parsed cell: the canonical value (None if blank/missing) and a note on any normalisation."""

    value: T | None
    note: str | None = None


@dataclass(frozen=True)
class MRD:
    """A flow-cytometry MRD result.

    ``percent``: the number as a percentage of cells (0.01 means 0.01 %), None if no number given.
    ``qualifier``: "=", "<" or ">" ("<" also for a text negative without a number).
    ``done``: False for "not done" and the like.
    ``text_negative``: True for a negative written as text without a number.
    """

    percent: float | None
    qualifier: str
    done: bool
    text_negative: bool


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

_NBSP = "\u00a0\u202f\u2007\u2009"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_WS_RUN = re.compile(r"\s+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

EXCEL_ERRORS: frozenset[str] = frozenset(
    {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
     "#GETTING_DATA", "#N/A!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#BUSY!", "#CONNECT!"}
)

#: Placeholders read as "missing" by the kinds date, number, integer, sex, vital_status (and yes_no
#: except "-").
MISSING_TOKENS: frozenset[str] = frozenset(
    {"-", "—", "–", "н/д", "нд", "н.д.", "n/a", "na", "нет данных", "неизвестно", "неизв.", "неизв",
     "unknown", "unk", "?"}
)


def _join(*notes: str | None) -> str | None:
    """Join the non-empty notes with '; ' (None if there is none)."""
    kept = [n for n in notes if n]
    return "; ".join(kept) if kept else None


def _is_blank(value: object) -> bool:
    """True for None, NaN (float or numpy), pandas NA / NaT and numpy NaT."""
    if type(value) is str:  # the usual cell, never blank here; spares the slow abstract-class checks below
        return False
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        try:
            return math.isnan(float(value))
        except (TypeError, ValueError, OverflowError):
            return False
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(value))
    return False


def _is_bool(value: object) -> bool:
    """True for Python and numpy booleans."""
    return isinstance(value, (bool, np.bool_))


def _is_number(value: object) -> bool:
    """True for int/float (Python or numpy), excluding booleans."""
    if type(value) is str:  # the usual cell; spares the slow abstract-class check
        return False
    return isinstance(value, numbers.Real) and not _is_bool(value)


def _to_float(value: object) -> float:
    """A numeric cell as a float; ParseError if it is too large (a huge integer)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise ParseError(value, f"{_quote(_show(value))} is too large to be a number") from None


#: Text already clean: words of non-whitespace, visible characters joined by single plain spaces.
#: (`\s`, `str.strip` and `str.isspace` share one definition of whitespace, the NBSPs included.)
_CLEAN_TEXT = re.compile(r"[^\s" + _INVISIBLE + r"]+(?: [^\s" + _INVISIBLE + r"]+)*")


def _clean_string(text: str) -> tuple[str, str | None]:
    """Remove invisible characters, read non-breaking spaces as spaces, strip and collapse whitespace."""
    if _CLEAN_TEXT.fullmatch(text):  # most cells: nothing to do, and one regular expression says so
        return text, None
    return _clean_string_stepwise(text)


def _clean_string_stepwise(text: str) -> tuple[str, str | None]:
    """`_clean_string` step by step, each step noting what it changed."""
    notes: list[str] = []
    if any(ch in text for ch in _INVISIBLE):
        text = "".join(ch for ch in text if ch not in _INVISIBLE)
        notes.append("invisible character removed")
    if any(ch in text for ch in _NBSP):
        text = "".join(" " if ch in _NBSP else ch for ch in text)
        notes.append("non-breaking space removed")
    stripped = text.strip()
    if stripped != text:
        notes.append("surrounding whitespace removed")
    collapsed = _WS_RUN.sub(" ", stripped)
    if collapsed != stripped:
        notes.append("repeated whitespace collapsed")
    return collapsed, _join(*notes)


def _check_excel_error(raw: object, text: str) -> None:
    """Raise ParseError if the text is an Excel error value such as #N/A."""
    if text.upper() in EXCEL_ERRORS:
        raise ParseError(raw, f"Excel error value {text.upper()}")


def _show(value: object) -> str:
    """A raw value as text for an error message (never raises)."""
    try:
        return str(value)
    except ValueError:  # an integer with more digits than Python will print
        return "<a number with too many digits>"


def _quote(text: str) -> str:
    """Quote a value for an error message."""
    return f"'{text}'"


def _missing_token_note(text: str) -> str:
    """The note for a placeholder read as missing."""
    return f"{_quote(text)} read as missing"


def _prepare(raw: str, missing: frozenset[str] = MISSING_TOKENS) -> tuple[str | None, str | None]:
    """Clean a string cell; return (text, note), text None when blank or a missing placeholder.

    Raises ParseError for Excel error values.
    """
    text, note = _clean_string(raw)
    if not text:
        return None, None
    _check_excel_error(raw, text)
    if text.casefold() in missing:
        return None, _join(note, _missing_token_note(text))
    return text, note


# --------------------------------------------------------------------------------------------
# Text and identifiers
# --------------------------------------------------------------------------------------------


def normalise_text(value: object) -> Parsed[str]:
    """Free text: strip, collapse internal whitespace (including non-breaking spaces); "" -> None.

    Numbers become their digits (a whole float ``123.0`` -> "123"), dates ISO yyyy-mm-dd, booleans
    "TRUE"/"FALSE"; each with a note. Excel error values raise ParseError.
    """
    if _is_blank(value):
        return Parsed(None)
    if isinstance(value, str):
        text, note = _clean_string(value)
        if not text:
            return Parsed(None)
        _check_excel_error(value, text)
        return Parsed(text, note)
    if _is_bool(value):
        return Parsed("TRUE" if value else "FALSE", "logical value converted to text")
    if _is_number(value):
        return Parsed(_number_to_text(value), "number converted to text")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return Parsed(value.date().isoformat(), "date converted to text")
        return Parsed(value.isoformat(sep=" "), "date converted to text")
    if isinstance(value, datetime.date):
        return Parsed(value.isoformat(), "date converted to text")
    text, note = _clean_string(str(value))
    return Parsed(text or None, _join("value converted to text", note))


def _number_to_text(value: object) -> str:
    """Digits of a number: whole values without a decimal part."""
    if isinstance(value, numbers.Integral):
        try:
            return str(int(value))
        except ValueError:  # more digits than Python will print
            raise ParseError(value, "a number with too many digits to be read") from None
    f = _to_float(value)
    if math.isfinite(f) and f.is_integer():
        return str(int(f))
    return repr(f)


def parse_text(value: object) -> Parsed[str]:
    """The ``text`` kind: :func:`normalise_text`."""
    return normalise_text(value)


def parse_id(value: object) -> Parsed[str]:
    """A patient identifier: text as :func:`normalise_text`; whole numbers become their digits.

    Fractional numbers, booleans and dates are rejected: they are not identifiers.
    """
    if _is_blank(value):
        return Parsed(None)
    if _is_bool(value) or isinstance(value, (datetime.date, datetime.datetime)):
        raise ParseError(value, f"{_quote(_show(value))} is not a patient identifier")
    if _is_number(value):
        f = _to_float(value)
        if isinstance(value, numbers.Integral) or (math.isfinite(f) and f.is_integer()):
            return Parsed(_number_to_text(value), "number converted to text")
        raise ParseError(value, f"{_quote(repr(f))} is not a patient identifier (not a whole number)")
    return normalise_text(value)


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

MIN_YEAR = 1900
MAX_YEAR = 2100
#: Excel serial numbers accepted (1900 date system): 1 = 01.01.1900, 73415 = 31.12.2100.
MIN_SERIAL = 1
MAX_SERIAL = 73415
_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 61 and later count from here
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")

_TIME = r"(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?"
_YEAR_SUFFIX = re.compile(r"\s*г\.?$", re.IGNORECASE)
_DAY_FIRST = re.compile(
    r"^(?P<d>\d{1,2})(?P<sep>[./-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})" + _TIME + "$", re.ASCII
)
_YEAR_FIRST = re.compile(
    r"^(?P<y>\d{4})(?P<sep>[./-])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _TIME + "$", re.ASCII
)
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}([./-])\d{1,2}\1\d{2}(?:[ T].*)?$", re.ASCII)
_SERIAL_TEXT = re.compile(r"^\d+(?:[.,]\d+)?$", re.ASCII)
_DAY_FIRST_NAMES = {".": "dd.mm.yyyy", "/": "dd/mm/yyyy", "-": "dd-mm-yyyy"}
_YEAR_FIRST_NAMES = {"-": "yyyy-mm-dd", "/": "yyyy/mm/dd", ".": "yyyy.mm.dd"}


def _make_date(raw: object, text: str, year: int, month: int, day: int) -> datetime.date:
    """Build a date from its parts, raising ParseError with a clear reason if it does not exist."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ParseError(raw, f"{_quote(text)}: year {year} is outside {MIN_YEAR}-{MAX_YEAR}")
    if not 1 <= month <= 12:
        raise ParseError(
            raw, f"{_quote(text)}: month {month} does not exist; dates are read day-first (dd.mm.yyyy)"
        )
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ParseError(
            raw, f"{text} is not a real date: {_MONTH_NAMES[month - 1]} has no day {day}"
        ) from None


def _check_year(raw: object, text: str, date: datetime.date) -> datetime.date:
    """Reject a date whose year is outside MIN_YEAR-MAX_YEAR."""
    if not MIN_YEAR <= date.year <= MAX_YEAR:
        raise ParseError(raw, f"{_quote(text)}: year {date.year} is outside {MIN_YEAR}-{MAX_YEAR}")
    return date


def excel_serial_to_date(raw: object, serial: float) -> Parsed[datetime.date]:
    """An Excel serial number (1900 date system) as a date, as Excel and openpyxl read it.

    Serials 1-59 are 01.01.1900-28.02.1900; 60 is Excel's fake 29.02.1900 and is rejected;
    from 61 (01.03.1900) on, days count from 30.12.1899. A fractional part (time of day) is dropped.
    Whole numbers 1900-2100 are rejected as a year alone.
    """
    shown = _number_to_text(serial)
    if not math.isfinite(serial):
        raise ParseError(raw, f"{_quote(shown)} is not a date")
    if serial.is_integer() and MIN_YEAR <= serial <= MAX_YEAR:
        raise ParseError(raw, f"{_quote(shown)} looks like a year alone, not a full date (dd.mm.yyyy)")
    if not MIN_SERIAL <= serial < MAX_SERIAL + 1:
        raise ParseError(
            raw,
            f"{_quote(shown)} is not a plausible Excel serial date "
            f"(expected {MIN_SERIAL}-{MAX_SERIAL}, i.e. 1900-{MAX_YEAR})",
        )
    whole = int(serial)
    if whole == 60:
        raise ParseError(raw, f"Excel serial {_quote(shown)} is 29.02.1900, a date that does not exist")
    if whole < 60:
        date = datetime.date(1899, 12, 31) + datetime.timedelta(days=whole)
    else:
        date = _EXCEL_EPOCH + datetime.timedelta(days=whole)
    note = "Excel serial date converted"
    if serial != whole:
        note = _join(note, "time of day dropped")
    return Parsed(date, note)


def _time_note(time_text: str | None) -> str | None:
    """Note for a time of day written after a date."""
    return None if time_text is None else "time of day removed"


def _parse_date_text(raw: object, text: str) -> Parsed[datetime.date]:
    """A date written as text (already cleaned, not blank)."""
    note: str | None = None
    if _YEAR_SUFFIX.search(text) and re.match(r"^\d", text):
        text = _YEAR_SUFFIX.sub("", text)
        note = "'г.' year suffix removed"
    m = _DAY_FIRST.match(text)
    if m:
        date = _make_date(raw, text, int(m["y"]), int(m["m"]), int(m["d"]))
        fmt = _DAY_FIRST_NAMES[m["sep"]]
        fmt_note = None if fmt == "dd.mm.yyyy" else f"date written {fmt}"
        return Parsed(date, _join(note, fmt_note, _time_note(m["time"])))
    m = _YEAR_FIRST.match(text)
    if m:
        date = _make_date(raw, text, int(m["y"]), int(m["m"]), int(m["d"]))
        fmt = _YEAR_FIRST_NAMES[m["sep"]]
        fmt_note = None if fmt == "yyyy-mm-dd" else f"date written {fmt}"
        return Parsed(date, _join(note, fmt_note, _time_note(m["time"])))
    if _TWO_DIGIT_YEAR.match(text):
        raise ParseError(
            raw,
            f"{_quote(text)} has a two-digit year, which is ambiguous; write the year in full (dd.mm.yyyy)",
        )
    if _SERIAL_TEXT.match(text):
        parsed = excel_serial_to_date(raw, float(text.replace(",", ".")))
        return Parsed(parsed.value, _join(note, parsed.note))
    raise ParseError(
        raw,
        f"{_quote(text)} is not a date: expected dd.mm.yyyy, dd/mm/yyyy, yyyy-mm-dd "
        "or an Excel serial number",
    )


def parse_date(value: object) -> Parsed[datetime.date]:
    """A date, read day-first; see the module docstring for the accepted spellings."""
    if _is_blank(value):
        return Parsed(None)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)  # type: ignore[arg-type]
    if isinstance(value, datetime.datetime):
        date = _check_year(value, value.isoformat(sep=" "), value.date())
        note = None if value.time() == datetime.time(0) else "time of day dropped"
        return Parsed(date, note)
    if isinstance(value, datetime.date):
        return Parsed(_check_year(value, value.isoformat(), value))
    if _is_bool(value):
        raise ParseError(value, f"{_quote(_show(value))} (a true/false cell) is not a date")
    if _is_number(value):
        return excel_serial_to_date(value, _to_float(value))
    if isinstance(value, str):
        text, note = _prepare(value)
        if text is None:
            return Parsed(None, note)
        parsed = _parse_date_text(value, text)
        return Parsed(parsed.value, _join(note, parsed.note))
    raise ParseError(value, f"{_quote(_show(value))} is not a date (a {type(value).__name__} cell)")


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

_EXP = r"(?:[eE][+-]?\d+)?"
_PLAIN_POINT = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)" + _EXP + "$", re.ASCII)
_PLAIN_COMMA = re.compile(r"^(?:\d+,\d*|,\d+)" + _EXP + "$", re.ASCII)
_SPACE_THOUSANDS = re.compile(r"^\d{1,3}(?: \d{3})+(?:[.,]\d+)?$", re.ASCII)
_COMMA_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+\.\d+$", re.ASCII)
_POINT_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+,\d+$", re.ASCII)
_BOUND = re.compile(r"^(?:<|>|≤|≥|<=|>=|менее|более|меньше|больше)\s*\d", re.ASCII)


def _read_decimal_text(raw: object, text: str) -> tuple[Decimal, str | None]:
    """An unsigned decimal written as text (no sign, no '%'): its Decimal value and a note.

    Decimal comma or point; thousands in space groups; comma thousands only before a decimal point;
    point thousands only before a decimal comma; exponent notation. Raises ParseError otherwise.
    """
    notes: list[str] = []
    body = text
    if _SPACE_THOUSANDS.match(body):
        body = body.replace(" ", "")
        notes.append("thousands separator space removed")
    elif _COMMA_THOUSANDS.match(body):
        body = body.replace(",", "")
        notes.append("comma thousands separator removed")
    elif _POINT_THOUSANDS.match(body):
        body = body.replace(".", "")
        notes.append("point thousands separator removed")
    if _PLAIN_COMMA.match(body):
        body = body.replace(",", ".")
        notes.append("decimal comma read as decimal point")
    elif not _PLAIN_POINT.match(body):
        raise ParseError(raw, f"{_quote(text)} is not a number")
    try:
        return Decimal(body), _join(*notes)
    except InvalidOperation:  # pragma: no cover - the regular expressions exclude this
        raise ParseError(raw, f"{_quote(text)} is not a number") from None


def _split_sign(text: str) -> tuple[int, str, str | None]:
    """Split a leading sign (+, -, Unicode minus) from the text."""
    if text[:1] in "+-−" and len(text) > 1:
        note = "Unicode minus read as '-'" if text[0] == "−" else None
        return (-1 if text[0] in "-−" else 1), text[1:].lstrip(), note
    return 1, text, None


def _parse_number_text(raw: object, text: str) -> tuple[Decimal, str | None]:
    """A signed number written as text, with an optional '%' sign."""
    notes: list[str | None] = []
    if text.startswith("%") or text.endswith("%"):
        text = text.strip("%").strip()
        notes.append("'%' sign removed")
        if not text:
            raise ParseError(raw, f"{_quote(str(raw).strip())} is not a number")
    if _BOUND.match(text):
        raise ParseError(raw, f"{_quote(text)} is a bound, not a number")
    sign, body, sign_note = _split_sign(text)
    value, note = _read_decimal_text(raw, body)
    return sign * value, _join(sign_note, note, *notes)


def _decimal_to_float(raw: object, shown: str, value: Decimal) -> float:
    """A finite float from a Decimal (ParseError if it overflows)."""
    f = float(value)
    if not math.isfinite(f):
        raise ParseError(raw, f"{_quote(shown)} is too large to be a number")
    return f + 0.0 if f != 0 else 0.0


def parse_number(value: object) -> Parsed[float]:
    """A real number; see the module docstring for the accepted spellings."""
    if _is_blank(value):
        return Parsed(None)
    if _is_bool(value):
        raise ParseError(value, f"{_quote(_show(value))} (a true/false cell) is not a number")
    if _is_number(value):
        f = _to_float(value)
        if not math.isfinite(f):
            raise ParseError(value, f"{_quote(repr(f))} is not a finite number")
        return Parsed(f + 0.0 if f != 0 else 0.0)
    if isinstance(value, str):
        text, note = _prepare(value)
        if text is None:
            return Parsed(None, note)
        number, num_note = _parse_number_text(value, text)
        return Parsed(_decimal_to_float(value, text, number), _join(note, num_note))
    raise ParseError(value, f"{_quote(_show(value))} is not a number (a {type(value).__name__} cell)")


def parse_integer(value: object) -> Parsed[int]:
    """A whole number: "2", "2,0", 2.0 -> 2; 2.5 -> ParseError."""
    parsed = parse_number(value)
    if parsed.value is None:
        return Parsed(None, parsed.note)
    if not parsed.value.is_integer():
        shown = value.strip() if isinstance(value, str) else repr(value)
        raise ParseError(value, f"{_quote(_clean_string(shown)[0])} is not a whole number")
    return Parsed(int(parsed.value), parsed.note)


# --------------------------------------------------------------------------------------------
# Codes: yes/no, sex, vital status
# --------------------------------------------------------------------------------------------

YES_SPELLINGS: frozenset[str] = frozenset(
    {"да", "д", "есть", "имеется", "было", "истина", "yes", "y", "true", "1", "+"}
)
NO_SPELLINGS: frozenset[str] = frozenset(
    {"нет", "н", "отсутствует", "не было", "ложь", "no", "n", "false", "0", "-"}
)
MALE_SPELLINGS: frozenset[str] = frozenset(
    {"м", "муж", "мужской", "мужчина", "мальчик", "мал", "m", "male", "man", "boy"}
)
FEMALE_SPELLINGS: frozenset[str] = frozenset(
    {"ж", "жен", "женский", "женщина", "девочка", "дев", "f", "female", "woman", "girl"}
)
ALIVE_SPELLINGS: frozenset[str] = frozenset(
    {"жив", "жива", "живой", "живая", "жив(а)", "alive", "living", "0"}
)
DEAD_SPELLINGS: frozenset[str] = frozenset(
    {"умер", "умерла", "умер(ла)", "смерть", "летальный исход", "погиб", "погибла",
     "dead", "deceased", "died", "death", "1"}
)


def _code_key(text: str) -> str:
    """The lookup key of a code: case-folded, a trailing '.' removed (unless it is the whole text)."""
    key = text.casefold()
    if len(key) > 1 and key.endswith("."):
        key = key[:-1].rstrip()
    return key


def _code_note(text: str, canonical_spelling: str, label: str) -> str | None:
    """The note for a code: None if canonical, 'Russian code translated', or "'x' read as label"."""
    if text == canonical_spelling:
        return None
    if _CYRILLIC.search(text):
        return "Russian code translated"
    return f"{_quote(text)} read as {label}"


def _lookup_code(
    raw: object,
    table: dict[str, tuple[T, str, str]],
    what: str,
    missing: frozenset[str] = MISSING_TOKENS,
) -> Parsed[T]:
    """Read a coded string cell through ``table`` (key -> (value, canonical spelling, label))."""
    assert isinstance(raw, str)
    text, note = _prepare(raw, missing)
    if text is None:
        return Parsed(None, note)
    key = _code_key(text)
    if key not in table:
        raise ParseError(raw, f"{_quote(text)} is not a recognised {what}")
    value, canonical_spelling, label = table[key]
    return Parsed(value, _join(note, _code_note(text, canonical_spelling, label)))


_YES_NO_TABLE: dict[str, tuple[bool, str, str]] = {
    **{k: (True, "yes", "yes") for k in YES_SPELLINGS},
    **{k: (False, "no", "no") for k in NO_SPELLINGS},
}
_YES_NO_MISSING = MISSING_TOKENS - {"-"}


def parse_yes_no(value: object) -> Parsed[bool]:
    """Yes/no: да/нет, д/н, yes/no, y/n, true/false, 1/0, +/-, есть/нет, ИСТИНА/ЛОЖЬ; case-insensitive."""
    if _is_blank(value):
        return Parsed(None)
    if _is_bool(value):
        return Parsed(bool(value))
    if _is_number(value):
        f = _to_float(value)
        if f == 1:
            return Parsed(True, "'1' read as yes")
        if f == 0:
            return Parsed(False, "'0' read as no")
        raise ParseError(value, f"{_quote(_number_to_text(value))} is not a yes/no answer (expected 1 or 0)")
    if isinstance(value, str):
        return _lookup_code(value, _YES_NO_TABLE, "yes/no answer", _YES_NO_MISSING)
    raise ParseError(value, f"{_quote(_show(value))} is not a yes/no answer (a {type(value).__name__} cell)")


_SEX_TABLE: dict[str, tuple[str, str, str]] = {
    **{k: ("M", "M", "M") for k in MALE_SPELLINGS},
    **{k: ("F", "F", "F") for k in FEMALE_SPELLINGS},
}


def parse_sex(value: object) -> Parsed[str]:
    """Sex as "M" or "F".

    М/Ж (Cyrillic), муж/жен, мужской/женский, мальчик/девочка, m/f, male/female, boy/girl, Latin M/F.
    """
    if _is_blank(value):
        return Parsed(None)
    if isinstance(value, str):
        return _lookup_code(value, _SEX_TABLE, "sex (expected M/F, М/Ж, male/female)")
    raise ParseError(
        value, f"{_quote(_show(value))} is not a recognised sex (expected M/F, М/Ж, male/female)"
    )


_VITAL_TABLE: dict[str, tuple[str, str, str]] = {
    **{k: ("alive", "alive", "alive") for k in ALIVE_SPELLINGS},
    **{k: ("dead", "dead", "dead") for k in DEAD_SPELLINGS},
}


def parse_vital_status(value: object) -> Parsed[str]:
    """Vital status as "alive" or "dead".

    жив/жива/живой, умер/умерла/смерть, alive/dead/deceased, 0/1 (1 = dead).
    """
    if _is_blank(value):
        return Parsed(None)
    if _is_bool(value):
        raise ParseError(value, f"{_quote(_show(value))} (a true/false cell) is not a vital status")
    if _is_number(value):
        f = _to_float(value)
        if f == 1:
            return Parsed("dead", "'1' read as dead")
        if f == 0:
            return Parsed("alive", "'0' read as alive")
        raise ParseError(
            value, f"{_quote(_number_to_text(value))} is not a vital status (expected 0 = alive, 1 = dead)"
        )
    if isinstance(value, str):
        return _lookup_code(value, _VITAL_TABLE, "vital status (expected alive/dead, жив/умер, 0/1)")
    raise ParseError(value, f"{_quote(_show(value))} is not a vital status (a {type(value).__name__} cell)")


def _coded_table(spellings: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, str, str]]:
    """{spelling (lower case): (value, value, value)} from {value: spellings}; each value is its own spelling."""
    return {_code_key(k): (value, value, value) for value, keys in spellings.items() for k in (value, *keys)}


def _coded_parser(table: dict[str, tuple[str, str, str]], what: str) -> Callable[[object], Parsed[str]]:
    """A parser of a coded text column: a known spelling (case-insensitive) -> its value; else an error."""
    def parse(value: object) -> Parsed[str]:
        if _is_blank(value):
            return Parsed(None)
        if _is_number(value) and not _is_bool(value):
            value = _number_to_text(value)
        if isinstance(value, str):
            return _lookup_code(value, table, what)
        raise ParseError(value, f"{_quote(_show(value))} is not a recognised {what}")
    return parse


#: CNS status (CNS1: no blasts in the CSF; CNS2: blasts, < 5 WBC/uL; CNS3: >= 5 WBC/uL or CNS signs).
CNS_STATUS_SPELLINGS: dict[str, tuple[str, ...]] = {
    "CNS1": ("cns 1", "cns-1", "1", "цнс1", "цнс 1", "цнс-1"),
    "CNS2": ("cns 2", "cns-2", "2", "цнс2", "цнс 2", "цнс-2"),
    "CNS3": ("cns 3", "cns-3", "3", "цнс3", "цнс 3", "цнс-3"),
}
MRD_METHOD_SPELLINGS: dict[str, tuple[str, ...]] = {
    "flow": ("fcm", "mfc", "flow cytometry", "flow-mrd", "проточная цитометрия", "проточная", "пц"),
    "PCR": ("rq-pcr", "qpcr", "ig/tcr pcr", "пцр"),
    "NGS": ("next-generation sequencing", "секвенирование", "нгс"),
}
#: EBMT paediatric SOS/VOD severity grades (Corbacioglu et al., Bone Marrow Transplant 2018).
SOS_SEVERITY_SPELLINGS: dict[str, tuple[str, ...]] = {
    "mild": ("лёгкая", "легкая", "лёгкий", "легкий"),
    "moderate": ("средняя", "среднетяжёлая", "среднетяжелая", "умеренная"),
    "severe": ("тяжёлая", "тяжелая"),
    "very severe": ("very_severe", "очень тяжёлая", "очень тяжелая", "крайне тяжёлая", "крайне тяжелая"),
}
SOS_OUTCOME_SPELLINGS: dict[str, tuple[str, ...]] = {
    "resolved": ("resolution", "разрешилась", "разрешился", "разрешение", "выздоровление"),
    "fatal": ("died", "death", "летальный исход", "смерть", "умер", "умерла"),
    "ongoing": ("persisting", "продолжается", "сохраняется"),
}

parse_cns_status = _coded_parser(_coded_table(CNS_STATUS_SPELLINGS), "CNS status (expected CNS1, CNS2 or CNS3)")
parse_mrd_method = _coded_parser(_coded_table(MRD_METHOD_SPELLINGS), "MRD method (expected flow, PCR or NGS)")
parse_sos_severity = _coded_parser(_coded_table(SOS_SEVERITY_SPELLINGS),
                                   "EBMT SOS/VOD severity (expected mild, moderate, severe or very severe)")
parse_sos_outcome = _coded_parser(_coded_table(SOS_OUTCOME_SPELLINGS),
                                  "SOS/VOD outcome (expected resolved, fatal or ongoing)")


# --------------------------------------------------------------------------------------------
# MRD
# --------------------------------------------------------------------------------------------

MRD_NOT_DONE_SPELLINGS: frozenset[str] = frozenset(
    {"not done", "nd", "n/d", "n/a", "na", "not performed", "no material", "н/д", "нд", "н.д.",
     "не выполнено", "не выполнялось", "не проводилось", "не проводили", "не делали",
     "нет материала", "нет данных"}
)
MRD_NEGATIVE_SPELLINGS: frozenset[str] = frozenset(
    {"neg", "negative", "mrd-", "mrd neg", "mrd negative", "mrd-negative", "not detected", "undetectable",
     "не выявлено", "не выявлена", "не обнаружено", "не обнаружена", "не определяется", "отр",
     "отрицательно", "отрицательный", "отрицательная", "моб-", "моб отр", "моб отрицательная",
     "мрб-", "мрб отр", "мрб отрицательная"}
)
MRD_MISSING_SPELLINGS: frozenset[str] = frozenset({"неизвестно", "неизв", "unknown", "unk", "?"})
MRD_POSITIVE_SPELLINGS: frozenset[str] = frozenset(
    {"pos", "positive", "mrd+", "mrd pos", "mrd positive", "detected", "положительно", "положительный",
     "положительная", "пол", "выявлено", "обнаружено", "моб+", "мрб+"}
)

_MRD_LABEL = re.compile(
    r"^(?:mrd|моб|мрб)\s*:?\s*(?=[0-9<>≤≥.,+\-−]|менее|более|меньше|больше|less|more|below|above)",
    re.IGNORECASE,
)
_MRD_QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("<=", "<"), (">=", ">"), ("≤", "<"), ("≥", ">"), ("<", "<"), (">", ">"),
    ("менее", "<"), ("меньше", "<"), ("less than", "<"), ("below", "<"),
    ("более", ">"), ("больше", ">"), ("more than", ">"), ("above", ">"),
)
_NUM = r"[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+"
_TIMES_TEN = re.compile(r"^(?P<m>" + _NUM + r")\s*[xх×*]\s*10\s*\^?\s*(?P<e>[-−]\s*[0-9]+)$", re.IGNORECASE)
_TEN_POWER = re.compile(r"^10\s*(?:\^\s*)?(?P<e>[-−]\s*[0-9]+)$")
_SCI = re.compile(r"^(?P<m>" + _NUM + r")[eEеЕ](?P<e>[+-]?[0-9]+)$")  # Latin or Cyrillic e


def _mrd_fraction(raw: object, text: str) -> Decimal | None:
    """The fraction of cells if ``text`` is in fraction notation (1e-4, 1x10-4, 10^-4), else None."""
    for pattern in (_TIMES_TEN, _SCI):
        m = pattern.match(text)
        if m:
            mantissa = Decimal(m["m"].replace(",", "."))
            exponent = int(m["e"].replace("−", "-").replace(" ", ""))
            return mantissa.scaleb(exponent)
    m = _TEN_POWER.match(text)
    if m:
        return Decimal(1).scaleb(int(m["e"].replace("−", "-").replace(" ", "")))
    return None


def _mrd_qualifier(text: str) -> tuple[str, str, str | None]:
    """Split a leading qualifier: returns (qualifier, rest, note)."""
    low = text.casefold()
    for spelling, qualifier in _MRD_QUALIFIERS:
        if low.startswith(spelling):
            rest = text[len(spelling):].strip()
            note = None if spelling in ("<", ">") else f"{_quote(spelling)} read as '{qualifier}'"
            return qualifier, rest, note
    return "=", text, None


def _mrd_number(raw: object, shown: str, text: str) -> tuple[float, str | None]:
    """The percent and a note for an MRD number without its qualifier."""
    has_percent = text.endswith("%")
    body = text[:-1].strip() if has_percent else text
    if not body:
        raise ParseError(raw, f"MRD value {_quote(shown)} cannot be read: no number")
    if body[:1] in "-−":
        raise ParseError(raw, f"MRD value {_quote(shown)} is negative")
    if body[:1] == "+":
        body = body[1:].strip()
    fraction = None if has_percent else _mrd_fraction(raw, body)
    if fraction is not None:
        percent = fraction * 100
        note: str | None = f"MRD written as a fraction ({body}) converted to percent"
    else:
        try:
            percent, note = _read_decimal_text(raw, body)
        except ParseError:
            raise ParseError(
                raw,
                f"MRD value {_quote(shown)} cannot be read: expected e.g. '0,01%', '<0.01%', '1e-4', "
                "'negative' or 'not done'",
            ) from None
        if not has_percent:
            note = _join(note, "number without '%' read as percent")
    if percent > 100:
        raise ParseError(raw, f"MRD value {_quote(shown)} is more than 100%")
    return _decimal_to_float(raw, shown, percent), note


_NEGATIVE_WORDS = sorted(
    (re.escape(w) for w in MRD_NEGATIVE_SPELLINGS if not w.endswith("-")), key=len, reverse=True
)  # "mrd-" etc. excluded: in "MRD-0,01%" the dash may be a separator
_NEGATIVE_WITH_LIMIT = re.compile(
    r"^(?P<word>" + "|".join(_NEGATIVE_WORDS)
    + r")\.?\s*[,:;]?\s*\(?(?P<rest>[^()]*[0-9][^()]*)\)?$",
    re.IGNORECASE,
)


def _parse_mrd_negative_with_limit(raw: object, text: str) -> Parsed[MRD] | None:
    """A text negative followed by its detection limit ("не выявлено (<0,01%)", "neg <0.01%").

    Read as the limit with qualifier "<" (a stated 0 % stays "= 0"); text_negative is False because
    a number is given. Returns None when the text is not of this form.
    """
    m = _NEGATIVE_WITH_LIMIT.match(text)
    if m is None:
        return None
    rest = m["rest"].strip()
    qualifier, body, _ = _mrd_qualifier(rest)
    if qualifier == ">":
        raise ParseError(raw, f"MRD value {_quote(text)} is contradictory: negative but above a level")
    percent, n_note = _mrd_number(raw, text, body)
    final = "=" if percent == 0 else "<"
    note = _join(f"{_quote(text)} read as negative below the stated limit", n_note)
    return Parsed(MRD(percent, final, True, False), note)


def _parse_mrd_text(raw: object, text: str) -> Parsed[MRD]:
    """An MRD result written as text (cleaned, not blank)."""
    key = _code_key(text)
    key_compact = key.replace(" ", "")
    if key in MRD_MISSING_SPELLINGS:
        return Parsed(None, _missing_token_note(text))
    if key in ("-", "—", "–"):
        raise ParseError(raw, f"MRD value {_quote(text)} is ambiguous (negative, not done or missing?)")
    if key in MRD_NOT_DONE_SPELLINGS:
        note = None if key == "not done" and text == "not done" else f"{_quote(text)} read as not done"
        return Parsed(MRD(None, "=", False, False), note)
    if key in MRD_NEGATIVE_SPELLINGS or key_compact in MRD_NEGATIVE_SPELLINGS:
        note = None if text == "negative" else f"{_quote(text)} read as negative"
        return Parsed(MRD(None, "<", True, True), note)
    if key in MRD_POSITIVE_SPELLINGS or key_compact in MRD_POSITIVE_SPELLINGS:
        raise ParseError(raw, f"MRD value {_quote(text)} is positive without a level; give the percentage")
    negative_with_limit = _parse_mrd_negative_with_limit(raw, text)
    if negative_with_limit is not None:
        return negative_with_limit
    body = text
    notes: list[str | None] = []
    m = _MRD_LABEL.match(body)
    if m:
        body = body[m.end():].strip()
        notes.append("MRD label removed")
    qualifier, body, q_note = _mrd_qualifier(body)
    notes.append(q_note)
    percent, n_note = _mrd_number(raw, text, body)
    notes.append(n_note)
    return Parsed(MRD(percent, qualifier, True, False), _join(*notes))


def parse_mrd(value: object) -> Parsed[MRD]:
    """Flow-cytometry MRD as written; see the module docstring for the accepted spellings."""
    if _is_blank(value):
        return Parsed(None)
    if _is_bool(value):
        raise ParseError(value, f"MRD value {_quote(_show(value))} (a true/false cell) cannot be read")
    if _is_number(value):
        f = _to_float(value)
        shown = _number_to_text(value)
        if not math.isfinite(f):
            raise ParseError(value, f"MRD value {_quote(shown)} is not a finite number")
        if f < 0:
            raise ParseError(value, f"MRD value {_quote(shown)} is negative")
        if f > 100:
            raise ParseError(value, f"MRD value {_quote(shown)} is more than 100%")
        return Parsed(MRD(f + 0.0, "=", True, False), "number without '%' read as percent")
    if isinstance(value, str):
        text, note = _clean_string(value)
        if not text:
            return Parsed(None)
        _check_excel_error(value, text)
        parsed = _parse_mrd_text(value, text)
        return Parsed(parsed.value, _join(note, parsed.note))
    raise ParseError(
        value, f"MRD value {_quote(_show(value))} cannot be read (a {type(value).__name__} cell)"
    )


# --------------------------------------------------------------------------------------------
# Registry and vectorised driver
# --------------------------------------------------------------------------------------------

PARSERS: dict[str, Callable[[object], Parsed]] = {
    "id": parse_id,
    "text": parse_text,
    "date": parse_date,
    "number": parse_number,
    "integer": parse_integer,
    "yes_no": parse_yes_no,
    "sex": parse_sex,
    "vital_status": parse_vital_status,
    "mrd": parse_mrd,
    "cns_status": parse_cns_status,
    "mrd_method": parse_mrd_method,
    "sos_severity": parse_sos_severity,
    "sos_outcome": parse_sos_outcome,
}

_BLANK_RESULT: tuple[object, str | None, str | None] = (None, None, None)


def _parse_one(parser: Callable[[object], Parsed], value: object) -> tuple[object, str | None, str | None]:
    """(value, note, error reason) for one cell."""
    try:
        parsed = parser(value)
    except ParseError as err:
        return None, None, err.reason
    return parsed.value, parsed.note, None


#: Parsed cells by (type, value), shared by the columns of one kind so each distinct value is read once.
ParseCache = dict[tuple[type, object], tuple[object, "str | None", "str | None"]]


def parse_series(
    values: pd.Series, kind: str, cache: ParseCache | None = None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse a column of raw cells with the parser of ``kind``.

    Only the distinct values are parsed (cells are keyed by type and value, so 1, 1.0 and True are
    parsed separately). Returns three object Series aligned to ``values.index``: the parsed values
    (None where blank or unreadable), the notes (None where nothing was normalised) and the error
    reasons (None where the cell was read). ``cache`` (a dict the caller keeps, one per kind) carries
    the parsed distinct values over to the next column of the same kind: the patient IDs of one
    table are mostly those of the others.
    """
    column = parse_column(values, kind, cache)
    return column.values, column.notes, column.errors


@dataclass(frozen=True)
class ParsedColumn:
    """What `parse_series` returns, with the masks a caller would get from isna / notna on it.

    Held as the results of the distinct cells (`distinct`: values, notes, errors, one entry per
    distinct cell and a last one for blank cells) and a code per cell into them (`codes`); the Series
    and masks are those spread to the cells (made when first asked for). A caller that keeps to
    `distinct` and `codes` does its work once per distinct cell. The masks come from the distinct
    values (isna is elementwise, so the result is the same).
    """

    index: pd.Index
    name: object
    distinct: tuple[np.ndarray, np.ndarray, np.ndarray]
    codes: np.ndarray

    def _spread(self, part: int) -> pd.Series:
        return pd.Series(self.distinct[part].take(self.codes), index=self.index, dtype=object, name=self.name)

    @cached_property
    def values(self) -> pd.Series:
        return self._spread(0)

    @cached_property
    def notes(self) -> pd.Series:
        return self._spread(1)

    @cached_property
    def errors(self) -> pd.Series:
        return self._spread(2)

    @cached_property
    def missing(self) -> np.ndarray:  # values.isna()
        return pd.isna(self.distinct[0]).take(self.codes)

    @cached_property
    def noted(self) -> np.ndarray:  # notes.notna()
        return pd.notna(self.distinct[1]).take(self.codes)

    @cached_property
    def unreadable(self) -> np.ndarray:  # errors.notna()
        return pd.notna(self.distinct[2]).take(self.codes)


def parse_column(values: pd.Series, kind: str, cache: ParseCache | None = None) -> ParsedColumn:
    """`parse_series`, as a ParsedColumn.

    A categorical column (a CSV column as `ino_study.records.read` gives it) is parsed category by
    category; a column of strings and blanks is factorised first; any other column cell by cell.
    """
    try:
        parser = PARSERS[kind]
    except KeyError:
        raise ValueError(f"unknown column kind {kind!r}; expected one of {sorted(PARSERS)}") from None
    if cache is None:
        cache = {}
    index, name = values.index, values.name
    if isinstance(values.dtype, pd.CategoricalDtype):
        coded = _parse_categories(values, parser, cache)
    else:
        coded = _parse_text_codes(values, parser, cache)
    if coded is not None:
        return ParsedColumn(index, name, *coded)
    parts = _parse_cells(values.tolist(), parser, cache)
    distinct = tuple(np.array([*part, None], dtype=object) for part in parts)
    return ParsedColumn(index, name, distinct, np.arange(len(values)))


def _parse_categories(values: pd.Series, parser: Callable[[object], Parsed], cache: ParseCache
                      ) -> tuple[tuple[np.ndarray, ...], np.ndarray] | None:
    """(distinct results, codes) of a categorical column whose categories are str, or None."""
    categories = values.cat.categories
    if len(categories) and pd.api.types.infer_dtype(categories, skipna=False) != "string":
        return None  # (a str subclass reads as its str: the parsers see no difference)
    uniques = categories.to_numpy(dtype=object)
    codes = values.cat.codes.to_numpy()
    return _parse_distinct_texts(uniques, parser, cache), np.where(codes < 0, len(uniques), codes)


def _cache_key(cell: object) -> object:
    """A cell's key in a ParseCache: (type, value), or the string itself for a str (the usual cell)."""
    return cell if type(cell) is str else (type(cell), cell)


def _parse_cells(
    cells: list[object], parser: Callable[[object], Parsed], cache: ParseCache
) -> tuple[list[object], list[str | None], list[str | None]]:
    """The general path: cell by cell, each distinct (type, value) parsed once."""
    out_values: list[object] = []
    out_notes: list[str | None] = []
    out_errors: list[str | None] = []
    for cell in cells:
        if _is_blank(cell):
            result = _BLANK_RESULT
        else:
            try:
                key = _cache_key(cell)
                result = cache.get(key)  # type: ignore[assignment]
                if result is None:
                    result = _parse_one(parser, cell)
                    cache[key] = result
            except TypeError:  # unhashable cell
                result = _parse_one(parser, cell)
        out_values.append(result[0])
        out_notes.append(result[1])
        out_errors.append(result[2])
    return out_values, out_notes, out_errors


def _parse_text_codes(values: pd.Series, parser: Callable[[object], Parsed], cache: ParseCache
                      ) -> tuple[tuple[np.ndarray, ...], np.ndarray] | None:
    """(distinct results, codes) of a column whose cells are all ``str`` or blank, or None.

    The column is factorised (one integer code per cell, the distinct strings once) and each distinct
    string is parsed; blank cells take the last entry. None when a cell is of another type (a
    workbook's numbers and dates keep the general path, where 1, 1.0 and True stay distinct).
    """
    cells = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):
        return None
    codes, uniques = factorize_exactly(cells)
    if not set(map(type, uniques)) <= {str}:  # a str subclass is its own key in the general path
        return None
    missing = np.flatnonzero(codes < 0)
    if not all(_is_blank(cell) for cell in cells[missing] if cell is not None):  # e.g. Decimal('NaN')
        return None
    take = np.where(codes < 0, len(uniques), codes) if len(missing) else codes
    return _parse_distinct_texts(uniques, parser, cache), take


def factorize_exactly(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize(cells)` (missing cells -1), checked: each code gives back its cell.

    pandas compares strings as C strings there: text after a NUL character is not seen, so 'a' and
    'a\\x00b' would share a code. When that happens the column is factorised cell by cell.
    """
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    present = codes >= 0
    if (uniques.take(codes[present]) == cells[present]).all():
        return codes, uniques
    seen: dict = {}
    codes = np.array([-1 if pd.isna(cell) else seen.setdefault(cell, len(seen)) for cell in cells.tolist()],
                     dtype=np.intp)
    return codes, np.array(list(seen), dtype=object)


def _parse_text_column(
    values: pd.Series, parser: Callable[[object], Parsed], cache: ParseCache
) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
    """The fast path for a column whose cells are all ``str`` or blank (every CSV column).

    The same results as the general path, with the per-cell work done by numpy. Returns None when a
    cell is of another type. Returns the values, notes and errors, and the masks values.isna(),
    notes.notna(), errors.notna().
    """
    coded = _parse_text_codes(values, parser, cache)
    if coded is None:
        return None
    distinct, take = coded
    masks = [pd.isna(distinct[0]), pd.notna(distinct[1]), pd.notna(distinct[2])]
    return [part.take(take) for part in distinct], [mask.take(take) for mask in masks]


def _parse_distinct_texts(uniques: np.ndarray, parser: Callable[[object], Parsed], cache: ParseCache
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, notes and errors of each distinct string (through `cache`), and a last entry for blanks."""
    if parser in _TEXT_PARSERS:
        return _parse_distinct_clean_texts(uniques, parser, cache)
    parsed = list(map(cache.get, uniques))
    new = [i for i, result in enumerate(parsed) if result is None]
    if new:
        texts = uniques[new].tolist()
        for i, text, result in zip(new, texts, _parse_new_texts(texts, parser)):
            parsed[i] = cache[text] = result
    parsed.append(_BLANK_RESULT)
    return tuple(np.fromiter(map(itemgetter(part), parsed), dtype=object, count=len(parsed)) for part in range(3))


def _parse_distinct_clean_texts(uniques: np.ndarray, parser: Callable[[object], Parsed], cache: ParseCache
                                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_parse_distinct_texts` for the text parsers: a string already clean is its own value (no note,
    no error), found for all strings at once; the others are parsed (through `cache`)."""
    clean = clean_text_mask(uniques)
    values = np.append(uniques, None).astype(object)
    notes = np.full(len(uniques) + 1, None, dtype=object)
    errors = np.full(len(uniques) + 1, None, dtype=object)
    for i in np.flatnonzero(~clean).tolist():
        text = uniques[i]
        result = cache.get(text)
        if result is None:
            result = cache[text] = _parse_one(parser, text)
        values[i], notes[i], errors[i] = result
    return values, notes, errors


#: Python's whitespace (what `str.isspace` and `\\s` in a str pattern match), spelled out for a
#: regular expression engine whose `\\s` is ASCII only (RE2, used by pyarrow).
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                 "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def re2_class(characters: str) -> str:
    """The characters as the inside of an RE2 character class (each as an \\x{...} escape)."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in characters)


_NOT_WORD = re2_class(PY_WHITESPACE + _INVISIBLE)
#: `_CLEAN_TEXT` (fullmatch) with a first character other than '#' (no Excel error value), for RE2.
CLEAN_TEXT_RE2 = f"^[^{_NOT_WORD}#][^{_NOT_WORD}]*(?: [^{_NOT_WORD}]+)*$"


def clean_text_mask(texts: np.ndarray) -> np.ndarray:
    """Per string: already clean (`_CLEAN_TEXT.fullmatch`) and not starting with '#', computed by
    pyarrow (RE2) over the whole array at once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(texts):
        return np.zeros(0, dtype=bool)
    matched = pc.match_substring_regex(pa.array(texts, type=pa.string()), CLEAN_TEXT_RE2)
    return matched.to_numpy(zero_copy_only=False).astype(bool)


def _parse_new_texts(texts: list[str], parser: Callable[[object], Parsed]) -> list[tuple]:
    """(value, note, error) of each string (not blank: str cells never are)."""
    if parser in _TEXT_PARSERS:
        # text already clean is its own value without a note (normalise_text); an Excel error value
        # starts with '#', so one that does not cannot be one
        return [(text, None, None) if _CLEAN_TEXT.fullmatch(text) and text[0] != "#" else _parse_one(parser, text)
                for text in texts]
    return [_parse_one(parser, text) for text in texts]


#: Parsers that read a string cell as `normalise_text` does.
_TEXT_PARSERS = frozenset({parse_id, parse_text, normalise_text})
