# Figures: Kaplan-Meier (overall and by each comparison), swimmer, MRD trajectories, rates, adverse
# events, Cox forest plot, landmark survival by HSCT, cumulative incidence of relapse and of VOD/SOS
# and the literature comparison; PNG + config figures.formats, the numbers each figure draws in
# results/figures/data/<figure>.csv, and the report captions that quote this run's numbers in
# results/figures/captions/<figure>.rst (KM OS, response rates, VOD/SOS).
# threads: matplotlib draws under the GIL, so the step draws in that many processes (a worker process
# draws its share of the figures while the job's thread draws the rest).
from ino_study.figures.catalogue import figure_outputs


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
        landmark=rules.transplant_and_competing_risks.output.landmark,
        incidence=rules.transplant_and_competing_risks.output.incidence,
        incidence_curves=rules.transplant_and_competing_risks.output.incidence_curves,
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
    threads: 2
    priority: 10
    log:
        "logs/figures.log",
    run:
        steps.make_figures(input, input, params.settings, output, log[0], threads)
