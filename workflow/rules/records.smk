# Records: read the registry export, normalise every value, check the data contract, apply
# eligibility and the data cut-off, drop direct identifiers (and, with `pseudonymise: true`,
# replace patient IDs by keyed pseudonyms); report every finding.
from ino_study.records import pseudonym
from ino_study.records.centres import config_problems
from ino_study.records.column_map import problem_messages
from ino_study.records.provenance import git_commit

# The column maps (config key `column_map`, the main run's and each scenario's) checked before any job:
# a table or contract column that does not exist, or two headers for one column, stops the run here.
COLUMN_MAP_PROBLEMS = problem_messages(config["column_map"]) + [
    f"In config key scenarios.{name}: {line}"
    for name in SCENARIOS
    for line in problem_messages(SCENARIO_CONFIGS[name]["column_map"])
    if "column_map" in config["scenarios"][name]
]
# The centres (raw_data as a list) and stratify_by, checked before any job: a missing path, a centre's
# column map that cannot be applied, `centre` without several centres, an unknown stratum variable.
COLUMN_MAP_PROBLEMS += config_problems(config, workflow.basedir) + [
    f"In config key scenarios.{name}: {line}"
    for name in SCENARIOS
    for line in config_problems(SCENARIO_CONFIGS[name], workflow.basedir)
]
if COLUMN_MAP_PROBLEMS:
    raise WorkflowError("\n".join(dict.fromkeys(COLUMN_MAP_PROBLEMS)))

if config.get("pseudonymise", False):
    try:
        PSEUDONYM_TAG = pseudonym.key_fingerprint(pseudonym.key_from_environment())
    except pseudonym.PseudonymKeyError as error:
        raise WorkflowError(str(error)) from None
else:
    PSEUDONYM_TAG = "off"


rule clean_records:
    input:
        **raw_inputs(config),
        code=package_code("records", "outputs/io.py", *LANGUAGE_CODE, "job.py"),
    output:
        **{name: f"{RESULTS}/data/clean/{name}.parquet" for name in CLEAN_TABLES},
        findings=f"{RESULTS}/data_quality/findings.csv",
        report=f"{RESULTS}/data_quality/report.md",
        flow=f"{RESULTS}/data_quality/patient_flow.csv",
    log:
        "logs/clean_records.log",
    conda:
        ENV
    resources:
        mem_mb=memory("clean_records"),
    params:
        settings=step_params("clean_records"),
        # the configured raw data: one path (also input `raw`) or the list of centres with their settings
        raw_data=lambda wildcards: config["raw_data"],
        key_tag=PSEUDONYM_TAG,
    script:
        "../scripts/clean_records.py"


# Provenance: SHA-256 of every raw input file, the resolved config, Python and package versions and
# the git commit, in results/provenance.json (no timestamps). Cheap: reruns when any of them change.
rule provenance:
    input:
        **raw_inputs(config),
    output:
        f"{RESULTS}/provenance.json",
    log:
        "logs/provenance.log",
    conda:
        ENV
    resources:
        mem_mb=memory("provenance"),
    params:
        config=config,
        commit=lambda wildcards: git_commit(),
    script:
        "../scripts/provenance.py"
