"""The memory each rule's job needs, from the size of its inputs (issue #23, item 4).

Every rule declares `resources: mem_mb=memory("<rule>")` (workflow/rules/common.smk), which Snakemake
evaluates when the job is ready, with the job's input files present: `mem_mb(rule, data_bytes(input))`,
the summed size of its data inputs (a folder of CSV files counts with the files in it; Snakemake's own
`input.size` counts a folder as its directory entry, 4 KB). A rule's `code` inputs (the package modules
and translation catalogue it runs, under workflow/src: common.smk, package_code) rerun it when edited
but are not data: they do not count (`is_code`).
A cluster executor (profiles/slurm) requests that much (`sbatch --mem`); a local run with
`--resources mem_mb=N` runs no more jobs at once than fit in N.

The model is linear in the summed size of the inputs: a floor (the job's imports and fixed work)
plus a number of MB per MB of input, rounded up to 100 MB. It was fitted to the peak resident set
of each rule's job on simulated cohorts of 10,000, 100,000 and 1,000,000 patients
(benchmarks/rule_memory.py; the measurements in benchmarks/rule_memory.json, tests/test_resources.py
checks every recorded peak lies below what this gives), its input sizes summed by the same
`data_bytes`. Input sizes count the data the rule reads:
Parquet and CSV are compressed or compact on disk and grow in memory, hence the factors well above 1.

Light: the workflow imports this at every start (no pandas).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable

#: Per memory model (a rule's name; scenario_analysis has two): (floor in MB, MB of memory per MB of
#: input), from `benchmarks/rule_memory.py --fit benchmarks/rule_memory.json` (10,000, 100,000 and
#: 1,000,000 patients). See the module docstring and docs/benchmarks.md, "Memory per rule".
RULE_MEMORY: dict[str, tuple[int, float]] = {
    "clean_records": (500, 5.0),
    "cohort_figures": (600, 24.5),
    "deaths_and_mrd_landmark": (500, 44.5),
    "derive_endpoints": (500, 47.0),
    # measured peaks 212 MiB at 10,000 patients to 2,315 MiB at a million (rule_memory.json)
    "export_analysis_datasets": (500, 19.5),
    "figures": (600, 25.0),
    "hsct_outcomes": (500, 30.5),
    "provenance": (500, 0.0),
    "scenario_analysis": (500, 51.0),
    # its input is the main run's Parquet datasets only (not their CSV copies)
    "scenario_analysis_from_datasets": (500, 29.0),
    "scenario_clean_records": (500, 5.5),
    "scenario_export_analysis_datasets": (500, 22.5),
    "summarise": (500, 44.5),
    "survival_statistics": (500, 34.5),
    "tables": (500, 50.0),
    "transplant_and_competing_risks": (500, 33.0),
    "compare_scenarios": (500, 0.0),  # reads the summaries (a few KB); too short to measure
}

#: The model of a scenario_analysis job that starts from the main run's analysis datasets (it derives
#: nothing: the statistics' memory); one that re-derives the endpoints uses "scenario_analysis".
SCENARIO_FROM_DATASETS = "scenario_analysis_from_datasets"

#: Requests are rounded up to a multiple of this (MB).
STEP_MB = 100


def mem_mb(rule: str, input_bytes: float | None) -> int:
    """The memory (MB) to request for a job of `rule` whose input files sum to `input_bytes`.

    `input_bytes` None or 0 (inputs not there yet, e.g. in a dry run) gives the floor.
    """
    if rule not in RULE_MEMORY:
        raise KeyError(f"no memory model for rule {rule!r}: add it to ino_study.resources.RULE_MEMORY")
    if input_bytes is not None and input_bytes < 0:
        raise ValueError(f"input size of rule {rule!r} is negative: {input_bytes}")
    floor, per_mb = RULE_MEMORY[rule]
    need = floor + per_mb * (input_bytes or 0) / 1e6
    return int(math.ceil(need / STEP_MB) * STEP_MB)


def input_bytes(paths: Iterable[str]) -> int:
    """The summed size of `paths` in bytes: a file its size, a folder the files under it (recursively),
    a path that does not exist (yet) 0."""
    total = 0
    for path in paths:
        if os.path.isdir(path):
            for folder, _, files in os.walk(path):
                total += sum(os.path.getsize(os.path.join(folder, name)) for name in files)
        elif os.path.isfile(path):
            total += os.path.getsize(path)
    return total


#: Where the package's code lies, relative to the project: a rule's `code` inputs (package modules and
#: the translation catalogue, workflow/rules/common.smk: package_code) are listed from here.
CODE_DIR = ("workflow", "src")


def is_code(path: str) -> bool:
    """Whether a job's input `path` (relative to the project, as Snakemake lists it) is code: under
    CODE_DIR, so not data the job holds in memory."""
    return not os.path.isabs(path) and Path(os.path.normpath(path)).parts[: len(CODE_DIR)] == CODE_DIR


def data_bytes(paths: Iterable[str], root: str | os.PathLike = "") -> int:
    """The summed size (input_bytes) of the data among a job's input `paths`: those that are not code
    (is_code). `root` is the project the relative paths are in (the working directory when empty).

    What the rules' `resources: mem_mb` count (workflow/rules/common.smk) and what
    benchmarks/rule_memory.py counts for the measurements the model is fitted to: one function, so
    the two cannot disagree.
    """
    return input_bytes(os.path.join(root, str(path)) for path in paths if not is_code(str(path)))
