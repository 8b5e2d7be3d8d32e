# Figures: Kaplan-Meier (overall and by each comparison), swimmer, MRD trajectories, rates, adverse
# events, Cox forest plot and the literature comparison; PNG + config figures.formats, and the
# numbers each figure draws in results/figures/data/<figure>.csv.
from ino_study.figures.step import figure_outputs, make_figures


rule figures:
    input:
        adsl=rules.derive_endpoints.output.adsl_parquet,
        adrs=rules.derive_endpoints.output.adrs_parquet,
        adtte=rules.derive_endpoints.output.adtte_parquet,
        adae=rules.derive_endpoints.output.adae_parquet,
        doses=rules.clean_records.output.ino_doses,
        logrank=rules.survival_statistics.output.logrank,
        cox=rules.survival_statistics.output.cox,
        estimates=rules.survival_statistics.output.estimates,
        published="data/literature/published_cohorts.csv",
        code=package_code("figures", "tables", "statistics", "outputs/io.py"),
    output:
        **figure_outputs(
            config["comparisons"], config["figures"]["formats"], f"{RESULTS}/figures", report
        ),
    params:
        settings=config_subset(
            "figures", "confidence_level", "km_ci", "comparisons", "mrd_threshold_percent"
        ),
    log:
        "logs/figures.log",
    run:
        make_figures(input, input, params.settings, output, log[0])
