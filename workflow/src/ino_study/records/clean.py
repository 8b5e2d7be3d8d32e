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

import numpy as np
import pandas as pd

from ino_study.records.contract import IDENTIFIER_COLUMNS, TABLES, Table
from ino_study.records.gvhd import normalise_gvhd
from ino_study.records.parse import ParseCache, parse_column
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


def parse_table(raw: RawTable, identifiers: set[str], caches: dict[str, ParseCache] | None = None,
                parsed_ids: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
                ) -> tuple[pd.DataFrame, list[Finding]]:
    """Parse every contract column of one raw table; identifiers' values never enter a finding.

    `caches` (column kind -> parsed distinct values) may be shared by the tables of one export, so
    that a value met in several columns of a kind (a patient ID, a date) is parsed once. `parsed_ids`,
    when given, receives the table's distinct parsed patient IDs and each row's code into them
    (for `add_patient_codes`). The work is
    done once per distinct cell of a column (`ParsedColumn.distinct`) and spread to the rows by code;
    only the rows with an error are looked at one by one.
    """
    findings: list[Finding] = []
    frame = raw.frame
    caches = {} if caches is None else caches
    rows = frame["_row"].to_numpy().astype("int64")
    out: dict[str, pd.Series] = {"_row": pd.Series(rows, index=frame.index)}  # made a frame once, at the end
    for column in raw.table.columns:
        if column.name not in frame:
            out.update(_absent_column(frame.index, column.name, column.kind))
            continue
        parsed = parse_column(frame[column.name], column.kind, caches.setdefault(column.kind, {}))
        hidden = column.name in identifiers
        if column.name == "patient_id" and parsed_ids is not None:
            parsed_ids[raw.table.name] = (parsed.distinct[0], parsed.codes)
        out.update(_store_parsed(frame.index, column.name, column.kind, parsed))
        for note, first_rows, count in _first_rows_by_note(parsed.distinct[1], parsed.codes, rows):
            examples = ", ".join(str(r) for r in first_rows[:EXAMPLE_ROWS])
            findings.append(
                _finding(raw, "correction", int(first_rows[0]), column.name, None,
                         None if hidden else f"rows {examples}" + (" ..." if count > EXAMPLE_ROWS else ""),
                         note, "normalised", count=count)
            )
        findings += _cell_findings(raw, column, hidden, parsed)
    return pd.DataFrame(out, index=frame.index), findings


def _absent_column(index: pd.Index, name: str, kind: str) -> dict[str, pd.Series]:
    """The typed column(s) of a contract column the table lacks: missing everywhere (MRD: status missing)."""
    out = pd.DataFrame(index=index)
    if kind == "mrd":
        out[[f"{name}_percent", f"{name}_qualifier"]] = None
        out[f"{name}_status"] = "missing"
    elif kind == "date":
        out[name] = pd.NaT
    else:
        out[name] = None
    return {column: out[column] for column in out.columns}


def _cell_findings(raw: RawTable, column, hidden: bool, parsed) -> list[Finding]:
    """Errors and warnings of the cells that cannot be read, and of required cells left blank."""
    frame, table = raw.frame, raw.table.name
    findings: list[Finding] = []

    def where(position: int) -> tuple[object, int, str | None]:
        """The row's index label, its row number and its patient ID as a finding shows it."""
        index = frame.index[position]
        patient_id = str(frame.at[index, "patient_id"]).strip() if "patient_id" in frame else None
        return index, int(frame.at[index, "_row"]), patient_id

    unreadable = pd.notna(parsed.distinct[2])  # per distinct cell, as are the masks below
    # a strict optional column: a category or count that cannot be read is not guessed
    required = column.name in NON_BLANK[table] or column.required or column.strict
    for position in _positions(parsed.codes, unreadable):
        index, row, patient_id = where(position)
        findings.append(
            _finding(raw, "error" if required else "warning", row, column.name, patient_id,
                     REDACTED if hidden else short_value(frame.at[index, column.name]),
                     # a parser's reason may quote the value: for an identifier, say only what was expected
                     f"cannot be read as {_KIND_NAMES.get(column.kind, column.kind)} (the value of an "
                     "identifier column is not shown: see the cell in the file)" if hidden
                     else parsed.distinct[2][parsed.codes[position]],
                     "stop" if required else "set to missing")
        )
    if column.name not in NON_BLANK[table]:
        return findings
    for position in _positions(parsed.codes, pd.isna(parsed.distinct[0]) & ~unreadable):
        _, row, patient_id = where(position)
        findings.append(_finding(raw, "error", row, column.name, patient_id, None,
                                 f"'{column.name}' is required and is empty", "stop"))
    return findings


def _positions(codes: np.ndarray, hit: np.ndarray) -> list[int]:
    """The positions of the cells whose code points at a distinct cell where `hit` holds, in order."""
    wanted = np.flatnonzero(hit)
    if len(wanted) == 0:
        return []
    if len(wanted) == 1:
        return np.flatnonzero(codes == wanted[0]).tolist()
    return np.flatnonzero(np.isin(codes, wanted)).tolist()


def _rows_by_note(notes: pd.Series, rows: pd.Series, noted: np.ndarray | None = None) -> list[tuple[str, np.ndarray]]:
    """Each distinct note (sorted) with its rows in table order: `rows[has note].groupby(notes)`, faster.

    `noted` is notes.notna() when the caller has it.
    """
    noted = notes.notna().to_numpy() if noted is None else noted
    if not noted.any():
        return []
    # factorize(sort=True) orders the notes as groupby does
    codes, distinct = pd.factorize(notes.to_numpy(dtype=object)[noted], sort=True)
    return _rows_by_code(codes, distinct, rows.to_numpy(dtype=object)[noted])


def _first_rows_by_note(notes: np.ndarray, codes: np.ndarray, rows: np.ndarray,
                        first: int = EXAMPLE_ROWS) -> list[tuple[str, np.ndarray, int]]:
    """For the cells whose note is `notes[codes[i]]`: each distinct note (sorted), its first `first`
    rows in table order and its number of rows (what `_rows_by_note` gives, its groups cut short).

    The notes are sorted once each, not per cell; the rows are sorted only as far as the first ones
    of every note reach (a prefix of the noted rows, doubled until it holds them).
    """
    noted = pd.notna(notes)
    if not noted.any():
        return []
    note_codes, distinct = pd.factorize(notes[noted], sort=True)
    note_of = np.full(len(notes), -1, dtype=np.int32 if len(distinct) < 2**31 else np.int64)
    note_of[noted] = note_codes
    per_row = note_of.take(codes)
    hit = np.flatnonzero(per_row >= 0)
    per_hit = per_row[hit]
    counts = np.bincount(per_hit, minlength=len(distinct))
    wanted = np.minimum(counts, first)
    size = 4096
    while True:
        prefix = per_hit[:size]
        if size >= len(per_hit) or (np.bincount(prefix, minlength=len(distinct)) >= wanted).all():
            break
        size *= 2
    groups = _rows_by_code(prefix, distinct, rows[hit[:size]])
    return [(note, group[:first], int(count)) for (note, group), count in zip(groups, counts)]


def _rows_by_code(codes: np.ndarray, distinct: np.ndarray, rows: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Each of `distinct` with the `rows` whose code points at it, in their order."""
    # a stable sort keeps each note's rows in order (numpy sorts 16-bit integers stably by radix,
    # in linear time)
    if len(distinct) < 2**15:
        codes = codes.astype(np.int16)
    ordered = rows[np.argsort(codes, kind="stable")]
    return list(zip(distinct, np.split(ordered, np.cumsum(np.bincount(codes, minlength=len(distinct)))[:-1])))


def _store_parsed(index: pd.Index, name: str, kind: str, parsed) -> dict[str, pd.Series]:
    """`_store` of a ParsedColumn: the typed columns made from the distinct values, then spread by code."""
    distinct = pd.DataFrame(index=pd.RangeIndex(len(parsed.distinct[0])))
    _store(distinct, name, kind, pd.Series(parsed.distinct[0], index=distinct.index, dtype=object))
    return {column: pd.Series(_take(distinct[column], parsed.codes), index=index)
            for column in distinct.columns}


def _take(values: pd.Series, codes: np.ndarray):
    """`values.array.take(codes)`; a NumPy column taken as an ndarray, since a Series made from a
    NumpyExtensionArray looks for missing values in every row (a second pass over a million objects)."""
    if isinstance(values.dtype, np.dtype):
        return values.to_numpy().take(codes)
    return values.array.take(codes)


def _store(out: pd.DataFrame, name: str, kind: str, values: pd.Series, missing: np.ndarray | None = None) -> None:
    """Put parsed values into typed columns (dates as datetime64, MRD split into its parts).

    `missing` is values.isna() when the caller has it.
    """
    present = values.notna() if missing is None else ~missing
    if kind == "date":
        out[name] = pd.to_datetime(values.astype(object).where(present, None))
    elif kind == "integer":
        out[name] = pd.array(values.astype(object).where(present, None), dtype="Int64")
    elif kind == "number":
        out[name] = pd.to_numeric(values.astype(object).where(present, None), errors="coerce").astype(float)
    elif kind == "yes_no":
        out[name] = pd.array(values.astype(object).where(present, None), dtype="boolean")
    elif kind == "mrd":
        out[f"{name}_percent"] = [v.percent if v is not None else None for v in values]
        out[f"{name}_percent"] = out[f"{name}_percent"].astype(float)
        out[f"{name}_qualifier"] = [v.qualifier if v is not None and v.done else None for v in values]
        out[f"{name}_status"] = [_mrd_status(v) for v in values]
    else:
        out[name] = values.astype(object).where(present, None)


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


#: The value contract: per table, column -> (pandera check, its arguments, the error it shows or None
#: for pandera's own wording). `value_schemas` turns it into pandera schemas; `_values_may_break`
#: reads it to skip pandera when no value can fail.
VALUE_RULES: dict[str, dict[str, tuple[str, tuple, str | None]]] = {
    "patients": {
        "sex": ("isin", (["M", "F"],), None),
        "relapse_number": ("in_range", (0, 20), None),
        "cd22_pct": ("in_range", (0, 100), None),
        "marrow_blasts_pct": ("in_range", (0, 100), None),
        "prior_lines": ("in_range", (1, 30), "prior lines of therapy: 1 (front-line therapy) to 30"),
    },
    "ino_doses": {
        "dose_mg_m2": ("gt", (0,), "a dose must be positive"),
        "cycle": ("in_range", (1, 50), "cycle must be 1 or more"),
    },
    "assessments": {
        "marrow_blasts_pct": ("in_range", (0, 100), None),
        "anc_10e9_l": ("in_range", (0, 500), None),
        "platelets_10e9_l": ("in_range", (0, 5000), None),
        "mrd_detection_limit_pct": ("in_range", (1e-6, 100), "an MRD detection limit is above 0% and at most 100%"),
    },
    "adverse_events": {
        "grade": ("isin", ([1, 2, 3, 4, 5],), "a CTCAE grade is 1 to 5"),
    },
}


def value_schemas():
    """pandera schemas of the clean tables, from VALUE_RULES (every column nullable)."""
    import pandera.pandas as pa

    def check(name: str, arguments: tuple, error: str | None):
        return getattr(pa.Check, name)(*arguments, **({} if error is None else {"error": error}))

    return {
        table: pa.DataFrameSchema({
            column: pa.Column(None, check(*rule), nullable=True) for column, rule in columns.items()
        })
        for table, columns in VALUE_RULES.items()
    }


def _values_may_break(tables: dict[str, pd.DataFrame]) -> bool:
    """False when every value of VALUE_RULES' columns passes its check (computed here, vectorised).

    A screen only: when it says True, pandera validates and words the failures. It leans to True
    (a missing column, a comparison that fails, a check it does not know), so pandera is skipped only
    when it would find nothing; its import and its validation cost seconds on a large cohort.
    """
    for table, columns in VALUE_RULES.items():
        if table not in tables:
            continue
        frame = tables[table]
        for column, (check, arguments, _) in columns.items():
            if column not in frame:
                return True
            values = frame[column]
            values = values[values.notna()]  # nullable columns: pandera drops nulls before checking
            try:
                if check == "in_range":
                    passed = (values >= arguments[0]) & (values <= arguments[1])
                elif check == "gt":
                    passed = values > arguments[0]
                elif check == "isin":
                    passed = values.isin(arguments[0])
                else:
                    return True
                if not bool(passed.fillna(False).all()):
                    return True
            except (TypeError, ValueError):
                return True
    return False


def check_values(tables: dict[str, pd.DataFrame], sources: dict[str, str]) -> list[Finding]:
    """Validate ranges and allowed values with pandera; each failing cell becomes an error."""
    if not _values_may_break(tables):
        return []
    return _pandera_findings(tables, sources)


def _pandera_findings(tables: dict[str, pd.DataFrame], sources: dict[str, str]) -> list[Finding]:
    """Every failing cell of the value schemas, as pandera reports it, as an error."""
    import pandera.errors

    findings: list[Finding] = []
    for name, schema in value_schemas().items():
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


#: A column added to the tables while they are checked: each row's patient as an integer code
#: (`add_patient_codes`); it does not leave `clean_records`.
PATIENT_CODE = "_patient"


@dataclass(frozen=True)
class PatientCodes:
    """Patient IDs as integer codes shared by the tables: the patients table's distinct IDs are codes
    0 to `known` - 1, IDs that only other tables have come after them, up to `size` - 1; -1 is no ID.

    Per-patient values are arrays of `size` + 1 entries: the last one is what a row without an ID
    gets (numpy's `take` reads code -1 as the last entry)."""

    known: int
    size: int


def add_patient_codes(tables: dict[str, pd.DataFrame], parsed_ids: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
                      ) -> tuple[dict[str, pd.DataFrame], PatientCodes]:
    """The tables with PATIENT_CODE added (the patients table's IDs first, then the others'), and the codes.

    `parsed_ids` (table -> the distinct parsed IDs and each row's code into them, as `parse_table`
    gives them) spares hashing every row: each table's distinct IDs are coded once.
    """
    names = ["patients", *(name for name in tables if name != "patients")]
    if parsed_ids is None or not all(name in parsed_ids for name in names):
        parsed_ids = {name: (tables[name]["patient_id"].to_numpy(dtype=object), None) for name in names}
    distinct = [parsed_ids[name][0] for name in names]
    # one factorisation of every table's distinct IDs: codes in order of first appearance, so the
    # patients table's IDs come first; a missing ID is -1
    codes, uniques = pd.factorize(np.concatenate(distinct), use_na_sentinel=True)
    parts = np.split(codes, np.cumsum([len(d) for d in distinct])[:-1])
    known = int(parts[0].max(initial=-1)) + 1
    coded = {}
    for name, part in zip(names, parts):
        rows = parsed_ids[name][1]
        coded[name] = tables[name].copy(deep=False)  # a new frame sharing the columns: the caller's keeps its own
        coded[name][PATIENT_CODE] = part if rows is None else part.take(rows)
        coded[name]["patient_id"] = _shared_ids(coded[name], uniques)
    return {name: coded[name] for name in tables}, PatientCodes(known, len(uniques))


def _shared_ids(frame: pd.DataFrame, uniques: np.ndarray) -> np.ndarray:
    """The frame's patient IDs, each the one string object of its code (`uniques`) where that is equal:
    every table had its own copy of each ID (hundreds of MiB at a million patients), let go here.
    (A factorisation of strings only compares them as C strings: 'a' and 'a\\x00b' share a code.)"""
    ids = frame["patient_id"].to_numpy(dtype=object)
    if not len(uniques):
        return ids
    shared = uniques.take(np.maximum(_codes(frame), 0))
    return np.where(shared == ids, shared, ids)


def _codes(frame: pd.DataFrame) -> np.ndarray:
    return frame[PATIENT_CODE].to_numpy()


def _per_patient(codes: np.ndarray, values: pd.Series, patients: PatientCodes, how: str) -> np.ndarray:
    """`how` ("min" or "max") of the dates `values` per patient code, NaT where a patient has none
    (and in the last entry, for rows without an ID: a groupby leaves missing keys out)."""
    dates = values.to_numpy()
    valid = (codes >= 0) & ~np.isnat(dates)
    ticks = dates.view(np.int64)
    nat = np.datetime64("NaT").astype(dates.dtype).view(np.int64)  # the smallest int64
    if how == "min":
        out = np.full(patients.size + 1, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(out, codes[valid], ticks[valid])
        out[out == np.iinfo(np.int64).max] = nat
    else:
        out = np.full(patients.size + 1, nat, dtype=np.int64)
        np.maximum.at(out, codes[valid], ticks[valid])
    out[-1] = nat
    return out.view(dates.dtype)


def _first_row_values(codes: np.ndarray, values: pd.Series, patients: PatientCodes) -> np.ndarray:
    """The value of each patient's first row (NaT for a patient without a row); the last entry is the
    first row without an ID (`Series.map` matches a missing key to a missing key)."""
    out = np.full(patients.size + 1, np.datetime64("NaT"), dtype=values.dtype)
    first_codes, first_rows = np.unique(codes, return_index=True)
    out[first_codes] = values.to_numpy()[first_rows]
    return out


def _with_column(frame: pd.DataFrame, name: str, values: pd.Series) -> pd.DataFrame:
    """`frame.assign(name=values)` without copying the other columns."""
    out = frame.copy(deep=False)
    out[name] = values
    return out


def _spread(per_patient: np.ndarray, frame: pd.DataFrame) -> pd.Series:
    """A per-patient array as a column of `frame`, by each row's patient code."""
    return pd.Series(per_patient.take(_codes(frame)), index=frame.index)


def _hit_values(frame: pd.DataFrame, mask: pd.Series, *columns: str) -> list[list]:
    """The values of `columns` in the rows where `mask` holds, column by column (None for a column
    the frame lacks), as `iterrows` would give them (Timestamps for dates) without building a Series
    per row."""
    mask = np.asarray(mask, dtype=bool)
    hits = int(mask.sum())
    if hits == 0:
        return [[] for _ in columns]
    return [frame[c][mask].tolist() if c in frame else [None] * hits for c in columns]


def _rows_finding(table, source, frame, mask, column, rule, value_column=None) -> list[Finding]:
    shown = value_column or column
    rows, patient_ids, values = _hit_values(frame, mask, "_row", "patient_id", shown)
    return [
        Finding("error", table, source, int(row), column, patient_id,
                short_value(value) if shown in frame else None, rule, "stop")
        for row, patient_id, value in zip(rows, patient_ids, values)
    ]


def check_cross_table(tables: dict[str, pd.DataFrame], sources: dict[str, str]) -> list[Finding]:
    """Unique IDs, no orphans, and dates in a possible order."""
    findings: list[Finding] = []
    if PATIENT_CODE not in tables["patients"]:
        tables, _ = add_patient_codes(tables)
    patients, follow_up = tables["patients"], tables["follow_up"]
    coding = _coding(tables)
    for name in ("patients", "follow_up"):
        frame = tables[name]
        codes = _codes(frame)
        duplicated = (codes >= 0) & (np.bincount(codes[codes >= 0], minlength=coding.size + 1).take(codes) > 1)
        findings += _rows_finding(name, sources[name], frame, duplicated, "patient_id",
                                  "patient_id appears more than once (one row per patient expected)")
    for table in TABLES:
        if table.name == "patients":
            continue
        frame = tables[table.name]
        orphan = _codes(frame) >= coding.known
        findings += _rows_finding(table.name, sources[table.name], frame, orphan, "patient_id",
                                  "patient_id is not in the patients table")

    doses = tables["ino_doses"]
    first = _per_patient(_codes(doses), doses["date"], coding, "min")
    fu = _with_column(follow_up, "first_dose", _spread(first, follow_up))
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
    pt = _with_column(patients, "first_dose", _spread(first, patients))
    source = sources["patients"]
    findings += _rows_finding("patients", source, pt, pt["first_relapse_date"] <= pt["cr1_date"], "first_relapse_date",
                              "the first relapse is dated on or before the first remission (cr1_date)")
    findings += _rows_finding("patients", source, pt, pt["cr1_date"] < pt["diagnosis_date"], "cr1_date",
                              "the first remission is dated before the diagnosis")
    findings += _rows_finding("patients", source, pt, pt["first_relapse_date"] > pt["first_dose"],
                              "first_relapse_date", "the first relapse is dated after the first InO dose")
    findings += _rows_finding("patients", source, pt, pt["first_relapse_date"].notna() & pt["relapse_number"].eq(0).fillna(False).astype(bool),
                              "first_relapse_date", "a first relapse date is given but relapse_number is 0 "
                              "(primary refractory)")
    hsct = _with_column(tables["transplants"], "first_dose", _spread(first, tables["transplants"]))
    findings += _rows_finding("transplants", sources["transplants"], hsct, hsct["date"] < hsct["first_dose"],
                              "date", "HSCT dated before the first InO dose (record a prior HSCT in patients)")
    death = _first_row_values(_codes(follow_up), follow_up["death_date"], coding)
    for name, column in DATED_RECORDS.items():
        frame = tables[name]
        after_death = frame[column] > _spread(death, frame)
        findings += _rows_finding(name, sources[name], frame, after_death, column,
                                  "dated after the patient's death (follow_up death_date)")
    return findings


def _coding(tables: dict[str, pd.DataFrame]) -> PatientCodes:
    """The PatientCodes of tables that carry PATIENT_CODE (`add_patient_codes`)."""
    codes = [_codes(frame) for frame in tables.values() if PATIENT_CODE in frame]
    patients = _codes(tables["patients"])
    return PatientCodes(int(patients.max(initial=-1)) + 1, int(max(c.max(initial=-1) for c in codes)) + 1)


def _latest_per_patient(tables: dict[str, pd.DataFrame]) -> np.ndarray:
    """Per patient code (tables carrying PATIENT_CODE), the latest date of any dated record (doses,
    assessments, transplants, adverse events, relapse): a day the patient was known to be alive
    (admiral's last-known-alive date)."""
    dated = [(tables[name], column) for name, column in DATED_RECORDS.items()] + [(tables["follow_up"], "relapse_date")]
    codes = np.concatenate([_codes(frame) for frame, _ in dated])
    dates = pd.Series(np.concatenate([frame[column].to_numpy() for frame, column in dated]))
    return _per_patient(codes, dates, _coding(tables), "max")


def extend_last_contact(tables: dict[str, pd.DataFrame], source: str) -> tuple[pd.DataFrame, list[Finding]]:
    """A living patient's last contact is at least the latest date of their records (a registry's
    last-contact field often lags the records; admiral derives the last-known-alive date the same
    way). Each move is a listed correction."""
    if PATIENT_CODE not in tables["follow_up"]:
        coded, _ = add_patient_codes(tables)
        follow_up, findings = extend_last_contact(coded, source)
        return follow_up.drop(columns=[PATIENT_CODE]), findings
    follow_up = tables["follow_up"]
    latest = _spread(_latest_per_patient(tables), follow_up)
    stale = follow_up["vital_status"].eq("alive") & (latest > follow_up["last_contact_date"])
    findings = [
        Finding("correction", "follow_up", source, int(row), "last_contact_date", patient_id, _iso(contact),
                "last contact before a recorded visit, dose, transplant, adverse event or relapse",
                f"set to the latest recorded date {_iso(date)}")
        for row, patient_id, contact, date in zip(*_hit_values(_with_column(follow_up, "_latest", latest), stale, "_row",
                                                               "patient_id", "last_contact_date", "_latest"))
    ]
    follow_up = follow_up.copy()
    follow_up.loc[stale, "last_contact_date"] = latest[stale]
    return follow_up, findings


def correct_last_contact(follow_up: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[Finding]]:
    """A dead patient's last contact is the death date when it was recorded earlier."""
    late = follow_up["vital_status"].eq("dead") & (follow_up["last_contact_date"] < follow_up["death_date"])
    findings = [
        Finding("correction", "follow_up", source, int(row), "last_contact_date", patient_id,
                _iso(contact), "last contact before the death date", "set to the death date")
        for row, patient_id, contact in zip(*_hit_values(follow_up, late, "_row", "patient_id", "last_contact_date"))
    ]
    follow_up = follow_up.copy()
    follow_up.loc[late, "last_contact_date"] = follow_up.loc[late, "death_date"]
    return follow_up, findings


# -------------------------------------------------------------------------------------- cut-off

DATED_RECORDS = {"ino_doses": "date", "assessments": "date", "transplants": "date", "adverse_events": "onset_date"}


def apply_cutoff(tables: dict[str, pd.DataFrame], sources: dict[str, str], cutoff: dt.date,
                 release: bool = False):
    """Keep records dated after the cut-off out of the analysis (administrative censoring), listed."""
    # (the docstring above is the data dictionary's text.) `release`: the caller's dict gets the cut
    # tables in place, so that each table's uncut copy is freed as soon as its cut one is made
    findings: list[Finding] = []
    tables = tables if release else dict(tables)
    cutoff_ts = pd.Timestamp(cutoff)
    for name, column in DATED_RECORDS.items():
        frame = tables[name]
        late = frame[column] > cutoff_ts
        for row, patient_id, date in zip(*_hit_values(frame, late, "_row", "patient_id", column)):
            findings.append(Finding("exclusion", name, sources[name], int(row), column, patient_id,
                                    _iso(date), f"dated after the data cut-off {cutoff}",
                                    "record kept out of the analysis"))
        unchanged = not late.any() and frame.index.equals(pd.RangeIndex(len(frame)))
        tables[name] = frame if unchanged else _kept_rows(frame, ~late.to_numpy())
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
        for row, patient_id, date in zip(*_hit_values(fu, mask, "_row", "patient_id", column)):
            findings.append(Finding("exclusion", "follow_up", source, int(row), column, patient_id,
                                    _iso(date), f"dated after the data cut-off {cutoff}", action))
    fu.loc[death_late, ["vital_status", "death_cause"]] = ["alive", None]
    fu.loc[death_late, "death_date"] = pd.NaT
    fu.loc[relapse_late, "relapse_date"] = pd.NaT
    fu.loc[contact_late, "last_contact_date"] = cutoff_ts
    tables["follow_up"] = fu
    return tables, findings


def _kept_rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """`frame[keep].reset_index(drop=True)` with one copy of the columns, not two."""
    kept = frame.take(np.flatnonzero(keep))
    kept.index = pd.RangeIndex(len(kept))
    return kept


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


def _calendar_dates(values: pd.Series) -> pd.Series:
    """Dates (datetime64 at midnight, NaT where missing): what `Timestamp.date()` keeps."""
    return pd.to_datetime(values).dt.normalize()


def ages_in_years(birth: pd.Series, on: pd.Series) -> pd.Series:
    """`age_in_years` for whole columns of dates (NaN where either date is missing)."""
    days = (_calendar_dates(on) - _calendar_dates(birth)).dt.days
    return pd.Series(days.to_numpy(dtype=float) / 365.25, index=birth.index, dtype=float)


def reached_age_on(birth: pd.Series, on: pd.Series, years: float) -> pd.Series:
    """`reached_age` for whole columns of dates (False where either date is missing).

    For whole years the birthday is compared as a calendar date, (year, month, day) as one number
    yyyymmdd; 29 February falls on 1 March in a year that has none (as `reached_age` does).
    """
    birth, on = _calendar_dates(birth), _calendar_dates(on)
    known = (birth.notna() & on.notna()).to_numpy()
    if not float(years).is_integer():
        return pd.Series(known & (ages_in_years(birth, on).to_numpy() >= years), index=birth.index)

    def part(dates: pd.Series, name: str) -> np.ndarray:
        return getattr(dates.dt, name).fillna(0).to_numpy(dtype=np.int64)

    year = part(birth, "year") + int(years)
    month, day = part(birth, "month"), part(birth, "day")
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    moved = (month == 2) & (day == 29) & ~leap
    anniversary = year * 10000 + np.where(moved, 3, month) * 100 + np.where(moved, 1, day)
    today = part(on, "year") * 10000 + part(on, "month") * 100 + part(on, "day")
    return pd.Series(known & (today >= anniversary), index=birth.index)


def assess_eligibility(patients: pd.DataFrame, doses: pd.DataFrame, follow_up: pd.DataFrame,
                       rules: Eligibility) -> pd.DataFrame:
    """One row per raw patient: first dose, age, included flag and the first exclusion reason."""
    if PATIENT_CODE not in patients:
        coded, _ = add_patient_codes({"patients": patients, "ino_doses": doses, "follow_up": follow_up})
        return assess_eligibility(coded["patients"], coded["ino_doses"], coded["follow_up"], rules)
    coding = _coding({"patients": patients, "ino_doses": doses, "follow_up": follow_up})
    first = _spread(_per_patient(_codes(doses), doses["date"], coding, "min"), patients)
    with_follow_up = np.zeros(coding.size + 1, dtype=bool)
    with_follow_up[_codes(follow_up)] = True  # code -1 marks the last entry: isin matches None to None
    out = patients[["patient_id"]].copy()
    out["first_dose_date"] = first
    ages = ages_in_years(patients["birth_date"], first)
    out["age_at_first_dose_years"] = ages.round(2)
    conditions = [
        first.isna(),
        (first < pd.Timestamp(rules.window_start)) | (first > pd.Timestamp(rules.window_end)),
        reached_age_on(patients["birth_date"], first, rules.max_age_years),
        pd.Series(~with_follow_up.take(_codes(patients)), index=patients.index),
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


def _with_eligibility(patients: pd.DataFrame, eligibility: pd.DataFrame) -> pd.DataFrame:
    """`patients.merge(eligibility, on="patient_id", how="left", validate="one_to_one")`: for the
    eligibility of these patients (one row each, in their order) the columns put side by side."""
    codes = _codes(patients)
    if (codes < 0).any() or np.bincount(codes).max(initial=0) > 1 or not eligibility["patient_id"].equals(
            patients["patient_id"]):
        return patients.merge(eligibility, on="patient_id", how="left", validate="one_to_one")
    return pd.concat([patients.reset_index(drop=True),
                      eligibility.drop(columns=["patient_id"]).reset_index(drop=True)], axis=1)


def clean_records(raw_tables: dict[str, RawTable], rules: Eligibility, read_findings: list[Finding],
                  pseudonym_key: bytes | None = None, release_raw: bool = False) -> CleanRecords:
    """Parse, check, correct and de-identify the raw tables; raise DataContractError on any error.

    Every problem is collected before stopping, so that one message lists them all: tables that were
    found are parsed and their values checked even when another table or a column is missing; the
    cross-table rules run when every table is there. With `pseudonym_key`, patient IDs in the clean
    tables and in every finding are replaced by keyed pseudonyms (`ino_study.records.pseudonym`).

    `release_raw`: each raw table is taken out of `raw_tables` once parsed (the caller's dict is left
    empty), so that its memory is freed while the rest is cleaned.
    """
    findings = list(read_findings)
    identifiers = set(IDENTIFIER_COLUMNS) | set(rules.identifier_columns)
    sources = {name: raw.source for name, raw in raw_tables.items()}
    tables: dict[str, pd.DataFrame] = {}
    caches: dict[str, ParseCache] = {}
    parsed_ids: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in list(raw_tables):
        raw = raw_tables.pop(name) if release_raw else raw_tables[name]
        tables[name], table_findings = parse_table(raw, identifiers, caches, parsed_ids)
        findings += table_findings
        del raw
    if "transplants" in tables:  # GVHD grades and severities read, their dates checked
        tables["transplants"], gvhd_findings = normalise_gvhd(tables["transplants"], sources["transplants"])
        findings += gvhd_findings
    findings += check_values(tables, sources)
    if all(t.name in tables for t in TABLES):
        tables, _ = add_patient_codes(tables, parsed_ids)
        parsed_ids.clear()  # the tables' own copies of the IDs, replaced by add_patient_codes
        findings += check_cross_table(tables, sources)
    if any(f.severity == "error" for f in findings):
        raise _stop(findings, pseudonym_key)

    tables["follow_up"], corrections = correct_last_contact(tables["follow_up"], sources["follow_up"])
    findings += corrections
    tables["follow_up"], corrections = extend_last_contact(tables, sources["follow_up"])
    findings += corrections
    tables, cutoff_findings = apply_cutoff(tables, sources, rules.cutoff_date, release=True)
    findings += cutoff_findings

    eligibility = assess_eligibility(tables["patients"], tables["ino_doses"], tables["follow_up"], rules)
    excluded = eligibility[~eligibility["included"]]
    for patient_id, reason in zip(excluded["patient_id"].tolist(), excluded["exclusion_reason"].tolist()):
        findings.append(Finding("exclusion", "patients", sources["patients"], None, None, patient_id, None,
                                reason, "patient not analysed"))
    patients = _with_eligibility(tables["patients"], eligibility)
    tables["patients"] = patients.drop(columns=[c for c in identifiers if c in patients])
    for name in tables:
        frame = tables[name].drop(columns=[c for c in [*identifiers, PATIENT_CODE] if c in tables[name]])
        # the Excel row each record came from; drop made a new frame, so rename need not copy it again
        tables[name] = frame.rename(columns={"_row": "source_row"}, copy=False)
    if pseudonym_key is not None:
        from ino_study.records.pseudonym import pseudonymise_findings, pseudonymise_tables

        tables = pseudonymise_tables(tables, pseudonym_key)
        findings = pseudonymise_findings(findings, pseudonym_key)
    return CleanRecords(tables=tables, findings=findings, flow=patient_flow(eligibility))


__all__ = ["CleanRecords", "Eligibility", "clean_records", "patient_flow", "assess_eligibility", "Table"]
