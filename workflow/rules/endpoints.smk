# Endpoints: the analysis datasets adsl (patients), adrs (response, MRD), adtte (time to event)
# and adae (adverse events), as Parquet for the pipeline; their CSV copies for reading are written
# from the Parquet files by a job of their own, beside the statistics that read the Parquet.


rule derive_endpoints:
    input:
        **rules.clean_records.output,
        code=package_code("endpoints", "outputs/io.py", "job.py", "steps.py"),
    output:
        **analysis_dataset_paths(RESULTS, "parquet"),
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


# results/adam/<name>.csv: the same rows as the Parquet files, for people and other tools to read.
rule export_analysis_datasets:
    input:
        **{
            name: rules.derive_endpoints.output[f"{name}_parquet"]
            for name in ANALYSIS_DATASETS
        },
        code=package_code("outputs/io.py", "job.py", "steps.py"),
    output:
        **analysis_dataset_paths(RESULTS, "csv"),
    log:
        "logs/export_analysis_datasets.log",
    conda:
        ENV
    resources:
        mem_mb=memory("export_analysis_datasets"),
    params:
        settings=step_params("export_analysis_datasets"),
    script:
        "../scripts/export_analysis_datasets.py"
