"""Rule compare_scenarios: the headline numbers of the main analysis and every scenario, side by side."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.steps import compare_scenarios

summaries = {"main": snakemake.input.main, **dict(zip(snakemake.params.names, snakemake.input.scenarios))}
run_step(compare_scenarios, snakemake.log[0], summaries, snakemake.params.overrides, snakemake.output[0])
