"""Rule hsct_outcomes: OS, LFS, NRM, GVHD and GRFS after HSCT; the table of the transplants."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.steps import hsct_outcomes

run_step(hsct_outcomes, snakemake.log[0], snakemake.input, snakemake.params.settings, snakemake.output)
