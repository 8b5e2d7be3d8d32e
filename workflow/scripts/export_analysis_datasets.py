"""Rule export_analysis_datasets (and scenario_export_analysis_datasets): the CSV copies of the
analysis datasets, from their Parquet files."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.steps import export_analysis_datasets

run_step(export_analysis_datasets, snakemake.log[0], snakemake.input, snakemake.params.settings, snakemake.output)
