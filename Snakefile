# Inotuzumab ozogamicin in children with relapsed/refractory B-ALL: the whole study, from the raw
# registry export to tables, figures and the report. The layout follows the Methods section:
#   records (read, clean, check) -> endpoints (adsl, adrs, adtte, adae) -> statistics
#   -> figures, tables, summary and report.
# Every rule runs a thin script (workflow/scripts/<rule>.py) that calls one tested function of the
# package in workflow/src/ino_study.
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.27")


configfile: "config.yaml"


# The package, for the names and paths the rules share (light modules only: no pandas here).
sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "src"))
from ino_study.config import dates_as_text
from ino_study.figures.catalogue import report_caption
from ino_study.records.centres import raw_data_problems

# A list of centres checked first: the schema would only say "not valid under any of the given schemas".
if raw_data_problems(config.get("raw_data")):
    raise WorkflowError("\n".join(raw_data_problems(config.get("raw_data"))))
# Every key checked and defaults filled from the schema (YAML reads an unquoted date as a date).
validate(dates_as_text(config), "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/records.smk"
include: "workflow/rules/endpoints.smk"
include: "workflow/rules/statistics.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/scenarios.smk"


report: report_caption("workflow", config["language"], root="workflow/report")


rule all:
    input:
        rules.summarise.output,
        rules.clean_records.output,
        rules.provenance.output,
        rules.survival_statistics.output,
        rules.transplant_and_competing_risks.output,
        rules.deaths_and_mrd_landmark.output,
        rules.hsct_outcomes.output,
        rules.compare_scenarios.output,
        rules.export_analysis_datasets.output,
        expand(rules.scenario_export_analysis_datasets.output, scenario=SCENARIOS),
        rules.cohort_figures.output,
        rules.figures.output,
        rules.tables.output,
