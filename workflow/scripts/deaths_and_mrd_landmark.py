"""Rule deaths_and_mrd_landmark: causes of death by period, early mortality; OS by MRD status at a landmark."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.steps import deaths_and_mrd_landmark

run_step(deaths_and_mrd_landmark, snakemake.log[0], snakemake.input, snakemake.params.settings, snakemake.output)
