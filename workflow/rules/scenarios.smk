# Sensitivity analyses (config key `scenarios`): each scenario is the main analysis with some keys
# overridden. A scenario that changes no record-level key (cut-off, study window, age, raw data)
# starts from the main run's clean tables, so reading and cleaning run once; one that changes no
# endpoint key either (say only the interval type) starts from the main run's analysis datasets.


rule scenario_clean_records:
    input:
        raw=lambda wildcards: SCENARIO_CONFIGS[wildcards.scenario]["raw_data"],
        code=package_code("records", "outputs/io.py"),
    output:
        **{name: f"{SCENARIO_DIR}/data/clean/{name}.parquet" for name in CLEAN_TABLES},
        findings=f"{SCENARIO_DIR}/data_quality/findings.csv",
        report=f"{SCENARIO_DIR}/data_quality/report.md",
        flow=f"{SCENARIO_DIR}/data_quality/patient_flow.csv",
    params:
        settings=scenario_settings(SCENARIO_RECORD_KEYS),
    resources:
        interpreter=1,
    log:
        "logs/scenarios/{scenario}/clean_records.log",
    run:
        records_step.clean_scenario_records(input.raw, params.settings, output, log[0])


rule scenario_analysis:
    input:
        unpack(scenario_analysis_inputs),
        code=package_code("endpoints", "statistics", "outputs"),
    output:
        **steps.scenario_paths(SCENARIO_DIR),
    params:
        settings=scenario_settings(SCENARIO_ANALYSIS_KEYS),
    resources:
        interpreter=1,
    log:
        "logs/scenarios/{scenario}/analysis.log",
    run:
        steps.analyse_scenario(input, params.settings, output, log[0])


rule compare_scenarios:
    input:
        main=rules.summarise.output.summary,
        scenarios=expand(f"{SCENARIO_DIR}/summary.json", scenario=SCENARIOS),
    output:
        f"{RESULTS}/tables/scenario_comparison.csv",
    params:
        overrides={name: config["scenarios"][name] for name in SCENARIOS},
    resources:
        interpreter=1,
    log:
        "logs/compare_scenarios.log",
    run:
        steps.compare_scenarios(
            {"main": input.main, **dict(zip(SCENARIOS, input.scenarios))},
            params.overrides,
            output[0],
            log[0],
        )
