# Sensitivity analyses (config key `scenarios`): each scenario is the main analysis with some keys
# overridden. A scenario that changes no record-level key (cut-off, study window, age, raw data)
# starts from the main run's clean tables, so reading and cleaning run once; one that changes no
# endpoint key either (say only the interval type) starts from the main run's analysis datasets.


rule scenario_clean_records:
    input:
        unpack(lambda wildcards: raw_inputs(SCENARIO_CONFIGS[wildcards.scenario])),
        # after the main run's records pass the data contract: an error in the raw data is then
        # reported once, by clean_records, not once more per scenario
        main_flow=rules.clean_records.output.flow,
        code=package_code("records", "outputs/io.py", *LANGUAGE_CODE, "job.py"),
    output:
        **{name: f"{SCENARIO_DIR}/data/clean/{name}.parquet" for name in CLEAN_TABLES},
        findings=f"{SCENARIO_DIR}/data_quality/findings.csv",
        report=f"{SCENARIO_DIR}/data_quality/report.md",
        flow=f"{SCENARIO_DIR}/data_quality/patient_flow.csv",
    log:
        "logs/scenarios/{scenario}/clean_records.log",
    conda:
        ENV
    resources:
        mem_mb=memory("scenario_clean_records"),
    params:
        settings=scenario_settings("clean_records"),
        raw_data=lambda wildcards: SCENARIO_CONFIGS[wildcards.scenario]["raw_data"],
    script:
        "../scripts/clean_records.py"


rule scenario_analysis:
    input:
        unpack(scenario_analysis_inputs),
        code=package_code("endpoints", "statistics", "outputs", "job.py", "steps.py"),
    output:
        **scenario_paths(SCENARIO_DIR),
    log:
        "logs/scenarios/{scenario}/analysis.log",
    conda:
        ENV
    resources:
        mem_mb=scenario_memory,
    params:
        settings=scenario_settings("scenario_analysis"),
    script:
        "../scripts/scenario_analysis.py"


# results/scenarios/<name>/adam/<name>.csv: a scenario's analysis datasets for reading, from its Parquet
# files, beside the scenario's statistics and the comparison (which need only the Parquet).
rule scenario_export_analysis_datasets:
    input:
        **{
            name: rules.scenario_analysis.output[f"{name}_parquet"]
            for name in ANALYSIS_DATASETS
        },
        code=package_code("outputs/io.py", "job.py", "steps.py"),
    output:
        **analysis_dataset_paths(SCENARIO_DIR, "csv"),
    log:
        "logs/scenarios/{scenario}/export_analysis_datasets.log",
    conda:
        ENV
    resources:
        mem_mb=memory("scenario_export_analysis_datasets"),
    params:
        settings=scenario_settings("export_analysis_datasets"),
    script:
        "../scripts/export_analysis_datasets.py"


rule compare_scenarios:
    input:
        main=rules.summarise.output.summary,
        scenarios=expand(f"{SCENARIO_DIR}/summary.json", scenario=SCENARIOS),
    output:
        f"{RESULTS}/tables/scenario_comparison.csv",
    log:
        "logs/compare_scenarios.log",
    conda:
        ENV
    resources:
        mem_mb=memory("compare_scenarios"),
    params:
        names=SCENARIOS,
        overrides={name: config["scenarios"][name] for name in SCENARIOS},
    script:
        "../scripts/compare_scenarios.py"
