"""Rule tables: the publication tables as CSV, Markdown, XLSX and DOCX."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.tables.step import make_tables

run_step(make_tables, snakemake.log[0], snakemake.input, snakemake.input, snakemake.params.settings, snakemake.output)
