"""Rules clean_records and scenario_clean_records: read and clean the registry export."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.records.step import clean_records

run_step(clean_records, snakemake.log[0], snakemake.params.raw_data, snakemake.params.settings, snakemake.output)
