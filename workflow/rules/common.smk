# Paths shared by the rules. Outputs live under results/, logs under logs/.
# `priority: 10` marks the chain the figures wait for (records, endpoints, statistics, figures),
# the longest in the workflow: with few cores it runs before the sensitivity scenarios.
# `interpreter=1` marks the steps that would run Python in the Snakemake process without the step
# server (every step but the figures, which then draw in worker processes); in a local run each
# runs in a process forked from the server. The default profile runs two at a time, by priority.

from ino_study.config import (
    scenario_config,
    scenario_rederives_endpoints,
    scenario_rereads_records,
)

RESULTS = "results"
CLEAN_TABLES = steps.CLEAN_TABLES
ANALYSIS_DATASETS = steps.ANALYSIS_DATASETS
PACKAGE = Path(workflow.basedir) / "workflow" / "src" / "ino_study"


def config_subset(*keys):
    """Only the config keys a rule uses, so that changing another key does not rerun it."""
    return {key: config[key] for key in keys}


def package_code(*parts):
    """The package modules a step runs, as its inputs; editing one reruns that step and what follows.

    (Snakemake's own code trigger sees only the short run: block, not the package it calls.)
    """
    files = []
    for part in parts:
        path = PACKAGE / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return [str(f.relative_to(workflow.basedir)) for f in files]


SCENARIOS = sorted(config["scenarios"])
SCENARIO_CONFIGS = {name: scenario_config(config, name) for name in SCENARIOS}  # validated at start-up
SCENARIO_DIR = f"{RESULTS}/scenarios/{{scenario}}"


#: The config keys each scenario step uses (as params: a change of another key does not rerun it).
SCENARIO_RECORD_KEYS = (
    "cutoff_date", "study_window", "max_age_years", "identifier_columns", "pseudonymise"
)
SCENARIO_ANALYSIS_KEYS = (
    "cutoff_date", "mrd_threshold_percent", "response", "dose_groups", "efs",
    "survival_timepoints_months", "km_ci", "confidence_level", "comparisons",
)


def scenario_settings(keys):
    """Params function: the scenario's values of `keys`."""
    return lambda wildcards: {key: SCENARIO_CONFIGS[wildcards.scenario][key] for key in keys}


def scenario_analysis_inputs(wildcards):
    """What a scenario's analysis starts from: clean tables if its endpoints differ from the main
    run's (then it derives them), else the main run's analysis datasets (then it copies them)."""
    if scenario_rederives_endpoints(config, wildcards.scenario):
        return scenario_clean_tables(wildcards)
    return {
        f"{name}_{fmt}": f"{RESULTS}/adam/{name}.{fmt}"
        for name in ANALYSIS_DATASETS
        for fmt in ("parquet", "csv")
    }


def scenario_clean_tables(wildcards):
    """The clean tables a scenario starts from: its own if it re-reads the records, else the main run's."""
    if scenario_rereads_records(config, wildcards.scenario):
        return {name: f"{RESULTS}/scenarios/{wildcards.scenario}/data/clean/{name}.parquet" for name in CLEAN_TABLES}
    return {name: f"{RESULTS}/data/clean/{name}.parquet" for name in CLEAN_TABLES}
