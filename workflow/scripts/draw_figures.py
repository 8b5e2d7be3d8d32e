"""Rules cohort_figures and figures: draw the rule's figures, their data and captions."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.figures.step import make_figures

run_step(make_figures, snakemake.log[0], snakemake.input, snakemake.input, snakemake.params.settings, snakemake.output, rule=snakemake.rule)
