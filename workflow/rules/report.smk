# Report: the headline numbers of the study (results/summary.json) and the Results paragraph of
# its abstract (results/summary.md), rewritten from them. `snakemake --report` builds the HTML
# report from the figures and tables marked with report(...).


rule summarise:
    input:
        adsl=rules.derive_endpoints.output.adsl_parquet,
        adtte=rules.derive_endpoints.output.adtte_parquet,
        medians=rules.survival_statistics.output.medians,
        follow_up=rules.survival_statistics.output.follow_up,
        code=package_code("outputs", "job.py", "steps.py"),
    output:
        summary=f"{RESULTS}/summary.json",
        paragraph=f"{RESULTS}/summary.md",
    log:
        "logs/summarise.log",
    conda:
        ENV
    resources:
        mem_mb=memory("summarise"),
    params:
        settings=step_params("summarise"),
    script:
        "../scripts/summarise.py"
