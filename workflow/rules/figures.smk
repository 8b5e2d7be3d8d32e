# Figures: Kaplan-Meier (overall and by each comparison), swimmer, MRD trajectories, rates, adverse
# events, Cox forest plot, landmark survival by HSCT, cumulative incidence of relapse and of VOD/SOS
# and the literature comparison; PNG + config figures.formats, the numbers each figure draws in
# results/figures/data/<figure>.csv, and the report captions that quote this run's numbers in
# results/figures/captions/<figure>.rst (KM OS, response rates, VOD/SOS).
# Two rules: cohort_figures need only the analysis datasets and are drawn while the statistics are
# computed; figures need the statistics tables.
from ino_study.figures.catalogue import figure_outputs

# What every figure is drawn from: the analysis datasets and the InO doses (swimmer plot).
FIGURE_DATASETS = dict(
    adsl=rules.derive_endpoints.output.adsl_parquet,
    adrs=rules.derive_endpoints.output.adrs_parquet,
    adtte=rules.derive_endpoints.output.adtte_parquet,
    adae=rules.derive_endpoints.output.adae_parquet,
    doses=rules.clean_records.output.ino_doses,
)
FIGURE_CODE = package_code(
    "figures",
    "tables",
    "statistics",
    "endpoints/labels.py",
    "endpoints/sorting.py",
    "outputs/io.py",
    *LANGUAGE_CODE,
    "job.py",
)


rule cohort_figures:
    input:
        **FIGURE_DATASETS,
        code=FIGURE_CODE,
    output:
        **figure_outputs(
            config["comparisons"],
            config["figures"]["formats"],
            f"{RESULTS}/figures",
            report,
            "cohort_figures",
            config["language"],
        ),
    log:
        "logs/cohort_figures.log",
    conda:
        ENV
    resources:
        mem_mb=memory("cohort_figures"),
    params:
        settings=step_params("figures"),
    script:
        "../scripts/draw_figures.py"


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
        code=FIGURE_CODE,
    output:
        **figure_outputs(
            config["comparisons"],
            config["figures"]["formats"],
            f"{RESULTS}/figures",
            report,
            "figures",
            config["language"],
        ),
    log:
        "logs/figures.log",
    conda:
        ENV
    resources:
        mem_mb=memory("figures"),
    params:
        settings=step_params("figures"),
    script:
        "../scripts/draw_figures.py"
