"""Checks that a Russian text (config `language: ru`, issue #26) has no English left in it.

"No English word remains" is checked so: every run of Latin letters in a Russian text must be a
word the reviewed catalogue itself keeps in Latin letters on its Russian side (e.g. 'CAR-T',
'CTCAE', 'p'; a placeholder's name such as {value} is not a word of the text) or data the text
quotes: a file path, an identifier, a raw value as the centre typed it. Anything else is English that
escaped translation.

The data-quality report is checked cell by cell against the English findings (findings.csv keeps
English): the table, column and patient ID cells are identifiers and must be exactly the English
ones; a raw value must be exactly as typed; the rule, action, source and the pipeline's own values
must have no English word once the raw values they quote ('...') and Markdown code (`...`) are set aside.
"""

from __future__ import annotations

import csv
import functools
import re

import pandas as pd

from ino_study.outputs import language as lang
from ino_study.records.report import MARKDOWN_ROWS, SECTIONS

LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-/.][A-Za-z0-9]+)*")
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
QUOTED = re.compile(r"'[^']*'|`[^`]*`")


@functools.lru_cache(maxsize=1)
def latin_kept_by_the_catalogue() -> frozenset[str]:
    with lang.catalogue_path("ru").open(encoding="utf-8", newline="") as handle:
        return frozenset(word for row in csv.DictReader(handle)
                         for word in LATIN.findall(PLACEHOLDER.sub("", row["ru"])))


def english_left_in(text: str, paths: tuple[str, ...] = ()) -> list[str]:
    for path in sorted(paths, key=len, reverse=True):
        if path:
            text = text.replace(path, "")
    allowed = latin_kept_by_the_catalogue()
    return sorted({word for word in LATIN.findall(text) if word not in allowed})


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


def _tables(report: str) -> dict[str, list[list[str]]]:
    """The rows of each section's Markdown table (the header first), by the section's heading (without its count)."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in report.splitlines():
        if line.startswith("## "):
            heading = re.sub(r" \(\d+\)$", "", line[3:])
            tables[heading] = []
        elif line.startswith("| ") and heading:
            tables[heading].append(_cells(line))
    return tables  # the header row first; the '|---|' lines do not start with '| '


def english_left_in_report(report: str, findings: pd.DataFrame, centre_names: tuple[str, ...] = ()) -> list[str]:
    """English left in a Russian data-quality report, checked against the English `findings`
    (findings.csv): a list of 'where: word' (empty when the report is all Russian)."""
    problems: list[str] = []
    identifiers = tuple(centre_names)
    for line in report.splitlines():
        if line.startswith("| ") or line.startswith("|---"):
            continue
        problems += [f"text {line[:60]!r}: {w}" for w in english_left_in(QUOTED.sub("", line))]
    tables = _tables(report)
    for name, rows in tables.items():
        if not rows:
            continue
        problems += [f"{name} heading {cell!r}: {w}" for cell in rows[0] for w in english_left_in(cell, identifiers)]
        rows[:] = rows[1:]
        if name == lang.translate("Patient flow", "ru"):
            for row in rows:
                problems += [f"patient flow {row[0]!r}: {w}" for w in english_left_in(row[0])]
        elif name == lang.translate("Centres", "ru"):
            problems += [f"centres {row[0]!r}: {w}" for row in rows[-1:] for w in english_left_in(row[0])]
    for severity, title, _ in SECTIONS:
        english = findings[findings["severity"] == severity].head(MARKDOWN_ROWS)
        rows = tables.get(lang.translate(title, "ru"), tables.get(title, []))  # (an English report: to test the check)
        if english.empty:
            continue
        if len(rows) != len(english):
            problems.append(f"{title}: {len(rows)} rows in the report, {len(english)} findings")
            continue
        for row, finding in zip(rows, english.itertuples(index=False)):
            table, source, number, column, patient, value, rule, action, count = row
            raw = "" if pd.isna(finding.value) else str(finding.value)
            where = f"{title}, {finding.table} row {finding.row}"
            for cell, expected in ((table, finding.table), (column, finding.column), (patient, finding.patient_id)):
                expected = "" if expected is None or pd.isna(expected) else str(expected)
                if cell != expected.replace("|", "\\|"):
                    problems.append(f"{where}: identifier {expected!r} printed as {cell!r}")
            pipeline_value = raw == "<identifier withheld>" or re.fullmatch(r"rows [\d, .]+", raw) is not None
            if not pipeline_value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) and value != raw.replace("|", "\\|").strip():
                problems.append(f"{where}: raw value {raw!r} printed as {value!r}")
            texts = [("rule", rule), ("action", action), ("source", source)] + ([("value", value)] * pipeline_value)
            files = tuple(re.findall(r"[^\s,':]+\.[A-Za-z0-9]+", str(finding.source)))  # the source's file names
            data = (raw,) + identifiers + files
            for kind, text in texts:
                for item in sorted(data, key=len, reverse=True):
                    text = text.replace(item, "") if item else text
                problems += [f"{where}, {kind}: {w}" for w in english_left_in(QUOTED.sub("", text))]
    return problems


def english_left_in_russian_report_of(records, rules) -> list[str]:
    """English left in the Russian data-quality report of cleaned records (ino_study.records.clean.CleanRecords),
    written as the records step writes it."""
    from ino_study.records.quality import findings_frame
    from ino_study.records.report import quality_markdown

    findings = findings_frame(records.findings)
    return english_left_in_report(quality_markdown(findings, records.flow, "export", rules, language="ru"), findings)
