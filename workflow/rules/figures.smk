# Figures: Kaplan-Meier (overall and by each comparison), swimmer, MRD trajectories, rates, adverse
# events, Cox forest plot, landmark survival by HSCT, cumulative incidence of relapse and of VOD/SOS
# and the literature comparison; PNG + config figures.formats, the numbers each figure draws in
# results/figures/data/<figure>.csv, and the report captions that quote this run's numbers in
# results/figures/captions/<figure>.rst (KM OS, response rates, VOD/SOS).
# Two rules: cohort_figures need only the analysis datasets and are drawn while the statistics are
# computed; figures need the statistics tables.
# threads: in a local run each figure step is a process forked from the step server and draws there;
# without the server (a cluster job) it draws in that many worker processes while its job thread
# waits (ino_study/figures/run.py). One each: a second worker process for `figures` cost 1.4 s of
# CPU and gained nothing (12 alternating cold runs: 12.9 s with one, 13.5 s with two).
from ino_study.figures.catalogue import figure_outputs

# What every figure is drawn from: the analysis datasets and the InO doses (swimmer plot).
FIGURE_DATASETS = dict(
    adsl=rules.derive_endpoints.output.adsl_parquet,
    adrs=rules.derive_endpoints.output.adrs_parquet,
    adtte=rules.derive_endpoints.output.adtte_parquet,
    adae=rules.derive_endpoints.output.adae_parquet,
    doses=rules.clean_records.output.ino_doses,
)
FIGURE_SETTINGS = ("figures", "confidence_level", "km_ci", "comparisons", "mrd_threshold_percent")


rule cohort_figures:
    input:
        **FIGURE_DATASETS,
        code=package_code("figures", "tables", "statistics", "outputs/io.py"),
    output:
        **figure_outputs(
            config["comparisons"],
            config["figures"]["formats"],
            f"{RESULTS}/figures",
            report,
            "cohort_figures",
        ),
    params:
        settings=config_subset(*FIGURE_SETTINGS),
    threads: 1
    priority: 10
    log:
        "logs/cohort_figures.log",
    run:
        steps.make_figures(
            input,
            input,
            params.settings,
            output,
            log[0],
            threads,
            rule="cohort_figures",
            draw_in_this_thread=False,
        )


rule figures:
    input:
        **FIGURE_DATASETS,
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
            config["comparisons"],
            config["figures"]["formats"],
            f"{RESULTS}/figures",
            report,
            "figures",
        ),
    params:
        settings=config_subset(*FIGURE_SETTINGS),
    threads: 1
    priority: 10
    log:
        "logs/figures.log",
    run:
        steps.make_figures(
            input,
            input,
            params.settings,
            output,
            log[0],
            threads,
            rule="figures",
            draw_in_this_thread=False,
        )
