"""Table 1: baseline characteristics of the included patients, like gtsummary's tbl_summary.

Continuous variables: median [min-max]; categorical: n (%) with the column's N as denominator;
missing values as an 'Unknown' row, so the counts of every categorical variable add up to N.
The variables of the optional contract columns (CNS status, extramedullary disease, prior lines, CR1,
MRD method and detection limit) are shown as gtsummary's tbl_summary shows them by default: median
(Q1, Q3), percentiles as `quantile(type = 2)` (gtsummary/cards documentation), and n (%) with missing
values as a 'Not recorded' row (an export without the column gives one 'Not recorded' row of N (100%)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ino_study.endpoints.labels import Labels
from ino_study.outputs.formats import PERCENT_DECIMALS, format_count, format_count_percent
from ino_study.statistics.distinct import map_distinct

#: (column, label, kind) in display order; the label is the machine-readable CSV's (table1.csv keeps
#: it); the Markdown/XLSX/DOCX tables take theirs from the analysis-dataset dictionary (`Labels`).
VARIABLES = (
    ("sex", "Sex", "categorical"),
    ("age_at_first_dose_years", "Age at first InO dose, years", "continuous"),
    ("age_group", "Age group", "categorical"),
    ("refractory", "Disease status", "categorical"),
    ("relapse_number", "Number of prior relapses", "categorical"),
    ("prior_hsct", "Prior HSCT", "categorical"),
    ("prior_blinatumomab", "Prior blinatumomab", "categorical"),
    ("prior_car_t", "Prior CAR-T", "categorical"),
    ("cytogenetics", "Cytogenetics", "categorical"),
    ("prior_lines", "Prior lines of therapy", "median_iqr"),
    ("cr1_duration_months", "Duration of CR1, months", "median_iqr"),
    ("cr1_duration_group", "Duration of CR1", "categorical"),
    ("cd22_pct", "CD22 expression, % of blasts", "continuous"),
    ("baseline_blasts_pct", "Marrow blasts at start, %", "continuous"),
    ("cns_status", "CNS status", "categorical"),
    ("extramedullary_disease", "Extramedullary disease", "categorical"),
    ("dose_group", "InO dose group", "categorical"),
    ("n_cycles", "InO cycles", "continuous"),
    ("cumulative_dose_mg_m2", "Cumulative InO dose, mg/m2", "continuous"),
    ("hsct_after_ino", "HSCT after InO", "categorical"),
    ("mrd_method", "MRD method", "categorical"),
    ("mrd_detection_limit_pct", "MRD detection limit, %", "median_iqr"),
)
#: Variables of optional contract columns: a missing value is 'Not recorded' (not 'Unknown').
NOT_RECORDED_VARIABLES = frozenset({"prior_lines", "cr1_duration_months", "cr1_duration_group", "cns_status",
                                    "extramedullary_disease", "mrd_method", "mrd_detection_limit_pct"})
NOT_RECORDED = "Not recorded"
#: A missing value that is not always "not recorded": CR1 has no duration in primary refractory disease.
MISSING_LEVELS = {"cr1_duration_months": "Primary refractory or not recorded"}
COLUMNS = ["variable", "label", "level", "kind"]


def _level(value: object, missing: str = "Unknown") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return missing
    if isinstance(value, (bool, np.bool_)):
        return "Yes" if value else "No"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _number(value: float) -> str:
    return f"{value:.1f}" if not float(value).is_integer() else f"{int(value)}"


def _continuous(values: pd.Series) -> str:
    known = pd.to_numeric(values, errors="coerce").dropna()
    if known.empty:
        return "-"
    return f"{_number(known.median())} [{_number(known.min())}-{_number(known.max())}]"


def _quartiles(values: pd.Series) -> str:
    """median (Q1, Q3), as gtsummary's default "{median} ({p25}, {p75})", percentiles by R's quantile
    type 2 (numpy's averaged_inverted_cdf); '-' when nothing is recorded."""
    known = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if not len(known):
        return "-"
    q1, q3 = np.quantile(known, [0.25, 0.75], method="averaged_inverted_cdf")
    return f"{float(np.median(known)):.3g} ({float(q1):.3g}, {float(q3):.3g})"  # 3 significant digits


def _count(k: int, n: int) -> str:
    return format_count_percent(k, n, PERCENT_DECIMALS["table1"]) if n else "0"


def unrecorded_variables(adsl: pd.DataFrame) -> list[str]:
    """The optional variables no included patient has a value of (the export lacks the column, or leaves
    it blank): Table 1 shows them as 'Not recorded' and its note says so."""
    included = adsl["included"].to_numpy(bool)
    return [v for v, _, _ in VARIABLES
            if v in NOT_RECORDED_VARIABLES and v in adsl and adsl[v].isna().to_numpy()[included].all()]


def column_header(name: str, n: int) -> str:
    return f"{name}, N = {format_count(n)}"


def table1(adsl: pd.DataFrame, by: str | None = None, labels: Labels | None = None) -> pd.DataFrame:
    """Table 1 of the included patients; with `by`, one extra column per level of that variable.

    Without `labels` the machine-readable form (table1.csv, unchanged: column names in the headers,
    levels as recorded); with `labels` the reader's form: variable and level labels from the
    analysis-dataset dictionary and config `labels` ("Prior HSCT: Yes, N = 6")."""
    # the table's columns as masks of the included patients (None: all of them); a variable's values are
    # taken per column, not the whole frame copied per column and its labels looked up by index
    wanted = [v for v, _, _ in VARIABLES if v in adsl.columns] + ([by] if by and by in adsl.columns else [])
    included = adsl.loc[adsl["included"].to_numpy(bool), list(dict.fromkeys(wanted))]
    columns: list[tuple[str, np.ndarray | None]] = [(column_header("Overall", len(included)), None)]
    if by:
        levels_by = map_distinct(included[by], _level)
        for level in sorted(levels_by.unique()):
            mask = (levels_by == level).to_numpy()
            name = f"{by} = {level}" if labels is None else f"{labels.variable(by)}: {labels.level(by, level)}"
            columns.append((column_header(name, int(mask.sum())), mask))

    def part(values: pd.Series, mask: np.ndarray | None) -> pd.Series:
        return values if mask is None else values[mask]

    sizes = [len(included) if mask is None else int(mask.sum()) for _, mask in columns]
    rows = []
    for variable, label, kind in VARIABLES:
        if variable not in included.columns:
            continue
        if labels is not None:
            label = labels.variable(variable)
        missing_level = MISSING_LEVELS.get(variable, NOT_RECORDED if variable in NOT_RECORDED_VARIABLES else "Unknown")
        values = included[variable]
        if kind in ("continuous", "median_iqr"):
            level = "Median [range]" if kind == "continuous" else "Median (Q1, Q3)"
            summary = _continuous if kind == "continuous" else _quartiles
            row = {"variable": variable, "label": label, "level": level, "kind": "continuous"}
            for header, mask in columns:
                row[header] = summary(part(values, mask))
            rows.append(row)
            absent = values.isna().to_numpy()
            if absent.any():
                row = {"variable": variable, "label": label, "level": missing_level, "kind": "missing"}
                for header, mask in columns:
                    row[header] = format_count(int(absent.sum() if mask is None else absent[mask].sum()))
                rows.append(row)
            continue
        # once per variable: each patient's level as a code, counted per column
        value_codes, values_seen = pd.factorize(values, use_na_sentinel=False)  # as map_distinct: NaN, None kept
        label_codes, distinct = pd.factorize(np.array([_level(v, missing_level) for v in values_seen], dtype=object))
        codes = label_codes[value_codes]
        order = sorted(distinct, key=lambda v: (v == missing_level, v))
        counts = [dict(zip(distinct, np.bincount(codes if mask is None else codes[mask], minlength=len(distinct))))
                  for _, mask in columns]
        for level in order:
            shown = level if labels is None else labels.level(variable, level)
            row = {"variable": variable, "label": label, "level": shown, "kind": kind}
            for (header, _), count, size in zip(columns, counts, sizes):
                row[header] = _count(int(count[level]), size)
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS + [header for header, _ in columns])


def display(table: pd.DataFrame) -> pd.DataFrame:
    """The printed form: characteristic label on its first row only, no helper columns."""
    out = table.drop(columns=["variable", "kind"]).copy()
    out["label"] = out["label"].where(~out["label"].duplicated(), "")
    return out.rename(columns={"label": "Characteristic", "level": ""})
