"""Each rule's memory (`resources: mem_mb`) is a function of its input size (issue #23, item 4).

ino_study.resources.mem_mb: a floor plus MB per input MB, rounded up to 100 MB (hand-computed cases);
every rule declares it; Snakemake evaluates it per job from the job's data input files (a dry run of
the default run and of a simulated 100,000-patient cohort: the printed mem_mb is the function of the
summed sizes of the files the job lists as input, less its code inputs under workflow/src, and grows
with them; a code file of 1 GB changes no request); and the recorded peaks of
benchmarks/rule_memory.py lie below what it requests.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT, copy_project, run_snakemake
from ino_study.config import scenario_rederives_endpoints
from ino_study.resources import RULE_MEMORY, SCENARIO_FROM_DATASETS, STEP_MB, mem_mb
from test_workflow_style import RULE_FILES, rules_of

MEASURED = PROJECT_ROOT / "benchmarks" / "rule_memory.json"


def test_floor_plus_input_rounded_up_to_100_mb(monkeypatch):
    monkeypatch.setitem(RULE_MEMORY, "example", (1000, 12.0))
    assert mem_mb("example", None) == 1000 and mem_mb("example", 0) == 1000
    assert mem_mb("example", 1e6) == 1100  # 1000 + 12 = 1012 -> 1100
    assert mem_mb("example", 50e6) == 1600  # 1000 + 600 exactly
    assert mem_mb("example", 50e6 + 1) == 1700  # a byte more: rounded up, never down
    assert mem_mb("example", 500e6) == 7000
    assert STEP_MB == 100


def test_unknown_rule_and_negative_size_are_refused():
    with pytest.raises(KeyError, match="no memory model for rule 'nope'"):
        mem_mb("nope", 1)
    with pytest.raises(ValueError, match="negative"):
        mem_mb("tables", -1)


def test_every_rule_declares_its_memory_from_its_input():
    rules = {name: body for path in RULE_FILES for name, body in rules_of(path).items()}
    for name, body in rules.items():
        declared = "        mem_mb=scenario_memory," if name == "scenario_analysis" else f'        mem_mb=memory("{name}"),'
        assert declared in body, f"rule {name}: no resources: {declared.strip()}"
    assert set(RULE_MEMORY) == set(rules) | {SCENARIO_FROM_DATASETS}
    common = (PROJECT_ROOT / "workflow" / "rules" / "common.smk").read_text()
    assert "return lambda wildcards, input: mem_mb(rule, data_bytes(input))" in common
    assert "return mem_mb(model, data_bytes(input))" in common
    assert 'model = "scenario_analysis" if rederives else SCENARIO_FROM_DATASETS' in common


def dry_run_jobs(workdir: Path, *args: str) -> list[dict]:
    """Each job of a dry run (--forceall): rule, input files, and the mem_mb Snakemake evaluated."""
    result = run_snakemake(workdir, "--dry-run", "--forceall", *args)
    jobs = []
    for block in re.split(r"\n(?=rule \w+:)", result.stdout):
        rule = re.match(r"rule (\w+):", block)
        memory = re.search(r"resources: .*\bmem_mb=(\d+)", block)
        inputs = re.search(r"\n\s+input: (.*)", block)
        wildcards = re.search(r"\n\s+wildcards: (.*)", block)
        if rule and memory:
            jobs.append({"rule": rule.group(1), "mem_mb": int(memory.group(1)),
                         "input": inputs.group(1).split(", ") if inputs else [],
                         "wildcards": wildcards.group(1) if wildcards else ""})
    return jobs


def size_on_disk(path: Path) -> int:
    """A file's size, or the summed size of the files under a folder (a simulated cohort's CSVs)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def model_of(job: dict) -> str:
    """The memory model of a job: its rule's, and for a scenario's analysis that starts from the main
    run's analysis datasets (it lists results/adam/ files as input) SCENARIO_FROM_DATASETS."""
    from_datasets = any(name.startswith("results/adam/") for name in job["input"])
    return SCENARIO_FROM_DATASETS if job["rule"] == "scenario_analysis" and from_datasets else job["rule"]


def is_package_code(name: str) -> bool:
    """An input the rule lists as `code` (common.smk: package_code, relative to the project)."""
    return name.startswith("workflow/src/ino_study/")


def check_jobs(workdir: Path, jobs: list[dict]) -> dict[str, int]:
    """Every job whose inputs all exist requests mem_mb(model, the summed size of those that are not
    package code); {rule: mem_mb}."""
    checked = {}
    for job in jobs:
        paths = [workdir / name for name in job["input"]]
        if job["rule"] == "all" or not all(p.exists() for p in paths):
            continue
        data = [workdir / name for name in job["input"] if not is_package_code(name)]
        assert job["mem_mb"] == mem_mb(model_of(job), sum(size_on_disk(p) for p in data)), job
        checked[job["rule"]] = job["mem_mb"]
    return checked


def test_snakemake_requests_each_jobs_memory_from_its_input_size(tmp_path):
    workdir = copy_project(tmp_path / "project")
    default = check_jobs(workdir, dry_run_jobs(workdir))
    assert {"clean_records", "provenance"} <= set(default)
    config = {"scenarios": yaml.safe_load((workdir / "config.yaml").read_text())["scenarios"]}
    assert not all(scenario_rederives_endpoints(config, name) for name in config["scenarios"])  # both models used
    raw = tmp_path / "cohort"
    subprocess.run([sys.executable, str(PROJECT_ROOT / "workflow/scripts/simulate_cohort.py"), "--patients", "100000",
                    "--seed", "1", "--out", str(raw)], check=True, capture_output=True, timeout=300)
    large = check_jobs(workdir, dry_run_jobs(workdir, "--config", f"raw_data={raw}"))
    # the same rule, larger inputs: a larger request (clean_records reads the export: a folder of CSVs,
    # 59 MB, against the 0.018 MB workbook), at least the floor and 50 MB's worth (the default's request
    # is itself rounded up from the floor to the next 100 MB: not a lower bound to add to)
    floor, per_mb = RULE_MEMORY["clean_records"]
    assert large["clean_records"] > default["clean_records"]
    assert large["clean_records"] >= floor + 50 * per_mb


def test_code_inputs_do_not_count(tmp_path):
    """A rule's `code` inputs (package modules, the translation catalogue) rerun it when edited but are
    not data it holds in memory: a 1 GB file among clean_records' code (sparse: its size, no disk)
    leaves its request at what its export needs. Counted, it would add the factor x 1000 MB (5 GB)."""
    workdir = copy_project(tmp_path / "project")
    padding = workdir / "workflow/src/ino_study/records/translations/padding.txt"
    padding.parent.mkdir(exist_ok=True)
    with padding.open("wb") as handle:
        handle.truncate(10 ** 9)
    jobs = {job["rule"]: job for job in dry_run_jobs(workdir)}
    cleaning = jobs["clean_records"]
    assert "workflow/src/ino_study/records/translations/padding.txt" in cleaning["input"]
    assert "workflow/src/ino_study/outputs/translations/ru.csv" in cleaning["input"]  # the catalogue
    export = workdir / yaml.safe_load((workdir / "config.yaml").read_text())["raw_data"]
    assert [name for name in cleaning["input"] if not is_package_code(name)] == [str(export.relative_to(workdir))]
    assert cleaning["mem_mb"] == mem_mb("clean_records", export.stat().st_size)  # 500 MB + 5 x 0.018 MB: 600
    assert cleaning["mem_mb"] < mem_mb("clean_records", 10 ** 9)


def test_a_rules_code_inputs_are_the_inputs_under_workflow_src(tmp_path):
    """What data_bytes leaves out (a path under workflow/src) is what the rules name `code`: every rule
    that lists `code=` lists package files, and no other rule's job lists any (a dry run)."""
    rules = {name: body for path in RULE_FILES for name, body in rules_of(path).items()}
    workdir = copy_project(tmp_path / "project")
    seen = set()
    for job in dry_run_jobs(workdir):
        if job["rule"] == "all":
            continue
        code = [name for name in job["input"] if is_package_code(name)]
        assert bool(code) == ("        code=" in rules[job["rule"]]), (job["rule"], code)
        assert all(not name.startswith("workflow/src") or is_package_code(name) for name in job["input"])
        seen.add(job["rule"])
    assert seen == set(rules)


def test_data_bytes_leaves_out_code_under_workflow_src(tmp_path):
    from ino_study.resources import data_bytes, is_code

    package = tmp_path / "workflow" / "src" / "ino_study"
    (package / "outputs" / "translations").mkdir(parents=True)
    (package / "job.py").write_bytes(b"#" * 700)
    (package / "outputs" / "translations" / "ru.csv").write_bytes(b"t" * 50)
    (tmp_path / "results" / "adam").mkdir(parents=True)
    (tmp_path / "results" / "adam" / "adsl.parquet").write_bytes(b"p" * 4000)
    (tmp_path / "export.xlsx").write_bytes(b"x" * 300)
    inputs = ["results/adam/adsl.parquet", "workflow/src/ino_study/job.py",
              "./workflow/src/ino_study/outputs/translations/ru.csv", str(tmp_path / "export.xlsx")]
    assert data_bytes(inputs, root=tmp_path) == 4000 + 300
    assert [is_code(name) for name in inputs] == [False, True, True, False]
    assert not is_code("workflow/srcs/x.py") and not is_code("workflow/rules/common.smk")


def test_input_bytes_counts_files_and_folders(tmp_path):
    from ino_study.resources import input_bytes

    (tmp_path / "a.csv").write_bytes(b"x" * 1000)
    (tmp_path / "cohort" / "sub").mkdir(parents=True)
    (tmp_path / "cohort" / "p.csv").write_bytes(b"y" * 300)
    (tmp_path / "cohort" / "sub" / "q.csv").write_bytes(b"z" * 20)
    assert input_bytes([str(tmp_path / "a.csv")]) == 1000
    assert input_bytes([str(tmp_path / "cohort")]) == 320
    assert input_bytes([str(tmp_path / "a.csv"), str(tmp_path / "cohort"), str(tmp_path / "missing.csv")]) == 1320


def test_recorded_peaks_lie_below_the_requests():
    """benchmarks/rule_memory.py's measurements (peak resident set of each job, simulated cohorts):
    what the model requests for each job's input size is above the peak it was measured at."""
    rows = json.loads(MEASURED.read_text())
    assert {row["patients"] for row in rows} >= {10_000, 100_000, 1_000_000}
    assert {row["rule"] for row in rows} == set(RULE_MEMORY) - {"compare_scenarios"}  # too short to catch
    for row in rows:
        request_mib = mem_mb(row["rule"], row["input_mib"] * 2 ** 20) * 1e6 / 2 ** 20
        assert request_mib > row["peak_rss_mib"], row


def test_each_centre_scenario_is_a_job_of_its_own_with_its_own_memory(tmp_path):
    """config/examples/centres_as_scenarios.yaml (docs/slurm.md): each centre's records are read and
    analysed by jobs of their own, whose memory follows that centre's export."""
    workdir = copy_project(tmp_path / "project")
    jobs = dry_run_jobs(workdir, "--configfile", "config/examples/centres_as_scenarios.yaml")
    exports = {"centre_SYN-A": "data/examples/centre_SYN-A_SYNTHETIC.xlsx",
               "centre_SYN-B": "data/examples/centre_SYN-B_redcap_SYNTHETIC.csv"}
    for name, export in exports.items():
        own = [job for job in jobs if job["wildcards"] == f"scenario={name}"]
        assert sorted(job["rule"] for job in own) == ["scenario_analysis", "scenario_clean_records",
                                                      "scenario_export_analysis_datasets"], own
        cleaning = next(job for job in own if job["rule"] == "scenario_clean_records")
        assert export in cleaning["input"] and not set(exports.values()) - {export} & set(cleaning["input"])
        # its own export's size (the main run's patient flow, also an input, is not there yet in a dry run)
        size = sum(size_on_disk(workdir / name) for name in cleaning["input"] if (workdir / name).exists())
        assert cleaning["mem_mb"] == mem_mb("scenario_clean_records", size)
    analyses = [job for job in jobs if job["rule"] == "scenario_analysis"]
    assert len(analyses) == 2 + 3  # the two centres and config.yaml's three scenarios
