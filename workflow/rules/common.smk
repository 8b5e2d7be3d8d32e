# What the rules share: where results and logs go, the rules' conda environment, the config keys
# each rule uses, and the sensitivity scenarios' configurations.
from ino_study.config import (
    scenario_config,
    scenario_rederives_endpoints,
    scenario_rereads_records,
    step_settings,
)
from ino_study.layout import (
    ANALYSIS_DATASETS,
    CLEAN_TABLES,
    analysis_dataset_paths,
    scenario_paths,
)
from ino_study.records.centres import (
    input_files as centre_input_files,
    is_pooled,
    raw_data_problems,
)
from ino_study.resources import SCENARIO_FROM_DATASETS, data_bytes, mem_mb

RESULTS = "results"
# The environment of every rule (pinned as requirements.txt; used with --sdm conda).
ENV = "../envs/ino-study.yaml"
PACKAGE = Path(workflow.basedir) / "workflow" / "src" / "ino_study"


def step_params(step):
    """The config keys `step` reads (ino_study.config.STEP_SETTINGS), as its params: a change of
    another key does not rerun it."""
    return step_settings(config, step)


def memory(rule):
    """The rule's `resources: mem_mb`: the memory (MB) a job needs, from the summed size of its data
    input files (and folders) when it is ready to run; its `code` inputs (package_code, under
    workflow/src) do not count (ino_study.resources.data_bytes; a cluster profile requests it per job).
    """
    return lambda wildcards, input: mem_mb(rule, data_bytes(input))


def scenario_memory(wildcards, input):
    """scenario_analysis's `resources: mem_mb`: a scenario that re-derives the endpoints needs what
    deriving them needs; one that starts from the main run's analysis datasets, what the statistics
    need (ino_study.resources.SCENARIO_FROM_DATASETS)."""
    rederives = scenario_rederives_endpoints(config, wildcards.scenario)
    model = "scenario_analysis" if rederives else SCENARIO_FROM_DATASETS
    return mem_mb(model, data_bytes(input))


def raw_inputs(settings):
    """The raw files a configuration reads: `raw` (the export) and, for a REDCap export, `dictionary`;
    for several centres, `raw` lists every centre's export and data dictionary."""
    if is_pooled(settings["raw_data"]):
        return {"raw": centre_input_files(settings)}
    files = {"raw": settings["raw_data"]}
    if settings["raw_format"] == "redcap":
        files["dictionary"] = settings["redcap_data_dictionary"]
    return files


def package_code(*parts):
    """The package modules a step runs, as its inputs: editing one reruns that step and what follows.

    (Snakemake's code trigger sees the rule's script, not the package the script calls.) The
    translation catalogue and templates (outputs/translations) count as code: correcting a term reruns.
    """
    files = []
    for part in parts:
        path = PACKAGE / part
        if path.is_dir():
            files += sorted(path.rglob("*.py")) + sorted(path.glob("translations/*.*"))
        else:
            files.append(path)
    return [str(f.relative_to(workflow.basedir)) for f in files]


# What a step that writes reader text in config `language` runs besides its own package: the number
# formats, the translation functions and the catalogue (correcting a term reruns those steps).
LANGUAGE_CODE = [
    "outputs/formats.py",
    "outputs/language.py",
    "outputs/translations/ru.csv",
]


SCENARIOS = sorted(config["scenarios"])
SCENARIO_CONFIGS = (
    {}
)  # each scenario's configuration, checked against the schema as the main one
for name in SCENARIOS:
    SCENARIO_CONFIGS[name] = scenario_config(config, name)
    if raw_data_problems(SCENARIO_CONFIGS[name]["raw_data"]):
        raise WorkflowError(
            "\n".join(
                f"In config key scenarios.{name}: {line}"
                for line in raw_data_problems(SCENARIO_CONFIGS[name]["raw_data"])
            )
        )
    try:
        validate(SCENARIO_CONFIGS[name], "../schemas/config.schema.yaml")
    except WorkflowError as error:
        raise WorkflowError(f"In config key scenarios.{name}: {error}") from None
SCENARIO_DIR = f"{RESULTS}/scenarios/{{scenario}}"


def scenario_settings(step):
    """Params function: the scenario's values of the config keys `step` reads."""
    return lambda wildcards: step_settings(SCENARIO_CONFIGS[wildcards.scenario], step)


def scenario_analysis_inputs(wildcards):
    """What a scenario's analysis starts from: clean tables if its endpoints differ from the main
    run's (then it derives them), else the main run's analysis datasets as Parquet (then it copies
    them; its CSV copies are written from its Parquet by scenario_export_analysis_datasets).
    """
    if scenario_rederives_endpoints(config, wildcards.scenario):
        return scenario_clean_tables(wildcards)
    return analysis_dataset_paths(RESULTS, "parquet")


def scenario_clean_tables(wildcards):
    """The clean tables a scenario starts from: its own if it re-reads the records, else the main run's."""
    folder = RESULTS
    if scenario_rereads_records(config, wildcards.scenario):
        folder = f"{RESULTS}/scenarios/{wildcards.scenario}"
    return {name: f"{folder}/data/clean/{name}.parquet" for name in CLEAN_TABLES}
