# Inotuzumab ozogamicin in children with relapsed/refractory B-ALL: the whole study, from the raw
# registry export to tables, figures and the report. The layout follows the Methods section:
#   records (read, clean, check) -> endpoints (adsl, adrs, adtte, adae) -> statistics
#   -> figures, tables, summary and report.
# Every step is a short `run:` block calling the tested package in workflow/src/ino_study.
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "src"))

from ino_study import steps
from ino_study.config import check_config, dates_as_text
from ino_study.outputs import staging as _staging

from ino_study import runlock, snakemake_hooks

# Files are written under .snakemake/partial and renamed into results/ when complete.
_staging.PARTIAL_DIR = Path.cwd() / ".snakemake" / "partial"

# Snakemake's params check would import pandas (0.6 s) on a no-op rerun, it would hash each input
# file again for every output of a job (0.6 s of a cold run), and Python would spend about 1 s
# collecting garbage at exit (snakemake_hooks.py).
snakemake_hooks.params_check_without_pandas()
snakemake_hooks.checksum_each_file_once()
snakemake_hooks.no_garbage_collection_at_exit()

# A run killed with kill -9 leaves Snakemake's lock behind: remove it if that process is gone.
if workflow.is_main_process:
    _stale = runlock.clear_stale_locks()
    if _stale:
        print(_stale, file=sys.stderr)


# At start: record the run, and start the step server (or tell the one started while the rules
# were read, below, what the run needs), which imports pandas, lifelines and matplotlib once while
# Snakemake goes on and runs each step in a process forked from it (ino_study/step_server.py). At
# the end, whatever the outcome: stop it, forget the run, and exit when the last job is done, not up
# to a second later (ino_study/snakemake_hooks.py).
onstart:
    snakemake_hooks.start_run(workflow)


onsuccess:
    snakemake_hooks.end_run()


onerror:
    snakemake_hooks.end_run()

# The config against workflow/schemas/config.schema.yaml, defaults filled in: what
# snakemake.utils.validate does, with a validator built once (ino_study/config.py).
check_config(dates_as_text(config))


include: "workflow/rules/common.smk"
include: "workflow/rules/records.smk"


# A run from the first step (the cleaned records are missing, as in a fresh clone) starts the step
# server now rather than at onstart: its imports overlap Snakemake's reading of the rules below
# and its building of the DAG.
snakemake_hooks.start_server_early(workflow, rules.clean_records.output)


include: "workflow/rules/endpoints.smk"
include: "workflow/rules/statistics.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/scenarios.smk"


report: "workflow/report/workflow.rst"


rule all:
    input:
        rules.summarise.output,
        rules.clean_records.output,
        rules.provenance.output,
        rules.survival_statistics.output,
        rules.transplant_and_competing_risks.output,
        rules.compare_scenarios.output,
        rules.cohort_figures.output,
        rules.figures.output,
        rules.tables.output,
