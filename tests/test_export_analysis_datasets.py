"""The CSV copies of the analysis datasets are written by a rule of their own (export_analysis_datasets,
and scenario_export_analysis_datasets per scenario), from the Parquet files derive_endpoints writes:
off the critical path, with the bytes derive_endpoints wrote before (issue #23, item 1).

Reference: `write_csv` on the frames `derive_analysis_datasets` returns, which is what derive_endpoints
wrote as results/adam/<name>.csv until this change; the default cohort and a simulated one are compared
byte for byte, and random frames of every column type write_csv covers go through a Parquet file and
back. tests/test_columnar_equivalence.py (slow) compares the 10,000-patient cohort's CSV copies, the
scenarios' too, with the digests recorded from the row-by-row code.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given, settings

from conftest import PROJECT_ROOT, clean_records_outputs, copy_project, load_config, run_snakemake
from ino_study import steps
from ino_study.config import step_settings
from ino_study.layout import ANALYSIS_DATASETS, CLEAN_TABLES, analysis_dataset_paths
from ino_study.outputs.io import csv_text, read_parquet, write_csv, write_parquet
from test_outputs_io import frames


def clean_tables(raw, folder, config) -> SimpleNamespace:
    from ino_study.records.step import clean_records

    clean = clean_records_outputs(folder / "clean", folder)
    clean_records(str(raw), step_settings(config, "clean_records"), clean)
    return clean


def simulated(folder):
    from ino_study.synthetic import simulate_cohort, write_raw

    write_raw(simulate_cohort(3_000, seed=5, centres=2), folder, fmt="csv")
    return folder


@pytest.mark.parametrize("cohort", ["default", "simulated"])
def test_csv_from_the_parquet_is_what_derive_endpoints_wrote(tmp_path, cohort):
    from ino_study.endpoints.definitions import EndpointRules
    from ino_study.endpoints.derive import derive_analysis_datasets

    config = load_config()
    raw = PROJECT_ROOT / config["raw_data"] if cohort == "default" else simulated(tmp_path / "raw")
    clean = clean_tables(raw, tmp_path, config)
    settings = step_settings(config, "derive_endpoints")
    # the reference: the CSV of each derived frame, as derive_endpoints wrote it before
    tables = {name: read_parquet(getattr(clean, name)) for name in CLEAN_TABLES}
    datasets = derive_analysis_datasets(tables, EndpointRules.from_config(settings))
    for name in ANALYSIS_DATASETS:
        write_csv(datasets[name], tmp_path / f"reference/{name}.csv")
    # now: derive_endpoints writes the Parquet files only; export_analysis_datasets the CSV from them
    steps.derive_endpoints(clean, settings, SimpleNamespace(**analysis_dataset_paths(str(tmp_path), "parquet")))
    assert sorted(p.name for p in (tmp_path / "adam").iterdir()) == sorted(f"{n}.parquet" for n in ANALYSIS_DATASETS)
    parquet = SimpleNamespace(**{name: str(tmp_path / f"adam/{name}.parquet") for name in ANALYSIS_DATASETS})
    steps.export_analysis_datasets(parquet, step_settings(config, "export_analysis_datasets"),
                                   SimpleNamespace(**analysis_dataset_paths(str(tmp_path), "csv")))
    for name in ANALYSIS_DATASETS:
        exported = (tmp_path / f"adam/{name}.csv").read_bytes()
        assert exported == (tmp_path / f"reference/{name}.csv").read_bytes(), name
        assert exported.count(b"\n") == len(datasets[name]) + 1, name
    if cohort == "default":
        assert int(datasets["adsl"]["included"].sum()) == 17  # the abstract's 17 patients


@settings(max_examples=200, deadline=None)
@given(frames())
def test_a_frame_read_back_from_parquet_gives_the_same_csv(tmp_path_factory, frame):
    """Every column type write_csv covers (with NaN, NA, NaT, -0.0, quotes, line breaks, Cyrillic)
    keeps its CSV through write_parquet and read_parquet."""
    path = tmp_path_factory.mktemp("roundtrip") / "frame.parquet"
    write_parquet(frame, path)
    back = read_parquet(path)
    assert csv_text(back) == csv_text(frame)
    write_csv(frame, path.with_suffix(".direct.csv"))
    write_csv(back, path.with_suffix(".back.csv"))
    assert path.with_suffix(".back.csv").read_bytes() == path.with_suffix(".direct.csv").read_bytes()


def test_export_reads_the_parquet_files_it_is_given(tmp_path):
    """Not a copy of some other file: a changed Parquet file gives a changed CSV."""
    frame = pd.DataFrame({"USUBJID": ["P1", "P2"], "AVAL": [1.5, -0.0],
                          "ADT": pd.to_datetime(["2021-03-04", None])})
    for name in ANALYSIS_DATASETS:
        write_parquet(frame.assign(PARAMCD=name), tmp_path / f"{name}.parquet")
    parquet = SimpleNamespace(**{name: str(tmp_path / f"{name}.parquet") for name in ANALYSIS_DATASETS})
    steps.export_analysis_datasets(parquet, {}, SimpleNamespace(**analysis_dataset_paths(str(tmp_path), "csv")))
    assert (tmp_path / "adam/adrs.csv").read_text() == (
        "USUBJID,AVAL,ADT,PARAMCD\nP1,1.5,2021-03-04,adrs\nP2,-0,,adrs\n")


def test_no_step_waits_for_the_csv_copies(tmp_path):
    """In the DAG, results/adam/*.csv (main run and scenarios) are written by the export rules and read
    by no rule but `all`; derive_endpoints and scenario_analysis write no CSV copy."""
    workdir = copy_project(tmp_path / "project")
    result = run_snakemake(workdir, "--dry-run", "--forceall")
    jobs = re.split(r"\n(?=(?:local)?rule \w+:)", result.stdout)
    writers, readers = {}, set()
    for job in jobs:
        rule = re.match(r"(?:local)?rule (\w+):", job)
        if not rule:
            continue
        output = re.search(r"\n\s+output: (.*)", job)
        inputs = re.search(r"\n\s+input: (.*)", job)
        for path in output.group(1).split(", ") if output else []:
            if re.search(r"/adam/\w+\.csv$", path):
                writers[path] = rule.group(1)
        if rule.group(1) != "all" and inputs and re.search(r"/adam/\w+\.csv\b", inputs.group(1)):
            readers.add(rule.group(1))
    scenarios = sorted(load_config()["scenarios"])
    expected = {f"results/adam/{name}.csv": "export_analysis_datasets" for name in ANALYSIS_DATASETS}
    expected |= {f"results/scenarios/{scenario}/adam/{name}.csv": "scenario_export_analysis_datasets"
                 for scenario in scenarios for name in ANALYSIS_DATASETS}
    assert scenarios and writers == expected
    assert readers == set()
