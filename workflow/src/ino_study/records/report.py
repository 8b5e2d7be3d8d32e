"""The data-quality report: every correction, warning and exclusion, and the patient flow."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from ino_study.outputs.formats import format_count, format_date
from ino_study.outputs.io import write_csv, write_text
from ino_study.outputs.language import localise_message, localise_text
from ino_study.records.column_map import mapping_rows
from ino_study.records.quality import REDACTED, Finding, findings_frame

#: Rows listed per section of the Markdown report; the CSV always has all of them.
MARKDOWN_ROWS = 200

SECTIONS = (
    ("exclusion", "Exclusions", "Patients not analysed, and records kept out of the analysis."),
    ("warning", "Warnings", "Values the pipeline could not use; the analysis treats them as missing."),
    ("correction", "Corrections", "Normalisations applied to the raw values; the raw file is unchanged."),
)


def markdown_table(frame: pd.DataFrame, language: str = "en") -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""
    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
            return ""
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(localise_message(str(c), language) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def _heading(source: str, rules: Any, language: str) -> str:
    """The report's first line: the raw data, the cut-off, the study window and the maximum age."""
    if language == "en":
        return (f"Raw data: `{source}`. Data cut-off: {rules.cutoff_date}. Study window of the first InO dose: "
                f"{rules.window_start} to {rules.window_end}. Maximum age at the first dose: "
                f"{rules.max_age_years:g} years.")
    dates = [format_date(d, language) for d in (rules.cutoff_date, rules.window_start, rules.window_end)]
    return (f"{localise_text('Raw data', language)}: `{source}`. {localise_text('Data cut-off', language)}: "
            f"{dates[0]}. {localise_text('Study window of the first InO dose', language)}: {dates[1]}\u2013{dates[2]}. "
            + localise_text(f"Maximum age at the first dose: {rules.max_age_years:g} years.", language))


def _reader_flow(flow: pd.DataFrame, language: str) -> pd.DataFrame:
    """The patient flow as the report prints it: the steps in `language` (patient_flow.csv keeps English)."""
    if language == "en":
        return flow
    out = flow.copy()
    out["step"] = [localise_text(step, language) for step in out["step"]]
    for column in out.columns[1:]:
        out[column] = [format_count(v, language=language) for v in out[column]]
    return out


#: The value of a correction applied to many cells: the rows it was applied to ("rows 2, 6, 12 ...").
_ROWS_VALUE = re.compile(r"rows \d+(?:, \d+)*(?: \.\.\.)?")


def _reader_value(value: Any, language: str) -> Any:
    """A finding's value as the report prints it: the pipeline's own texts (the rows of a correction,
    the withheld identifier) and a date the pipeline read in `language`; a raw value as it was typed."""
    if not isinstance(value, str):
        return value
    if value == REDACTED or _ROWS_VALUE.fullmatch(value):
        return localise_message(value, language)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return format_date(value, language)
        except ValueError:  # not a date: a raw value
            return value
    return value


def _reader_findings(findings: pd.DataFrame, language: str) -> pd.DataFrame:
    """The findings as the report prints them in `language` (findings.csv keeps the English texts): the
    rule and action through the catalogue (keyed by the English text or its template with placeholders,
    ino_study.outputs.language.localise_message); the source's "sheet"; the values the pipeline wrote.
    Table and column names, patient IDs and raw values are data, printed as they are."""
    if language == "en" or findings.empty:
        return findings
    out = findings.copy()
    for column, strict in (("rule", True), ("action", True), ("source", False)):  # a source is a file name
        texts = {text: localise_message(text, language, strict) for text in set(out[column])}  # each text once
        out[column] = out[column].map(texts)
    out["value"] = [_reader_value(value, language) for value in out["value"]]
    out["count"] = [format_count(n, language=language) for n in out["count"]]
    return out


def quality_markdown(findings: pd.DataFrame, flow: pd.DataFrame, source: str, rules: Any,
                     column_map: Mapping[str, Any] | None = None, centres: Sequence[Any] | None = None,
                     language: str = "en") -> str:
    """The readable report (with the column map applied, when one is configured).

    `centres` (several centres pooled, `ino_study.records.centres.Centre`): the report says which
    file each centre sent, lists each centre's column map, and counts the findings per centre; the
    patient flow then has a column per centre and the pooled one.

    `language` (config `language`): the headings, fixed texts, column headings and patient-flow steps
    in that language (ino_study.outputs.language), and the findings' rules and actions (findings.csv
    and patient_flow.csv keep English: they are read by programs)."""
    def t(text: str) -> str:
        return localise_text(text, language)

    lines = [
        f"# {t('Data-quality report')}",
        "",
        _heading(source, rules, language),
        "",
    ]
    if centres:
        mapping = [(c.name, *row) for c in centres for row in mapping_rows(c.column_map)]
        columns = ["centre", "table", "header", "contract column"]
    else:
        mapping, columns = mapping_rows(column_map), ["table", "header", "contract column"]
    if mapping:
        lines += [
            f"## {t('Column map')}",
            "",
            t("Headers of the raw data read as contract columns (config key `column_map`)."),
            "",
            markdown_table(pd.DataFrame(mapping, columns=columns), language),
            "",
        ]
    if centres:
        lines += [
            f"## {t('Centres')}",
            "",
            t("Several centres pooled (config key `raw_data`); patient IDs are `<centre>-<id>`. Findings per "
              "centre (each finding's source names its centre):"),
            "",
            markdown_table(_findings_per_centre(findings, centres, language), language),
            "",
        ]
    lines += [
        f"## {t('Patient flow')}",
        "",
        markdown_table(_reader_flow(flow, language), language),
        "",
        t("Patients in the raw data = patients analysed + patients excluded (first failing reason, in the "
          "order listed)" + (", per centre and pooled (`patients`)." if centres else ".")),
        "",
    ]
    readable = _reader_findings(findings, language)
    for severity, title, meaning in SECTIONS:
        part = readable[readable["severity"] == severity].drop(columns=["severity"])
        lines += [f"## {t(title)} ({format_count(len(part), language=language)})", "", t(meaning), ""]
        if part.empty:
            lines += [t("None."), ""]
            continue
        lines += [markdown_table(part.head(MARKDOWN_ROWS), language), ""]
        if len(part) > MARKDOWN_ROWS:
            lines += [t(f"... and {len(part) - MARKDOWN_ROWS} more in findings.csv."), ""]
    return "\n".join(lines)


def _findings_per_centre(findings: pd.DataFrame, centres: Sequence[Any], language: str = "en") -> pd.DataFrame:
    """Per centre (and pooled), the number of findings of each severity."""
    rows = []
    for centre in centres:
        mine = findings[findings["source"].str.startswith(f"{centre.label}: ")] if len(findings) else findings
        rows.append([centre.name, *(int((mine["severity"] == s).sum()) if len(mine) else 0 for s, _, _ in SECTIONS)])
    rows.append([localise_text("all centres", language), *(int((findings["severity"] == s).sum()) if len(findings) else 0
                                  for s, _, _ in SECTIONS)])
    return pd.DataFrame(rows, columns=["centre", *(title.lower() for _, title, _ in SECTIONS)])


def write_quality_report(findings: Iterable[Finding], flow: pd.DataFrame, findings_csv: str | Path,
                         report_md: str | Path, flow_csv: str | Path, source: str, rules: Any,
                         column_map: Mapping[str, Any] | None = None, centres: Sequence[Any] | None = None,
                         language: str = "en") -> None:
    frame = findings_frame(findings)
    write_csv(frame, findings_csv)
    write_csv(flow, flow_csv)
    write_text(quality_markdown(frame, flow, source, rules, column_map, centres, language), report_md)
