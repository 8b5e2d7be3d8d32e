"""From raw tables to clean, typed, de-identified tables, with every correction and exclusion logged.

Order of work (each step a function below):
1. `parse_table`: every cell read by the parser of its column kind (`ino_study.records.parse`);
   a normalisation is a logged correction, an unreadable value an error (required column) or a
   warning with the value set missing (optional column).
2. `check_values`: the data contract as code (pandera): ranges and allowed values per table.
3. `check_cross_table`: unique IDs, orphans, impossible sequences of dates.
4. `apply_cutoff`: records dated after the data cut-off are kept out of the analysis and listed.
5. `assess_eligibility`: age and first-dose window; the patient flow adds up by construction.
Direct identifiers are dropped as soon as age at the first dose has been computed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

from ino_study.records.contract import IDENTIFIER_COLUMNS, TABLES, Table
from ino_study.records.parse import ParseCache, parse_series
from ino_study.records.quality import REDACTED, DataContractError, Finding, short_value
from ino_study.records.read import RawTable

#: Columns whose value may not be blank: without them a record means nothing.
NON_BLANK: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id", "birth_date"),
    "ino_doses": ("patient_id", "date", "dose_mg_m2"),
    "assessments": ("patient_id", "date"),
    "transplants": ("patient_id", "date"),
    "adverse_events": ("patient_id", "term", "grade", "onset_date"),
    "follow_up": ("patient_id", "last_contact_date", "vital_status"),
}

#: How a column kind is named in a message about an identifier (whose value is never shown).
_KIND_NAMES = {"date": "a date (dd.mm.yyyy)", "text": "text", "id": "a patient identifier", "number": "a number",
               "integer": "a whole number"}

#: Example rows listed for a correction applied to many cells.
EXAMPLE_ROWS = 5

EXCLUSION_REASONS = (
    "no InO dose recorded on or before the cut-off",
    "first InO dose outside the study window",
    "age at first InO dose at or above the maximum",
    "no follow-up record",
)


@dataclass(frozen=True)
class Eligibility:
    """Who is analysed: study window of the first dose, maximum age, data cut-off."""

    window_start: dt.date
    window_end: dt.date
    max_age_years: float
    cutoff_date: dt.date
    identifier_columns: tuple[str, ...] = ()


@dataclass
class CleanRecords:
    tables: dict[str, pd.DataFrame]
    findings: list[Finding] = field(default_factory=list)
    flow: pd.DataFrame = field(default_factory=pd.DataFrame)


# ---------------------------------------------------------------------------------------- parsing


def _finding(raw: RawTable, severity, row, column, patient_id, value, rule, action, count=1) -> Finding:
    return Finding(severity, raw.table.name, raw.source, row, column, patient_id, value, rule, action, count)


def parse_table(raw: RawTable, identifiers: set[str],
                caches: dict[str, ParseCache] | None = None) -> tuple[pd.DataFrame, list[Finding]]:
    """Parse every contract column of one raw table; identifiers' values never enter a finding.

    `caches` (column kind -> parsed distinct values) may be shared by the tables of one export, so
    that a value met in several columns of a kind (a patient ID, a date) is parsed once.
    """
    findings: list[Finding] = []
    frame = raw.frame
    caches = {} if caches is None else caches
    out = pd.DataFrame({"_row": frame["_row"].astype("int64")}, index=frame.index)

    def patient_id(index) -> str | None:
        """The row's patient ID as a finding shows it (looked up only for rows with a finding)."""
        return str(frame.at[index, "patient_id"]).strip() if "patient_id" in frame else None

    for column in raw.table.columns:
        if column.name not in frame:
            if column.kind == "mrd":
                out[[f"{column.name}_percent", f"{column.name}_qualifier"]] = None
                out[f"{column.name}_status"] = "missing"
            elif column.kind == "date":
                out[column.name] = pd.NaT
            else:
                out[column.name] = None
            continue
        values, notes, errors = parse_series(frame[column.name], column.kind, caches.setdefault(column.kind, {}))
        hidden = column.name in identifiers
        _store(out, column.name, column.kind, values)
        for note, rows in frame["_row"][notes.notna()].groupby(notes[notes.notna()]):
            examples = ", ".join(str(r) for r in rows.iloc[:EXAMPLE_ROWS])
            findings.append(
                _finding(raw, "correction", int(rows.iloc[0]), column.name, None,
                         None if hidden else f"rows {examples}" + (" ..." if len(rows) > EXAMPLE_ROWS else ""),
                         note, "normalised", count=len(rows))
            )
        for index in errors[errors.notna()].index:
            required = column.name in NON_BLANK[raw.table.name] or column.required
            findings.append(
                _finding(raw, "error" if required else "warning", int(frame.at[index, "_row"]), column.name,
                         patient_id(index),
                         REDACTED if hidden else short_value(frame.at[index, column.name]),
                         # a parser's reason may quote the value: for an identifier, say only what was expected
                         f"cannot be read as {_KIND_NAMES.get(column.kind, column.kind)} (the value of an "
                         "identifier column is not shown: see the cell in the file)" if hidden else errors[index],
                         "stop" if required else "set to missing")
            )
        blank = values.isna() & errors.isna()
        if column.name in NON_BLANK[raw.table.name] and blank.any():
            for index in blank[blank].index:
                findings.append(
                    _finding(raw, "error", int(frame.at[index, "_row"]), column.name,
                             patient_id(index), None,
                             f"'{column.name}' is required and is empty", "stop")
                )
    return out, findings


def _store(out: pd.DataFrame, name: str, kind: str, values: pd.Series) -> None:
    """Put parsed values into typed columns (dates as datetime64, MRD split into its parts)."""
    if kind == "date":
        out[name] = pd.to_datetime(values.astype(object).where(values.notna(), None))
    elif kind == "integer":
        out[name] = pd.array(values.astype(object).where(values.notna(), None), dtype="Int64")
    elif kind == "number":
        out[name] = pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce").astype(float)
    elif kind == "yes_no":
        out[name] = pd.array(values.astype(object).where(values.notna(), None), dtype="boolean")
    elif kind == "mrd":
        out[f"{name}_percent"] = [v.percent if v is not None else None for v in values]
        out[f"{name}_percent"] = out[f"{name}_percent"].astype(float)
        out[f"{name}_qualifier"] = [v.qualifier if v is not None and v.done else None for v in values]
        out[f"{name}_status"] = [_mrd_status(v) for v in values]
    else:
        out[name] = values.astype(object).where(values.notna(), None)


def _mrd_status(value) -> str:
    """measured, negative_text (negative without a number), not_done, or missing (blank)."""
    if value is None:
        return "missing"
    if not value.done:
        return "not_done"
    if value.text_negative:
        return "negative_text"
    return "measured"


# ------------------------------------------------------------------------------- value contract


def _value_schemas():
    """pandera schemas of the clean tables: one place for every range and allowed value."""
    import pandera.pandas as pa

    pct = pa.Check.in_range(0, 100)
    nullable = {"nullable": True}
    return {
        "patients": pa.DataFrameSchema({
            "sex": pa.Column(None, pa.Check.isin(["M", "F"]), **nullable),
            "relapse_number": pa.Column(None, pa.Check.in_range(0, 20), **nullable),
            "cd22_pct": pa.Column(None, pct, **nullable),
            "marrow_blasts_pct": pa.Column(None, pct, **nullable),
        }),
        "ino_doses": pa.DataFrameSchema({
            "dose_mg_m2": pa.Column(None, pa.Check.gt(0, error="a dose must be positive"), **nullable),
            "cycle": pa.Column(None, pa.Check.in_range(1, 50, error="cycle must be 1 or more"), **nullable),
        }),
        "assessments": pa.DataFrameSchema({
            "marrow_blasts_pct": pa.Column(None, pct, **nullable),
            "anc_10e9_l": pa.Column(None, pa.Check.in_range(0, 500), **nullable),
            "platelets_10e9_l": pa.Column(None, pa.Check.in_range(0, 5000), **nullable),
        }),
        "adverse_events": pa.DataFrameSchema({
            "grade": pa.Column(None, pa.Check.isin([1, 2, 3, 4, 5], error="a CTCAE grade is 1 to 5"),
                               **nullable),
        }),
    }


def check_values(tables: dict[str, pd.DataFrame], sources: dict[str, str]) -> list[Finding]:
    """Validate ranges and allowed values with pandera; each failing cell becomes an error."""
    import pandera.errors

    findings: list[Finding] = []
    for name, schema in _value_schemas().items():
        if name not in tables:
            continue
        frame = tables[name]
        try:
            schema.validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as errors:
            cases = errors.failure_cases
            for case in cases.itertuples(index=False):
                index = case.index
                if index is None or (isinstance(index, float) and math.isnan(index)):
                    continue
                row = frame.loc[index]
                findings.append(
                    Finding("error", name, sources[name], int(row["_row"]), case.column, row["patient_id"],
                            short_value(case.failure_case), f"breaks the rule {case.check}", "stop")
                )
    return findings


# ---------------------------------------------------------------------------- cross-table rules


def first_dose_dates(doses: pd.DataFrame) -> pd.Series:
    """Date of the first InO dose per patient."""
    return doses.groupby("patient_id")["date"].min()


def _rows_finding(table, source, frame, mask, column, rule, value_column=None) -> list[Finding]:
    hits = frame[mask]
    return [
        Finding("error", table, source, int(r["_row"]), column, r["patient_id"],
                short_value(r[value_column or column]) if (value_column or column) in r else None, rule, "stop")
        for _, r in hits.iterrows()
    ]


def check_cross_table(tables: dict[str, pd.DataFrame], sources: dict[str, str]) -> list[Finding]:
    """Unique IDs, no orphans, and dates in a possible order."""
    findings: list[Finding] = []
    patients, follow_up = tables["patients"], tables["follow_up"]
    for name in ("patients", "follow_up"):
        frame = tables[name]
        duplicated = frame["patient_id"].duplicated(keep=False) & frame["patient_id"].notna()
        findings += _rows_finding(name, sources[name], frame, duplicated, "patient_id",
                                  "patient_id appears more than once (one row per patient expected)")
    known = set(patients["patient_id"].dropna())
    for table in TABLES:
        if table.name == "patients":
            continue
        frame = tables[table.name]
        orphan = ~frame["patient_id"].isin(known) & frame["patient_id"].notna()
        findings += _rows_finding(table.name, sources[table.name], frame, orphan, "patient_id",
                                  "patient_id is not in the patients table")

    first = first_dose_dates(tables["ino_doses"])
    fu = follow_up.assign(first_dose=follow_up["patient_id"].map(first))
    source = sources["follow_up"]
    dead, alive = fu["vital_status"].eq("dead"), fu["vital_status"].eq("alive")
    findings += _rows_finding("follow_up", source, fu, dead & fu["death_date"].isna(), "death_date",
                              "vital status is dead but the death date is empty")
    findings += _rows_finding("follow_up", source, fu, alive & fu["death_date"].notna(), "death_date",
                              "vital status is alive but a death date is given")
    findings += _rows_finding("follow_up", source, fu, fu["death_date"] < fu["first_dose"], "death_date",
                              "death is dated before the first InO dose")
    findings += _rows_finding("follow_up", source, fu, fu["last_contact_date"] < fu["first_dose"],
                              "last_contact_date", "last contact is dated before the first InO dose")
    findings += _rows_finding("follow_up", source, fu, dead & (fu["last_contact_date"] > fu["death_date"]),
                              "last_contact_date", "last contact is dated after the death date")
    findings += _rows_finding("follow_up", source, fu, fu["relapse_date"] < fu["first_dose"], "relapse_date",
                              "relapse is dated before the first InO dose")
    findings += _rows_finding("follow_up", source, fu, fu["relapse_date"] > fu["death_date"], "relapse_date",
                              "relapse is dated after death")
    hsct = tables["transplants"].assign(first_dose=lambda t: t["patient_id"].map(first))
    findings += _rows_finding("transplants", sources["transplants"], hsct, hsct["date"] < hsct["first_dose"],
                              "date", "HSCT dated before the first InO dose (record a prior HSCT in patients)")
    return findings


def correct_last_contact(follow_up: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[Finding]]:
    """A dead patient's last contact is the death date when it was recorded earlier."""
    late = follow_up["vital_status"].eq("dead") & (follow_up["last_contact_date"] < follow_up["death_date"])
    findings = [
        Finding("correction", "follow_up", source, int(r["_row"]), "last_contact_date", r["patient_id"],
                _iso(r["last_contact_date"]), "last contact before the death date", "set to the death date")
        for _, r in follow_up[late].iterrows()
    ]
    follow_up = follow_up.copy()
    follow_up.loc[late, "last_contact_date"] = follow_up.loc[late, "death_date"]
    return follow_up, findings


# -------------------------------------------------------------------------------------- cut-off

DATED_RECORDS = {"ino_doses": "date", "assessments": "date", "transplants": "date", "adverse_events": "onset_date"}


def apply_cutoff(tables: dict[str, pd.DataFrame], sources: dict[str, str], cutoff: dt.date):
    """Keep records dated after the cut-off out of the analysis (administrative censoring), listed."""
    findings: list[Finding] = []
    tables = dict(tables)
    cutoff_ts = pd.Timestamp(cutoff)
    for name, column in DATED_RECORDS.items():
        frame = tables[name]
        late = frame[column] > cutoff_ts
        for _, r in frame[late].iterrows():
            findings.append(Finding("exclusion", name, sources[name], int(r["_row"]), column, r["patient_id"],
                                    _iso(r[column]), f"dated after the data cut-off {cutoff}",
                                    "record kept out of the analysis"))
        tables[name] = frame[~late].reset_index(drop=True)
    fu = tables["follow_up"].copy()
    source = sources["follow_up"]
    death_late = fu["death_date"] > cutoff_ts
    relapse_late = fu["relapse_date"] > cutoff_ts
    contact_late = fu["last_contact_date"] > cutoff_ts
    for mask, column, action in (
        (death_late, "death_date", "patient alive at the cut-off: censored there"),
        (relapse_late, "relapse_date", "relapse not counted"),
        (contact_late & ~death_late, "last_contact_date", "follow-up censored at the cut-off"),
    ):
        for _, r in fu[mask].iterrows():
            findings.append(Finding("exclusion", "follow_up", source, int(r["_row"]), column, r["patient_id"],
                                    _iso(r[column]), f"dated after the data cut-off {cutoff}", action))
    fu.loc[death_late, ["vital_status", "death_cause"]] = ["alive", None]
    fu.loc[death_late, "death_date"] = pd.NaT
    fu.loc[relapse_late, "relapse_date"] = pd.NaT
    fu.loc[contact_late, "last_contact_date"] = cutoff_ts
    tables["follow_up"] = fu
    return tables, findings


# ---------------------------------------------------------------------------------- eligibility


def _iso(value) -> str:
    return pd.Timestamp(value).date().isoformat()


def age_in_years(birth: dt.date, on: dt.date) -> float:
    """Exact age in years (days / 365.25), for description; eligibility uses `reached_age`."""
    return (on - birth).days / 365.25


def reached_age(birth: dt.date, on: dt.date, years: float) -> bool:
    """True when the patient is `years` old or older on the date (calendar birthdays for whole years)."""
    if float(years).is_integer():
        years = int(years)
        try:
            anniversary = birth.replace(year=birth.year + years)
        except ValueError:  # born on 29 February
            anniversary = dt.date(birth.year + years, 3, 1)
        return on >= anniversary
    return age_in_years(birth, on) >= years


def assess_eligibility(patients: pd.DataFrame, doses: pd.DataFrame, follow_up: pd.DataFrame,
                       rules: Eligibility) -> pd.DataFrame:
    """One row per raw patient: first dose, age, included flag and the first exclusion reason."""
    first = patients["patient_id"].map(first_dose_dates(doses))
    out = patients[["patient_id"]].copy()
    out["first_dose_date"] = first
    pairs = [(b.date(), f.date()) if not (pd.isna(b) or pd.isna(f)) else None
             for b, f in zip(patients["birth_date"], first)]
    ages = [age_in_years(*p) if p else math.nan for p in pairs]
    out["age_at_first_dose_years"] = pd.Series(ages, index=patients.index, dtype=float).round(2)
    too_old = [bool(p) and reached_age(*p, rules.max_age_years) for p in pairs]
    conditions = [
        first.isna(),
        (first < pd.Timestamp(rules.window_start)) | (first > pd.Timestamp(rules.window_end)),
        pd.Series(too_old, index=patients.index),
        ~patients["patient_id"].isin(follow_up["patient_id"]),
    ]
    reason = pd.Series(None, index=patients.index, dtype=object)
    for condition, label in zip(conditions, EXCLUSION_REASONS):
        reason = reason.where(reason.notna() | ~condition.fillna(False), label)
    out["exclusion_reason"] = reason
    out["included"] = reason.isna()
    return out


def patient_flow(eligibility: pd.DataFrame) -> pd.DataFrame:
    """CONSORT-style counts: raw = analysed + each exclusion reason (reasons checked in order)."""
    rows = [("patients in the raw data", len(eligibility))]
    rows += [(f"excluded: {r}", int((eligibility["exclusion_reason"] == r).sum())) for r in EXCLUSION_REASONS]
    rows.append(("patients analysed", int(eligibility["included"].sum())))
    return pd.DataFrame(rows, columns=["step", "patients"])


# -------------------------------------------------------------------------------------- driver


def _stop(findings: list[Finding], pseudonym_key: bytes | None) -> DataContractError:
    if pseudonym_key is not None:
        from ino_study.records.pseudonym import pseudonymise_findings

        findings = pseudonymise_findings(findings, pseudonym_key)
    return DataContractError(findings)


def clean_records(raw_tables: dict[str, RawTable], rules: Eligibility, read_findings: list[Finding],
                  pseudonym_key: bytes | None = None) -> CleanRecords:
    """Parse, check, correct and de-identify the raw tables; raise DataContractError on any error.

    Every problem is collected before stopping, so that one message lists them all: tables that were
    found are parsed and their values checked even when another table or a column is missing; the
    cross-table rules run when every table is there. With `pseudonym_key`, patient IDs in the clean
    tables and in every finding are replaced by keyed pseudonyms (`ino_study.records.pseudonym`).
    """
    findings = list(read_findings)
    identifiers = set(IDENTIFIER_COLUMNS) | set(rules.identifier_columns)
    sources = {name: raw.source for name, raw in raw_tables.items()}
    tables: dict[str, pd.DataFrame] = {}
    caches: dict[str, ParseCache] = {}
    for name, raw in raw_tables.items():
        tables[name], table_findings = parse_table(raw, identifiers, caches)
        findings += table_findings
    findings += check_values(tables, sources)
    if all(t.name in tables for t in TABLES):
        findings += check_cross_table(tables, sources)
    if any(f.severity == "error" for f in findings):
        raise _stop(findings, pseudonym_key)

    tables["follow_up"], corrections = correct_last_contact(tables["follow_up"], sources["follow_up"])
    findings += corrections
    tables, cutoff_findings = apply_cutoff(tables, sources, rules.cutoff_date)
    findings += cutoff_findings

    eligibility = assess_eligibility(tables["patients"], tables["ino_doses"], tables["follow_up"], rules)
    for _, r in eligibility[~eligibility["included"]].iterrows():
        findings.append(Finding("exclusion", "patients", sources["patients"], None, None, r["patient_id"], None,
                                r["exclusion_reason"], "patient not analysed"))
    patients = tables["patients"].merge(eligibility, on="patient_id", how="left", validate="one_to_one")
    tables["patients"] = patients.drop(columns=[c for c in identifiers if c in patients])
    for name in tables:
        frame = tables[name].drop(columns=[c for c in identifiers if c in tables[name]])
        tables[name] = frame.rename(columns={"_row": "source_row"})  # the Excel row each record came from
    if pseudonym_key is not None:
        from ino_study.records.pseudonym import pseudonymise_findings, pseudonymise_tables

        tables = pseudonymise_tables(tables, pseudonym_key)
        findings = pseudonymise_findings(findings, pseudonym_key)
    return CleanRecords(tables=tables, findings=findings, flow=patient_flow(eligibility))


__all__ = ["CleanRecords", "Eligibility", "clean_records", "patient_flow", "assess_eligibility", "Table"]
