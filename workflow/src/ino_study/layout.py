"""Names and places of the pipeline's datasets, shared by the rules and the steps.

Light on purpose: the workflow imports it while Snakemake reads the rules, at every start.
"""

from __future__ import annotations

import fnmatch

#: The clean tables of the records step (results/data/clean/<name>.parquet).
CLEAN_TABLES = ("patients", "ino_doses", "assessments", "transplants", "adverse_events", "follow_up")
#: The analysis datasets of the endpoints step (results/adam/<name>.parquet, read by the later steps;
#: results/adam/<name>.csv, the copies for reading, written from the Parquet files by a rule of its own).
ANALYSIS_DATASETS = ("adsl", "adrs", "adtte", "adae")


def analysis_dataset_paths(prefix: str, fmt: str) -> dict[str, str]:
    """The analysis datasets in format `fmt` ("parquet" or "csv") under `prefix` (results, or
    results/scenarios/<name>), by output name: adsl_parquet -> <prefix>/adam/adsl.parquet, ..."""
    return {f"{name}_{fmt}": f"{prefix}/adam/{name}.{fmt}" for name in ANALYSIS_DATASETS}


def scenario_paths(prefix: str) -> dict[str, str]:
    """Every file a scenario's analysis writes under `prefix` (results/scenarios/<name>), by output name
    (the analysis datasets as Parquet; their CSV copies are written by scenario_export_analysis_datasets)."""
    paths = analysis_dataset_paths(prefix, "parquet")
    paths |= {
        "estimates": f"{prefix}/tables/survival_estimates.csv", "medians": f"{prefix}/tables/median_survival.csv",
        "follow_up": f"{prefix}/tables/follow_up.csv", "logrank": f"{prefix}/tables/logrank.csv",
        "cox": f"{prefix}/tables/cox.csv", "summary": f"{prefix}/summary.json", "paragraph": f"{prefix}/summary.md",
    }
    return paths


#: The kinds of result file that are committed (paths relative to results/; keep in step with
#: .gitignore): CI regenerates them and compares (tests/test_regeneration.py, .ci/results_diff.py).
COMMITTED_PATTERNS = ("summary.json", "summary.md", "tables/*.csv", "tables/*.md", "data_quality/*",
                      "figures/data/*.csv")
NEVER_COMMITTED = ("*.parquet", "*.png", "*.svg", "*.pdf", "*.xlsx", "*.docx", "provenance.json", "report.html")


def is_committed_kind(relative: str) -> bool:
    """True for a result file (path relative to results/) of a committed kind."""
    name = relative.rsplit("/", 1)[-1]
    if any(fnmatch.fnmatch(name, pattern) for pattern in NEVER_COMMITTED):
        return False
    return any(fnmatch.fnmatch(relative, pattern) and relative.count("/") == pattern.count("/")
               for pattern in COMMITTED_PATTERNS)
