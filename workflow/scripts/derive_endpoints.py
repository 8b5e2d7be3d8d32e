"""Rule derive_endpoints: the analysis datasets adsl, adrs, adtte and adae."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.steps import derive_endpoints

run_step(derive_endpoints, snakemake.log[0], snakemake.input, snakemake.params.settings, snakemake.output)
