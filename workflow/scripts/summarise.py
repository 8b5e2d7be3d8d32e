"""Rule summarise: results/summary.json and the abstract's Results paragraph."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.steps import summarise

run_step(summarise, snakemake.log[0], snakemake.input, snakemake.input, snakemake.params.settings, snakemake.output)
