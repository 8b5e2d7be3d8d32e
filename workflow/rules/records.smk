# Records: read the registry export, normalise every value, check the data contract, apply
# eligibility and the data cut-off, drop direct identifiers (and, with `pseudonymise: true`,
# replace patient IDs by keyed pseudonyms); report every finding.
from ino_study.records import provenance as _provenance
from ino_study.records import pseudonym as _pseudonym
from ino_study.records import step as records_step

if config.get("pseudonymise", False):
    try:
        _PSEUDONYM_TAG = _pseudonym.key_fingerprint(_pseudonym.key_from_environment())
    except _pseudonym.PseudonymKeyError as _error:
        raise WorkflowError(str(_error)) from None
else:
    _PSEUDONYM_TAG = "off"


rule clean_records:
    input:
        raw=config["raw_data"],
        code=package_code("records", "outputs/io.py"),
    output:
        **{name: f"{RESULTS}/data/clean/{name}.parquet" for name in CLEAN_TABLES},
        findings=f"{RESULTS}/data_quality/findings.csv",
        report=f"{RESULTS}/data_quality/report.md",
        flow=f"{RESULTS}/data_quality/patient_flow.csv",
    params:
        settings={
            **config_subset(
                "cutoff_date", "study_window", "max_age_years", "identifier_columns"
            ),
            "pseudonymise": config.get("pseudonymise", False),
        },
        key_tag=_PSEUDONYM_TAG,
    priority: 10
    resources:
        interpreter=1,
    log:
        "logs/clean_records.log",
    run:
        records_step.clean_main_records(input.raw, params.settings, output, log[0])


# Provenance: SHA-256 of every raw input file, the resolved config, Python and package versions and
# the git commit, in results/provenance.json (no timestamps). Cheap: reruns when any of them change.
rule provenance:
    input:
        raw=config["raw_data"],
    output:
        f"{RESULTS}/provenance.json",
    params:
        config=config,
        commit=lambda wildcards: _provenance.git_commit(),
    resources:
        interpreter=1,
    log:
        "logs/provenance.log",
    run:
        _provenance.write_provenance(input.raw, params.config, output[0], log[0])
