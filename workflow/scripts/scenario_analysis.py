"""Rule scenario_analysis: one sensitivity scenario, endpoints to summary."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.steps import analyse_scenario

run_step(analyse_scenario, snakemake.log[0], snakemake.input, snakemake.params.settings, snakemake.output)
