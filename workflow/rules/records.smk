# Records: read the registry export, normalise every value, check the data contract, apply
# eligibility and the data cut-off, drop direct identifiers (and, with `pseudonymise: true`,
# replace patient IDs by keyed pseudonyms); report every finding.
from ino_study.records import pseudonym
from ino_study.records.provenance import git_commit

if config.get("pseudonymise", False):
    try:
        PSEUDONYM_TAG = pseudonym.key_fingerprint(pseudonym.key_from_environment())
    except pseudonym.PseudonymKeyError as error:
        raise WorkflowError(str(error)) from None
else:
    PSEUDONYM_TAG = "off"


rule clean_records:
    input:
        raw=config["raw_data"],
        code=package_code("records", "outputs/io.py", "job.py"),
    output:
        **{name: f"{RESULTS}/data/clean/{name}.parquet" for name in CLEAN_TABLES},
        findings=f"{RESULTS}/data_quality/findings.csv",
        report=f"{RESULTS}/data_quality/report.md",
        flow=f"{RESULTS}/data_quality/patient_flow.csv",
    log:
        "logs/clean_records.log",
    conda:
        ENV
    params:
        settings={
            **config_subset(
                "cutoff_date", "study_window", "max_age_years", "identifier_columns"
            ),
            "pseudonymise": config.get("pseudonymise", False),
        },
        key_tag=PSEUDONYM_TAG,
    script:
        "../scripts/clean_records.py"


# Provenance: SHA-256 of every raw input file, the resolved config, Python and package versions and
# the git commit, in results/provenance.json (no timestamps). Cheap: reruns when any of them change.
rule provenance:
    input:
        raw=config["raw_data"],
    output:
        f"{RESULTS}/provenance.json",
    log:
        "logs/provenance.log",
    conda:
        ENV
    params:
        config=config,
        commit=lambda wildcards: git_commit(),
    script:
        "../scripts/provenance.py"
