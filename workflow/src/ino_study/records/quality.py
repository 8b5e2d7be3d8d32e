"""Data-quality findings: every correction, warning, exclusion and error the reading step makes.

A finding names where it happened the way the user sees it (file, sheet, Excel row number, column),
the value (never for an identifier column), the rule and what the pipeline did about it. Errors are
collected, not raised one at a time, so that the user gets ONE message listing every problem.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Iterable, Literal

if TYPE_CHECKING:
    import pandas as pd

Severity = Literal["error", "exclusion", "warning", "correction"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "exclusion": 1, "warning": 2, "correction": 3}

FINDING_COLUMNS = ["severity", "table", "source", "row", "column", "patient_id", "value", "rule", "action", "count"]

#: Shown instead of the value of an identifier column.
REDACTED = "<identifier withheld>"


@dataclass(frozen=True)
class Finding:
    """One data-quality finding."""

    severity: Severity
    table: str
    source: str  # file, and sheet for a workbook: "export.xlsx, sheet 'patients'"
    row: int | None  # the row number the user sees in Excel (header = its own row number)
    column: str | None
    patient_id: str | None
    value: str | None
    rule: str
    action: str
    count: int = 1  # > 1 for a correction applied to many cells (rows lists the first ones)

    def location(self) -> str:
        parts = [self.source]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def message(self) -> str:
        value = "" if self.value is None else f" value {self.value!r}:"
        patient = f" (patient {self.patient_id})" if self.patient_id else ""
        return f"{self.location()}:{value} {self.rule}{patient}"


class DataContractError(Exception):
    """The raw records break the contract in ways that cannot be corrected safely.

    str() of the error is the whole, human-readable list of problems.
    """

    def __init__(self, findings: Iterable[Finding]):
        self.findings = [f for f in findings if f.severity == "error"]
        lines = [f"The raw records have {len(self.findings)} problem(s) that must be fixed in the source data:"]
        lines += [f"  {i}. {f.message()}" for i, f in enumerate(self.findings, start=1)]
        super().__init__("\n".join(lines))


def short_value(value: object, limit: int = 60) -> str | None:
    """A printable, bounded rendering of a raw cell value for a report."""
    import pandas as pd  # here, not at the top: the workflow imports this module at every start

    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()  # a date typed in Excel arrives as midnight
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a table in a stable order (severity, table, row, column, rule)."""
    import pandas as pd

    # the fields read directly: dataclasses.asdict deep-copies each one, seconds for many findings
    fields = attrgetter(*FINDING_COLUMNS)
    frame = pd.DataFrame([fields(f) for f in findings], columns=FINDING_COLUMNS)
    if frame.empty:
        return frame
    frame["_severity_rank"] = frame["severity"].map(SEVERITY_ORDER)
    frame["_row"] = frame["row"].fillna(-1)
    frame = frame.sort_values(
        ["_severity_rank", "table", "_row", "column", "rule", "patient_id"], na_position="first", kind="stable"
    ).drop(columns=["_severity_rank", "_row"])
    frame["row"] = frame["row"].astype("Int64")
    return frame.reset_index(drop=True)
