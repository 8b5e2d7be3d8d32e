"""Numbers as journals print them: the one place that turns p-values, counts, percentages, intervals
and confidence levels into the text a reader sees (figures, Markdown/XLSX/DOCX tables, summary.md).

The convention (docs/design.md, "Numbers"):

* p-values: "< 0.001" below 0.001; 3 decimals below 0.01 (0.0042 -> "0.004"); otherwise 2
  significant digits (0.047 -> "0.047", 0.23 -> "0.23", 0.775784 -> "0.78"); "> 0.99" above 0.99.
  Never "0.000" nor "1.000". With a name: "p < 0.001", "p = 0.047", "p > 0.99".
* counts: thousands separators ("628,268").
* percentages: fixed decimals per table (:data:`PERCENT_DECIMALS`); a figure drawing a table's rates
  uses that table's decimals, so the two print the same text for the same number.

Languages (issue #26): every function takes ``language`` ("en", the default, or "ru"). Russian
writes a decimal comma and a non-breaking space between thousands ("40,3%", "628\u00a0268",
"14,8–65,7" with an en dash between the limits, "p < 0,001"); English is as above, unchanged.

Machine-readable files (results/tables/*.csv, results/figures/data/*.csv, summary.json) are not
formatted here: they keep full numbers.
"""

from __future__ import annotations

import math
from typing import Any

#: Below this a p-value prints as "< 0.001"; above P_CEILING as "> 0.99".
P_FLOOR = 0.001
P_CEILING = 0.99
#: Decimals of the percentages of each reader table (by table name); figures of the same rates use these.
PERCENT_DECIMALS = {"table1": 0, "response": 1, "adverse_events": 0, "adverse_events_after_hsct": 0,
                    "survival_summary": 1}
#: Decimals of the percentages in figures and text that have no table of their own (KM, incidence).
DEFAULT_PERCENT_DECIMALS = 1


#: The languages a reader's text can be written in.
LANGUAGES = ("en", "ru")
_NBSP = "\u00a0"
_RANGE_DASH = {"en": "-", "ru": "\u2013"}


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")


def localise_number(text: str, language: str = "en") -> str:
    """An English-formatted number ('628,268.5') as `language` writes it ('628\u00a0268,5' in Russian)."""
    _check_language(language)
    if language == "en":
        return text
    return text.replace(",", _NBSP).replace(".", ",")


def _number(value: Any) -> float | None:
    """The value as a float, or None when missing (None, NaN, pandas NA, not a number)."""
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def format_p(p: Any, missing: str = "NA", language: str = "en") -> str:
    """A p-value per the convention: '< 0.001', '0.004', '0.047', '0.23', '> 0.99'; `missing` for NaN."""
    return localise_number(_format_p(p, missing), language)


def _format_p(p: Any, missing: str) -> str:
    value = _number(p)
    if value is None:
        return missing
    if value < 0 or value > 1 + 1e-9:
        raise ValueError(f"not a p-value: {p!r}")
    if value < P_FLOOR:
        return f"< {P_FLOOR:g}"
    if value > P_CEILING:
        return f"> {P_CEILING:g}"
    if value < 0.01:
        return f"{value:.3f}"
    return f"{value:#.2g}"


def format_p_label(p: Any, name: str = "p", language: str = "en") -> str:
    """'p < 0.001', 'p = 0.047', 'p > 0.99' (`name` e.g. 'Log-rank p'); 'p = NA' when missing."""
    text = format_p(p, language=language)
    return f"{name} {text}" if text[0] in "<>" else f"{name} = {text}"


def format_count(n: Any, missing: str = "NA", language: str = "en") -> str:
    """A count with thousands separators: 999 -> '999', 628268 -> '628,268' ('628\u00a0268' in Russian)."""
    value = _number(n)
    return missing if value is None else localise_number(f"{int(round(value)):,}", language)


def format_percent(value: Any, decimals: int = DEFAULT_PERCENT_DECIMALS, *, scale: float = 100.0,
                   symbol: bool = True, missing: str = "NA", language: str = "en") -> str:
    """A percentage with fixed decimals; `value` is a fraction (scale 100) or already in % (scale=1)."""
    number = _number(value)
    if number is None:
        return missing
    return localise_number(f"{number * scale:.{decimals}f}", language) + ("%" if symbol else "")


def format_ci(lower: Any, upper: Any, decimals: int = DEFAULT_PERCENT_DECIMALS, *, scale: float = 100.0,
              missing: str = "NA", missing_upper: str | None = None, language: str = "en") -> str:
    """An interval 'lower-upper' (no % sign), the limits formatted as by :func:`format_percent`;
    `missing_upper` for an upper limit that is missing (e.g. 'NR', not reached), else `missing`.
    Russian separates the limits with an en dash, since a hyphen beside a decimal comma reads badly."""
    lo = format_percent(lower, decimals, scale=scale, symbol=False, missing=missing, language=language)
    hi = format_percent(upper, decimals, scale=scale, symbol=False,
                        missing=missing if missing_upper is None else missing_upper, language=language)
    return join_range(lo, hi, language)


def join_range(lower: str, upper: str, language: str = "en") -> str:
    """Two limits already written as text joined as `language` joins an interval: '14.8-65.7' in
    English, '14,8\u201365,7' (en dash) in Russian."""
    _check_language(language)
    return f"{lower}{_RANGE_DASH[language]}{upper}"


def format_count_percent(count: Any, denominator: Any, decimals: int = 0, language: str = "en") -> str:
    """'k (x%)' of a denominator: '8 (47%)', '1,000 (12%)'; just the count when the denominator is 0."""
    n = _number(denominator)
    if not n:
        return format_count(count, language=language)
    percent = format_percent(100 * _number(count) / n, decimals, scale=1, language=language)
    return f"{format_count(count, language=language)} ({percent})"


def format_level(level: float, language: str = "en") -> str:
    """A confidence level: 0.95 -> '95%', 0.975 -> '97.5%' ('97,5%' in Russian)."""
    return localise_number(f"{round(float(level) * 100, 6):g}", language) + "%"


def format_date(value: Any, language: str = "en", missing: str = "NA") -> str:
    """A date as each language writes it: ISO 8601 in English ('2023-03-01'), dd.mm.yyyy in Russian."""
    _check_language(language)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    import datetime as dt

    date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return date.isoformat()[:10] if language == "en" else date.strftime("%d.%m.%Y")


def is_p_column(name: Any) -> bool:
    """Columns holding p-values: p, p_value, logrank_p, ph_p_value, ..."""
    text = str(name).lower()
    return text in ("p", "p_value", "pvalue") or text.endswith(("_p", "_p_value", "_pvalue"))


def is_percent_column(name: Any) -> bool:
    """Columns holding percentages (in %): percent, *_pct, *_percent."""
    text = str(name).lower()
    return text in ("percent", "pct") or text.endswith(("_pct", "_percent"))


def reader_cell(column: Any, value: Any, percent_decimals: int = DEFAULT_PERCENT_DECIMALS,
                language: str = "en") -> Any:
    """A table cell as a reader table prints it: p-values per :func:`format_p`, integers with thousands
    separators, percentage columns with the table's decimals, other floats with 6 significant digits,
    missing values empty, text as it is; numbers as `language` writes them (a float stays a float in
    English, and becomes text in another language)."""
    if value is None or value is _pandas_na():
        return ""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and is_p_column(column):
        return format_p(value, missing="", language=language)
    if isinstance(value, int):
        return format_count(value, language=language)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if is_percent_column(column):
            return format_percent(value, percent_decimals, scale=1, symbol=False, language=language)
        return float(f"{value:.6g}") if language == "en" else localise_number(f"{value:.6g}", language)
    return value


def _pandas_na() -> Any:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        return object()
    return pd.NA
