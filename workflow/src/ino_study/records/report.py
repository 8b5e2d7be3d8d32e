"""The data-quality report: every correction, warning and exclusion, and the patient flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from ino_study.outputs.io import write_csv, write_text
from ino_study.records.column_map import mapping_rows
from ino_study.records.quality import Finding, findings_frame

#: Rows listed per section of the Markdown report; the CSV always has all of them.
MARKDOWN_ROWS = 200

SECTIONS = (
    ("exclusion", "Exclusions", "Patients not analysed, and records kept out of the analysis."),
    ("warning", "Warnings", "Values the pipeline could not use; the analysis treats them as missing."),
    ("correction", "Corrections", "Normalisations applied to the raw values; the raw file is unchanged."),
)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""
    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
            return ""
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def quality_markdown(findings: pd.DataFrame, flow: pd.DataFrame, source: str, rules: Any,
                     column_map: Mapping[str, Any] | None = None, centres: Sequence[Any] | None = None) -> str:
    """The readable report (with the column map applied, when one is configured).

    `centres` (several centres pooled, `ino_study.records.centres.Centre`): the report says which
    file each centre sent, lists each centre's column map, and counts the findings per centre; the
    patient flow then has a column per centre and the pooled one."""
    lines = [
        "# Data-quality report",
        "",
        f"Raw data: `{source}`. Data cut-off: {rules.cutoff_date}. Study window of the first InO dose: "
        f"{rules.window_start} to {rules.window_end}. Maximum age at the first dose: {rules.max_age_years:g} years.",
        "",
    ]
    if centres:
        mapping = [(c.name, *row) for c in centres for row in mapping_rows(c.column_map)]
        columns = ["centre", "table", "header", "contract column"]
    else:
        mapping, columns = mapping_rows(column_map), ["table", "header", "contract column"]
    if mapping:
        lines += [
            "## Column map",
            "",
            "Headers of the raw data read as contract columns (config key `column_map`).",
            "",
            markdown_table(pd.DataFrame(mapping, columns=columns)),
            "",
        ]
    if centres:
        lines += [
            "## Centres",
            "",
            "Several centres pooled (config key `raw_data`); patient IDs are `<centre>-<id>`. Findings per "
            "centre (each finding's source names its centre):",
            "",
            markdown_table(_findings_per_centre(findings, centres)),
            "",
        ]
    lines += [
        "## Patient flow",
        "",
        markdown_table(flow),
        "",
        "Patients in the raw data = patients analysed + patients excluded (first failing reason, in the "
        "order listed)" + (", per centre and pooled (`patients`)." if centres else "."),
        "",
    ]
    for severity, title, meaning in SECTIONS:
        part = findings[findings["severity"] == severity].drop(columns=["severity"])
        lines += [f"## {title} ({len(part)})", "", meaning, ""]
        if part.empty:
            lines += ["None.", ""]
            continue
        lines += [markdown_table(part.head(MARKDOWN_ROWS)), ""]
        if len(part) > MARKDOWN_ROWS:
            lines += [f"... and {len(part) - MARKDOWN_ROWS} more in findings.csv.", ""]
    return "\n".join(lines)


def _findings_per_centre(findings: pd.DataFrame, centres: Sequence[Any]) -> pd.DataFrame:
    """Per centre (and pooled), the number of findings of each severity."""
    rows = []
    for centre in centres:
        mine = findings[findings["source"].str.startswith(f"{centre.label}: ")] if len(findings) else findings
        rows.append([centre.name, *(int((mine["severity"] == s).sum()) if len(mine) else 0 for s, _, _ in SECTIONS)])
    rows.append(["all centres", *(int((findings["severity"] == s).sum()) if len(findings) else 0
                                  for s, _, _ in SECTIONS)])
    return pd.DataFrame(rows, columns=["centre", *(title.lower() for _, title, _ in SECTIONS)])


def write_quality_report(findings: Iterable[Finding], flow: pd.DataFrame, findings_csv: str | Path,
                         report_md: str | Path, flow_csv: str | Path, source: str, rules: Any,
                         column_map: Mapping[str, Any] | None = None, centres: Sequence[Any] | None = None) -> None:
    frame = findings_frame(findings)
    write_csv(frame, findings_csv)
    write_csv(flow, flow_csv)
    write_text(quality_markdown(frame, flow, source, rules, column_map, centres), report_md)
