# Statistics: Kaplan-Meier estimates and medians, follow-up, log-rank tests and Cox models; the
# transplant analyses without immortal-time bias and the competing risks.


rule survival_statistics:
    input:
        adsl=rules.derive_endpoints.output.adsl_parquet,
        adtte=rules.derive_endpoints.output.adtte_parquet,
        code=package_code("statistics", "outputs/io.py", "job.py", "steps.py"),
    output:
        estimates=f"{RESULTS}/tables/survival_estimates.csv",
        medians=f"{RESULTS}/tables/median_survival.csv",
        follow_up=f"{RESULTS}/tables/follow_up.csv",
        logrank=f"{RESULTS}/tables/logrank.csv",
        cox=f"{RESULTS}/tables/cox.csv",
    log:
        "logs/survival_statistics.log",
    conda:
        ENV
    resources:
        mem_mb=memory("survival_statistics"),
    params:
        settings=step_params("survival_statistics"),
    script:
        "../scripts/survival_statistics.py"


# Transplant without immortal-time bias (landmark, HSCT as a time-varying covariate, and the biased
# naive comparison for contrast) and competing risks (relapse vs non-relapse mortality, VOD/SOS vs
# death after HSCT).
rule transplant_and_competing_risks:
    input:
        adsl=rules.derive_endpoints.output.adsl_parquet,
        adtte=rules.derive_endpoints.output.adtte_parquet,
        code=package_code("statistics", "outputs/io.py", "job.py", "steps.py"),
    output:
        landmark=f"{RESULTS}/tables/landmark.csv",
        hsct_cox=f"{RESULTS}/tables/hsct_time_varying_cox.csv",
        incidence=f"{RESULTS}/tables/cumulative_incidence.csv",
        incidence_curves=f"{RESULTS}/tables/cumulative_incidence_curves.csv",
    log:
        "logs/transplant_and_competing_risks.log",
    conda:
        ENV
    resources:
        mem_mb=memory("transplant_and_competing_risks"),
    params:
        settings=step_params("transplant_and_competing_risks"),
    script:
        "../scripts/transplant_and_competing_risks.py"


# Deaths (causes by period, early mortality at day 30 and 60) and OS by MRD status at a landmark at
# the end of the response window (without guarantee-time bias).
rule deaths_and_mrd_landmark:
    input:
        adsl=rules.derive_endpoints.output.adsl_parquet,
        adtte=rules.derive_endpoints.output.adtte_parquet,
        code=package_code("statistics", "outputs/io.py", "job.py", "steps.py"),
    output:
        deaths=f"{RESULTS}/tables/deaths.csv",
        mrd_landmark=f"{RESULTS}/tables/mrd_landmark.csv",
    log:
        "logs/deaths_and_mrd_landmark.log",
    conda:
        ENV
    resources:
        mem_mb=memory("deaths_and_mrd_landmark"),
    params:
        settings=step_params("deaths_and_mrd_landmark"),
    script:
        "../scripts/deaths_and_mrd_landmark.py"


# After HSCT: OS, leukaemia-free survival, non-relapse mortality, GVHD and GRFS from the HSCT date, and
# the table of the transplants (donor, conditioning, days from the last InO dose, VOD/SOS, GVHD).
rule hsct_outcomes:
    input:
        adsl=rules.derive_endpoints.output.adsl_parquet,
        adtte=rules.derive_endpoints.output.adtte_parquet,
        code=package_code(
            "statistics",
            "endpoints/hsct.py",
            "endpoints/definitions.py",
            "tables/export.py",
            "outputs",
            "job.py",
            "steps.py",
        ),
    output:
        outcomes=f"{RESULTS}/tables/hsct_outcomes.csv",
        transplants=f"{RESULTS}/tables/transplants.md",
    log:
        "logs/hsct_outcomes.log",
    conda:
        ENV
    resources:
        mem_mb=memory("hsct_outcomes"),
    params:
        settings=step_params("hsct_outcomes"),
    script:
        "../scripts/hsct_outcomes.py"
