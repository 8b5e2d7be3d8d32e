"""The memory each rule's job needs, from the size of its inputs (issue #23, item 4).

Every rule declares `resources: mem_mb=memory("<rule>")` (workflow/rules/common.smk), which Snakemake
evaluates when the job is ready, with the job's input files present: `mem_mb(rule, input_bytes(input))`
(a folder of CSV files counts with the files in it; Snakemake's own `input.size` counts a folder as
its directory entry, 4 KB).
A cluster executor (profiles/slurm) requests that much (`sbatch --mem`); a local run with
`--resources mem_mb=N` runs no more jobs at once than fit in N.

The model is linear in the summed size of the inputs: a floor (the job's imports and fixed work)
plus a number of MB per MB of input, rounded up to 100 MB. It was fitted to the peak resident set
of each rule's job on simulated cohorts of 10,000, 100,000 and 1,000,000 patients
(benchmarks/rule_memory.py; the measurements in benchmarks/rule_memory.json, tests/test_resources.py
checks every recorded peak lies below what this gives). Input sizes count what the rule reads:
Parquet and CSV are compressed or compact on disk and grow in memory, hence the factors well above 1.

Light: the workflow imports this at every start (no pandas).
"""

from __future__ import annotations

import math
import os
from typing import Iterable

#: Per memory model (a rule's name; scenario_analysis has two): (floor in MB, MB of memory per MB of
#: input), from `benchmarks/rule_memory.py --fit benchmarks/rule_memory.json` (10,000, 100,000 and
#: 1,000,000 patients). See the module docstring and docs/benchmarks.md, "Memory per rule".
RULE_MEMORY: dict[str, tuple[int, float]] = {
    "clean_records": (500, 7.0),
    "cohort_figures": (600, 25.0),
    "deaths_and_mrd_landmark": (500, 42.0),
    "derive_endpoints": (500, 78.0),
    "figures": (600, 25.5),
    "hsct_outcomes": (500, 31.0),
    "provenance": (500, 0.5),
    "scenario_analysis": (500, 84.5),
    "scenario_analysis_from_datasets": (500, 3.0),
    "scenario_clean_records": (500, 7.5),
    "summarise": (500, 45.5),
    "survival_statistics": (500, 35.5),
    "tables": (500, 51.0),
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
