"""Rule provenance: results/provenance.json (raw file hashes, config, versions, commit)."""

import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../src")  # the ino_study package

from ino_study.job import run_step
from ino_study.records.provenance import write_provenance

run_step(write_provenance, snakemake.log[0], snakemake.params.config["raw_data"], snakemake.params.config, snakemake.output[0])
