# Endpoints: the analysis datasets adsl (patients), adrs (response, MRD), adtte (time to event)
# and adae (adverse events), as Parquet for the pipeline and CSV for reading.


rule derive_endpoints:
    input:
        **rules.clean_records.output,
        code=package_code("endpoints", "outputs/io.py", "job.py", "steps.py"),
    output:
        **{
            f"{name}_{fmt}": f"{RESULTS}/adam/{name}.{fmt}"
            for name in ANALYSIS_DATASETS
            for fmt in ("parquet", "csv")
        },
    log:
        "logs/derive_endpoints.log",
    conda:
        ENV
    resources:
        mem_mb=memory("derive_endpoints"),
    params:
        settings=step_params("derive_endpoints"),
    script:
        "../scripts/derive_endpoints.py"
