"""Rule survival_statistics: Kaplan-Meier, medians, follow-up, log-rank and Cox tables."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.steps import survival_statistics

run_step(survival_statistics, snakemake.log[0], snakemake.input, snakemake.params.settings, snakemake.output)
