# Report: the headline numbers of the study (results/summary.json) and the Results paragraph of
# its abstract (results/summary.md), rewritten from them.


rule summarise:
    input:
        adsl=rules.derive_endpoints.output.adsl_parquet,
        adtte=rules.derive_endpoints.output.adtte_parquet,
        medians=rules.survival_statistics.output.medians,
        follow_up=rules.survival_statistics.output.follow_up,
        code=package_code("outputs/summary.py"),
    output:
        summary=f"{RESULTS}/summary.json",
        paragraph=f"{RESULTS}/summary.md",
    params:
        settings=config_subset(
            "confidence_level", "km_ci", "cutoff_date", "mrd_threshold_percent"
        ),
    resources:
        interpreter=1,
    log:
        "logs/summarise.log",
    run:
        steps.summarise(input, input, params.settings, output, log[0])
