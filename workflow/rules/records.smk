# Records: read the registry export, normalise every value, check the data contract, apply
# eligibility and the data cut-off, drop direct identifiers; report every finding.


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
        settings=config_subset(
            "cutoff_date", "study_window", "max_age_years", "identifier_columns"
        ),
    log:
        "logs/clean_records.log",
    run:
        steps.clean_records(input.raw, params.settings, output, log[0])
