"""Several centres in one analysis (config `raw_data` as a list of `{centre: NAME, path: PATH}`).

Each centre's export is read and cleaned on its own, exactly as a single export is (an .xlsx
workbook, a CSV directory or a REDCap export, with the centre's own `raw_format`,
`redcap_data_dictionary` and `column_map`, each defaulting to the top-level key), and then pooled:

- patient IDs become `<centre>-<id>` (only when pooling: a plain path keeps its IDs), so that two
  centres' "P01" stay two patients; two prefixed IDs that still coincide (centre "A" with patient
  "B-1", centre "A-B" with patient "1") stop the run, naming both centres;
- the patients table gets a `centre` column, a patient-level variable that `comparisons`,
  `table1_by` and `stratify_by` may name;
- every finding names its centre (its source reads "centre 'A': file, sheet ..."), and a problem
  in any centre stops the run with the problems of every centre listed together; an error shows the
  patient ID as the centre's file writes it (the patient to look up there), every other finding the
  pooled ID;
- the patient flow has one column per centre ("centre A", ...) and the pooled count (`patients`);
- pseudonymisation (`pseudonymise: true`) applies to the pooled, prefixed IDs.

The configuration is checked before any job runs (:func:`config_problems`): a centre listed twice,
a blank centre name, a path that does not exist, a centre's column map that cannot be applied, a
REDCap centre without a data dictionary, `centre` named by comparisons/table1_by/stratify_by without
several centres, and stratify_by naming anything but a patient-level grouping variable.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

#: Patient-level (adsl) grouping variables a comparison may be stratified by (config `stratify_by`).
STRATIFY_VARIABLES: tuple[str, ...] = (
    "prior_hsct", "prior_blinatumomab", "prior_car_t", "sex", "dose_group", "refractory", "cytogenetics",
    "age_group", "centre",
)

#: Prefix of the flow's per-centre columns ("centre A").
FLOW_PREFIX = "centre "


@dataclass(frozen=True)
class Centre:
    """One centre's export and how to read it."""

    name: str
    path: str
    raw_format: str = "contract"
    redcap_data_dictionary: str | None = None
    column_map: Mapping[str, Any] | None = None

    @property
    def label(self) -> str:
        return f"centre '{self.name}'"


def is_pooled(raw_data: Any) -> bool:
    """True when `raw_data` lists centres (a list), False for a single export (a path)."""
    return isinstance(raw_data, list)


def centres(config: Mapping[str, Any]) -> list[Centre]:
    """The centres of a validated config with `raw_data` as a list (per-entry keys over top-level ones)."""
    return [Centre(name=str(entry["centre"]).strip(), path=str(entry["path"]),
                   raw_format=entry.get("raw_format", config.get("raw_format", "contract")),
                   redcap_data_dictionary=entry.get("redcap_data_dictionary", config.get("redcap_data_dictionary")),
                   column_map=entry.get("column_map", config.get("column_map") or {}))
            for entry in config["raw_data"]]


def input_files(config: Mapping[str, Any]) -> list[str]:
    """Every raw file or directory a config reads: exports and REDCap data dictionaries, in order."""
    if not is_pooled(config["raw_data"]):
        files = [config["raw_data"]]
        if config.get("raw_format") == "redcap" and config.get("redcap_data_dictionary"):
            files.append(config["redcap_data_dictionary"])
        return files
    files = []
    for centre in centres(config):
        files.append(centre.path)
        if centre.raw_format == "redcap" and centre.redcap_data_dictionary:
            files.append(centre.redcap_data_dictionary)
    return list(dict.fromkeys(files))


def raw_data_problems(raw_data: Any) -> list[str]:
    """Problems of the shape of a `raw_data` list that the schema would only call "not valid under any
    of the given schemas": an entry that is not a mapping, without `centre` or `path`, a blank centre
    name, a centre listed twice. Checked before the schema, so that the message names the entry."""
    if not isinstance(raw_data, list):
        return []
    if not raw_data:
        return ["config key raw_data: an empty list of centres (give at least one {centre: NAME, path: PATH})"]
    problems = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(raw_data, start=1):
        where = f"config key raw_data, entry {number}"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: must be a mapping {{centre: NAME, path: PATH}}, not {entry!r}")
            continue
        unknown = sorted(set(map(str, entry)) - {"centre", "path", "raw_format", "redcap_data_dictionary",
                                                  "column_map"})
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: centre, path, raw_format, "
                            "redcap_data_dictionary, column_map)")
        name = entry.get("centre")
        if "centre" not in entry:
            problems.append(f"{where}: no 'centre' (the centre's name)")
        elif not isinstance(name, str):
            problems.append(f"{where}: the centre name must be text (quote it in YAML), not {name!r}")
        elif not name.strip():
            problems.append(f"{where}: the centre name is empty")
        else:
            key = name.strip().casefold()
            if key in seen:
                problems.append(f"{where}: centre '{name.strip()}' is listed twice (entries {seen[key]} and {number})")
            else:
                seen[key] = number
        label = f"{where} (centre '{name.strip()}')" if isinstance(name, str) and name.strip() else where
        if "path" not in entry:
            problems.append(f"{label}: no 'path' (the centre's export)")
        elif not isinstance(entry["path"], str) or not entry["path"].strip():
            problems.append(f"{label}: the path is empty")
    return problems


def config_problems(config: Mapping[str, Any], root: str | Path = ".") -> list[str]:
    """Problems of a validated config's centres and of `stratify_by`, one line each; empty if none.

    `root`: the folder relative paths are read from (the project root)."""
    from ino_study.records.column_map import column_map_problems

    problems: list[str] = []
    pooled = is_pooled(config["raw_data"])
    for key in ("comparisons", "stratify_by"):
        if "centre" in (config.get(key) or []) and not pooled:
            problems.append(f"config key {key}: 'centre' needs raw_data as a list of centres "
                            "({centre: NAME, path: PATH}); a single export has no centre")
    if config.get("table1_by") == "centre" and not pooled:
        problems.append("config key table1_by: 'centre' needs raw_data as a list of centres "
                        "({centre: NAME, path: PATH}); a single export has no centre")
    for name in config.get("stratify_by") or []:
        if name in STRATIFY_VARIABLES:
            continue
        from ino_study.endpoints.adsl import ADSL_COLUMNS

        if name == "hsct_after_ino":
            why = "is not known at the start of follow-up (stratifying by it is biased by immortal time)"
        elif name in ADSL_COLUMNS:
            why = "is a column of adsl but not a patient-level grouping variable"
        else:
            why = "is not a patient-level variable of the analysis"
        problems.append(f"config key stratify_by: '{name}' {why}; choose from {', '.join(STRATIFY_VARIABLES)}")
    if not pooled:
        return problems
    root = Path(root)
    for centre in centres(config):
        where = f"config key raw_data, {centre.label}"
        if not (root / centre.path).exists():
            problems.append(f"{where}: path '{centre.path}' does not exist")
        if centre.raw_format == "redcap":
            if not centre.redcap_data_dictionary:
                problems.append(f"{where}: raw_format redcap needs redcap_data_dictionary (the project's data "
                                "dictionary CSV), in the entry or at the top level")
            elif not (root / centre.redcap_data_dictionary).exists():
                problems.append(f"{where}: redcap_data_dictionary '{centre.redcap_data_dictionary}' does not exist")
        if centre.column_map == (config.get("column_map") or {}):
            continue  # the top-level map, which the start-up check reports once as "config key column_map"
        for table, text in column_map_problems(centre.column_map):
            problems.append(f"{where}: column_map{'' if table is None else '.' + table}: {text}")
    return problems


def _in_centre(finding, centre: Centre, prefix: bool = True):
    """The finding with its source naming the centre and its patient ID as pooled (`<centre>-<id>`)."""
    changes: dict[str, Any] = {"source": f"{centre.label}: {finding.source}"}
    if prefix and finding.patient_id is not None:
        changes["patient_id"] = pooled_id(centre.name, finding.patient_id)
    return dataclasses.replace(finding, **changes)


def pooled_id(centre: str, patient_id: str) -> str:
    """A patient's ID in the pooled data: `<centre>-<id>`."""
    return f"{centre}-{patient_id}"


def pooled_ids(centre: str, patient_ids):
    """`pooled_id` of each ID of a column: one string operation over the column when every ID is text."""
    import pandas as pd

    if pd.api.types.infer_dtype(patient_ids, skipna=False) == "string":
        return f"{centre}-" + patient_ids
    return patient_ids.map(lambda pid: pooled_id(centre, pid))


def clean_centres(config: Mapping[str, Any], rules: Any, pseudonym_key: bytes | None = None):
    """Read and clean every centre, then pool them (module docstring); raise DataContractError listing
    every centre's problems. Returns (CleanRecords of the pool, the centres)."""
    import pandas as pd

    from ino_study.records.clean import CleanRecords, clean_records
    from ino_study.records.quality import DataContractError, Finding
    from ino_study.records.read import read_registry_export

    listed = centres(config)
    errors: list[Finding] = []
    cleaned = []
    for centre in listed:
        raw, read_findings = read_registry_export(centre.path, centre.column_map, centre.raw_format,
                                                  centre.redcap_data_dictionary)
        try:
            records = clean_records(raw, rules, read_findings, release_raw=True)
        except DataContractError as error:
            # the IDs as the centre's file writes them: the patient to find in that file
            errors += [_in_centre(f, centre, prefix=False) for f in error.findings]
            continue
        cleaned.append((centre, records))
    if not errors:
        errors += _collisions(cleaned)
    if errors:
        if pseudonym_key is not None:
            from ino_study.records.pseudonym import pseudonymise_findings

            errors = pseudonymise_findings(errors, pseudonym_key)
        raise DataContractError(errors)

    tables: dict[str, list[pd.DataFrame]] = {}
    findings = []
    flows = []
    for centre, records in cleaned:
        for name, frame in records.tables.items():
            frame = frame.copy()
            frame["patient_id"] = pooled_ids(centre.name, frame["patient_id"])
            if name == "patients":
                frame.insert(frame.columns.get_loc("patient_id") + 1, "centre", centre.name)
            tables.setdefault(name, []).append(frame)
        findings += [_in_centre(f, centre) for f in records.findings]
        flows.append(records.flow.set_index("step")["patients"].rename(FLOW_PREFIX + centre.name))
    pooled = {name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()}
    flow = pd.concat(flows, axis=1)
    flow["patients"] = flow.sum(axis=1)
    flow = flow.reset_index()
    if pseudonym_key is not None:
        from ino_study.records.pseudonym import pseudonymise_findings, pseudonymise_tables

        pooled = pseudonymise_tables(pooled, pseudonym_key)
        findings = pseudonymise_findings(findings, pseudonym_key)
    return CleanRecords(tables=pooled, findings=findings, flow=flow), listed


def _collisions(cleaned) -> list:
    """Errors for two patients of different centres whose pooled IDs coincide."""
    from ino_study.records.quality import Finding

    owner: dict[str, tuple[Any, str]] = {}
    errors = []
    for centre, records in cleaned:
        for patient_id in records.tables["patients"]["patient_id"].tolist():
            pooled = pooled_id(centre.name, patient_id)
            if pooled in owner:
                first, raw_id = owner[pooled]
                errors.append(Finding(
                    "error", "patients", f"{first.label} and {centre.label}", None, "patient_id", pooled, None,
                    f"patient '{raw_id}' of {first.label} and patient '{patient_id}' of {centre.label} both "
                    f"become '{pooled}' when the centres are pooled: rename a centre or a patient ID", "stop"))
            else:
                owner[pooled] = (centre, patient_id)
    return errors
