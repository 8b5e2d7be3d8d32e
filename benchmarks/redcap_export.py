#!/usr/bin/env python
"""A simulated cohort as a REDCap project, at any size, and the records step timed on it (issue #23).

    python benchmarks/redcap_export.py write --patients 100000 --seed 1 --out benchmarks/out/redcap_100k
    /usr/bin/time -v python benchmarks/redcap_export.py clean --export benchmarks/out/redcap_100k

`write`: `simulate_cohort` (workflow/scripts/simulate_cohort.py's cohort) as REDCap's "Export Records"
CSV (`redcap_SYNTHETIC.csv`) and the study's data dictionary, laid out as
`ino_study.synthetic.redcap_export_rows` lays out the reference cohort (a test checks they agree), but
built column by column: that function looks each record up in every table, fine for 17 patients,
quadratic for a million. The simulated cells are a spreadsheet's (Russian spellings, day-first dates,
decimal commas); a coded field gets the code of the choice its cell reads as (the contract's parser
of the column, then the choice's label), or stays blank where no choice matches (REDCap holds only
codes); other fields keep the cell as written, so the cleaner still normalises them.
`findings`: what the one-Finding-per-excluded-patient costs (on the findings `clean` wrote).
`clean`: the rule clean_records' step (`ino_study.records.step.clean_records`) on that export, with
the default config and `raw_format: redcap`; prints the step's CPU and wall time (peak memory: run it
under /usr/bin/time -v).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# INO_STUDY_SRC: another checkout's workflow/src (`git archive REV workflow/src`), to time its code
sys.path.insert(0, os.environ.get("INO_STUDY_SRC", str(ROOT / "workflow" / "src")))

EXPORT, DICTIONARY = "redcap_SYNTHETIC.csv", "redcap_data_dictionary_SYNTHETIC.csv"
CHUNK = 100_000  # records written at a time


def _choice_codes(table: str, column: str, values: pd.Series, kind: str, choices: str) -> pd.Series:
    """Each cell's code among a coded field's choices ("" when blank or no choice matches)."""
    from ino_study.records.contract import TABLES_BY_NAME
    from ino_study.records.parse import PARSERS, ParseError
    from ino_study.records.redcap import parse_choices
    from ino_study.synthetic import _redcap_value

    parser = PARSERS[TABLES_BY_NAME[table].column(column).kind]
    by_label = {label.casefold(): code for code, label in parse_choices(choices).items()} if choices else {}
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)

    def code_of(value) -> str:
        try:
            parsed = parser(value).value
        except ParseError:
            return ""
        text = _redcap_value(parsed)
        if kind == "yesno":
            return text if text in ("0", "1") else ""
        if kind == "checkbox":  # one label (the cohort has one group per patient)
            return str(text).strip().casefold()
        return by_label.get({"m": "male", "f": "female"}.get(text.casefold(), text.casefold()), "")

    mapped = np.array([code_of(u) for u in uniques] + [""], dtype=object)
    return pd.Series(mapped[codes], index=values.index)


def redcap_export_frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """`redcap_export_rows(tables)` as a frame of strings (the header as its columns), built by column."""
    from ino_study.records.contract import TABLES
    from ino_study.records.redcap import NON_REPEATING, parse_choices
    from ino_study.synthetic import REDCAP_FIELD_TYPES, _redcap_value, redcap_export_columns

    header, columns = redcap_export_columns()
    records = pd.Index(tables["patients"]["patient_id"].astype(object))
    parts = []
    for table in TABLES:
        frame = tables[table.name]
        if table.name in NON_REPEATING:
            frame = frame.drop_duplicates("patient_id")
        position = records.get_indexer(frame["patient_id"].astype(object))
        frame = frame[position >= 0]
        part = pd.DataFrame({"patient_id": frame["patient_id"].astype(object).to_numpy()})
        part["_record"] = position[position >= 0]
        repeating = table.name not in NON_REPEATING
        part["_table"] = 0 if not repeating else 1 + [t.name for t in TABLES].index(table.name)
        instance = frame.groupby("patient_id", sort=False).cumcount().to_numpy() + 1
        part["_instance"] = instance if repeating else 0
        part["redcap_repeat_instrument"] = table.name if repeating else ""
        part["redcap_repeat_instance"] = part["_instance"].astype(str) if repeating else ""
        coded: dict[str, pd.Series] = {}
        for name, form, column, code in columns:
            if form != table.name:
                continue
            if not column:
                part[name] = "2"
                continue
            kind, choices, _, _ = REDCAP_FIELD_TYPES[column]
            values = frame[column].reset_index(drop=True)
            if kind in ("radio", "dropdown", "yesno"):
                part[name] = _choice_codes(table.name, column, values, kind, choices).to_numpy()
            elif kind == "checkbox":
                if column not in coded:
                    coded[column] = _choice_codes(table.name, column, values, kind, choices)
                label = parse_choices(choices)[code].casefold()
                part[name] = np.where(coded[column].to_numpy() == label, "1", "0")
            else:
                uniques_codes, uniques = pd.factorize(values.astype(object))
                text = np.array([_redcap_value(u) for u in uniques] + [""], dtype=object)
                part[name] = text[uniques_codes]
        parts.append(part)
    # the non-repeating row holds patients and follow_up: one row per record
    patients, follow_up = parts[0], parts[-1]
    follow_up = follow_up.set_index("_record")[[c for c in follow_up.columns if c in header[3:]]]
    patients = patients.join(follow_up, on="_record")
    rows = pd.concat([patients, *parts[1:-1]], ignore_index=True)
    rows = rows.sort_values(["_record", "_table", "_instance"], kind="stable")
    return rows.reindex(columns=header).fillna("")


def write_export(patients: int, seed: int, out: Path) -> tuple[Path, Path]:
    from ino_study.synthetic import redcap_data_dictionary_rows, simulate_cohort

    out.mkdir(parents=True, exist_ok=True)
    tables = simulate_cohort(patients, seed)
    with open(out / DICTIONARY, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(redcap_data_dictionary_rows())
    # records a slice at a time (the export is the records one after another): memory stays bounded
    ids = tables["patients"]["patient_id"].astype(object)
    for start in range(0, max(len(ids), 1), CHUNK):
        mine = set(ids.iloc[start:start + CHUNK])
        part = {name: frame[frame["patient_id"].isin(mine)] for name, frame in tables.items()}
        part["patients"] = tables["patients"].iloc[start:start + CHUNK]
        redcap_export_frame(part).to_csv(out / EXPORT, index=False, lineterminator="\n", encoding="utf-8",
                                         mode="w" if start == 0 else "a", header=start == 0)
    return out / EXPORT, out / DICTIONARY


def clean(folder: Path) -> None:
    from types import SimpleNamespace

    from ino_study.config import step_settings
    from ino_study.layout import CLEAN_TABLES
    from ino_study.records.step import clean_records

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import load_config

    config = {**load_config(), "raw_format": "redcap", "raw_data": str(folder / EXPORT),
              "redcap_data_dictionary": str(folder / DICTIONARY)}
    out = folder / os.environ.get("INO_STUDY_CLEAN", "clean")
    out.mkdir(exist_ok=True)
    output = SimpleNamespace(**{name: str(out / f"{name}.parquet") for name in CLEAN_TABLES},
                             findings=str(out / "findings.csv"), report=str(out / "report.md"),
                             flow=str(out / "patient_flow.csv"))
    wall, cpu = time.perf_counter(), time.process_time()
    clean_records(config["raw_data"], step_settings(config, "clean_records"), output)
    print(f"clean_records: {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU")


def findings_cost(folder: Path) -> None:
    """What the per-patient exclusion findings cost, on the findings `clean` wrote: making one Finding
    per excluded patient (time, memory), and writing the data-quality report with and without them."""
    import tracemalloc
    from types import SimpleNamespace

    from ino_study.records.quality import Finding
    from ino_study.records.report import write_quality_report
    from ino_study.records.step import eligibility_rules

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import load_config

    out = folder / os.environ.get("INO_STUDY_CLEAN", "clean")
    frame = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    flow = pd.read_csv(out / "patient_flow.csv")
    per_patient = (frame["severity"] == "exclusion") & (frame["table"] == "patients") & (frame["row"] == "")
    patients = frame[per_patient]
    others = frame.drop(patients.index)

    def findings_of(rows: pd.DataFrame) -> list:
        return [Finding(r.severity, r.table, r.source, int(r.row) if r.row else None, r.column or None,
                        r.patient_id or None, r.value or None, r.rule, r.action, int(r.count))
                for r in rows.itertuples(index=False)]

    ids, reasons = patients["patient_id"].tolist(), patients["rule"].tolist()
    source = patients["source"].iloc[0]
    tracemalloc.start()
    started = time.process_time()
    made = [Finding("exclusion", "patients", source, None, None, patient_id, None, reason,
                    "patient not analysed") for patient_id, reason in zip(ids, reasons)]  # as clean_records
    spent = time.process_time() - started
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"{len(made)} exclusion findings: made in {spent:.2f} s CPU, {size / 2**20:.1f} MiB")
    rules, rest = eligibility_rules(load_config()), findings_of(others)
    paths = SimpleNamespace(**{k: str(out / f"cost_{k}") for k in ("findings", "report", "flow")})
    for label, findings in (("with them", rest + made), ("without them", rest)):
        started = time.process_time()
        write_quality_report(findings, flow, paths.findings, paths.report, paths.flow, source=EXPORT,
                             rules=rules)
        spent = time.process_time() - started
        print(f"data-quality report {label} ({len(findings)} findings): {spent:.2f} s CPU")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    write = sub.add_parser("write")
    write.add_argument("--patients", type=int, required=True)
    write.add_argument("--seed", type=int, required=True)
    write.add_argument("--out", type=Path, required=True)
    run = sub.add_parser("clean")
    run.add_argument("--export", type=Path, required=True, help="a folder `write` wrote")
    cost = sub.add_parser("findings")
    cost.add_argument("--export", type=Path, required=True, help="a folder `clean` has run on")
    args = ap.parse_args(argv)
    if args.command == "write":
        started = time.perf_counter()
        export, _ = write_export(args.patients, args.seed, args.out)
        size = export.stat().st_size / 2**20
        print(f"wrote {export} ({size:.0f} MiB) in {time.perf_counter() - started:.1f} s")
    elif args.command == "clean":
        clean(args.export)
    else:
        findings_cost(args.export)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
