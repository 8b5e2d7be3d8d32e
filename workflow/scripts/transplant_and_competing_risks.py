"""Rule transplant_and_competing_risks: landmark and time-varying HSCT analyses, cumulative incidence."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.steps import transplant_and_competing_risks

run_step(transplant_and_competing_risks, snakemake.log[0], snakemake.input, snakemake.params.settings, snakemake.output)
