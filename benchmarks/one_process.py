#!/usr/bin/env python
"""The default run's steps called one after another in one Python process: the reference of the
cold-run benchmark (scenario `one_process` of benchmarks/run_benchmarks.py).

    cd <a copy of the project> && python <this file> [--raw-data PATH] [--timings FILE]

Run in a fresh copy of the project (it writes results/ and logs/ in the current folder, as
`snakemake --cores 4` does). The package (workflow/src/ino_study of the current folder) is imported
once; each step is the function the rule's script calls (workflow/scripts/<rule>.py), through
`ino_study.job.run_step` with the rule's log file, given the rule's inputs, params and outputs
(workflow/rules/*.smk) as `types.SimpleNamespace`s, in an order the DAG allows. The config is read,
converted and validated as the Snakefile does, the scenarios' configurations merged and validated as
workflow/rules/common.smk does. What this leaves out is what Snakemake adds: building the DAG,
checking files, and a Python process (with its imports) per job.

--raw-data: as `--config raw_data=PATH` (simulated cohorts). --timings: each step's wall time in
seconds (JSON), counted from the end of the step before, so that the imports a step is the first to
need count with it and the steps add up to the total.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

PROJECT = Path.cwd()
R = "results"  # RESULTS in workflow/rules/common.smk
SCHEMA = "workflow/schemas/config.schema.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-data", default=None, help="as snakemake --config raw_data=PATH")
    parser.add_argument("--timings", type=Path, default=None, help="write each step's wall time here (JSON)")
    args = parser.parse_args(argv)
    timings: dict[str, float] = {}
    started = last = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        timings[name] = round(now - last, 3)
        last = now

    def step(name: str, function, log: str, *step_args, **step_kwargs) -> None:
        run_step(function, log, *step_args, **step_kwargs)
        lap(name)

    # ---------------------------------------------------------------- configuration (Snakefile)
    sys.path.insert(0, str(PROJECT / "workflow" / "src"))
    from snakemake.common.configfile import load_configfile
    from snakemake.utils import validate

    from ino_study.config import (
        dates_as_text, scenario_config, scenario_rederives_endpoints, scenario_rereads_records, step_settings,
    )
    from ino_study.job import run_step
    from ino_study.layout import CLEAN_TABLES, analysis_dataset_paths, scenario_paths

    config = load_configfile("config.yaml")
    if args.raw_data is not None:
        config["raw_data"] = args.raw_data
    validate(dates_as_text(config), SCHEMA)
    scenarios = sorted(config["scenarios"])
    scenario_configs = {}
    for name in scenarios:  # common.smk
        scenario_configs[name] = scenario_config(config, name)
        validate(scenario_configs[name], SCHEMA)
    lap("config")

    # ------------------------------------------------------------------- records (records.smk)
    from ino_study.records.provenance import write_provenance
    from ino_study.records.step import clean_records

    def records_output(folder: str) -> SimpleNamespace:
        return SimpleNamespace(**{name: f"{folder}/data/clean/{name}.parquet" for name in CLEAN_TABLES},
                               findings=f"{folder}/data_quality/findings.csv",
                               report=f"{folder}/data_quality/report.md",
                               flow=f"{folder}/data_quality/patient_flow.csv")

    clean = records_output(R)
    settings = step_settings(config, "clean_records")
    step("clean_records", clean_records, "logs/clean_records.log", config["raw_data"], settings, clean)
    step("provenance", write_provenance, "logs/provenance.log", config["raw_data"], config,
         f"{R}/provenance.json")

    # ----------------------------------------------------------------- endpoints (endpoints.smk)
    from ino_study import steps

    adam = SimpleNamespace(**analysis_dataset_paths(R, "parquet"))
    settings = step_settings(config, "derive_endpoints")
    step("derive_endpoints", steps.derive_endpoints, "logs/derive_endpoints.log", clean, settings, adam)

    def export(folder: str) -> tuple[SimpleNamespace, SimpleNamespace]:
        """export_analysis_datasets' input (<name>: the Parquet file) and output (<name>_csv)."""
        parquet = analysis_dataset_paths(folder, "parquet")
        return (SimpleNamespace(**{key.removesuffix("_parquet"): path for key, path in parquet.items()}),
                SimpleNamespace(**analysis_dataset_paths(folder, "csv")))

    parquet, csv = export(R)
    step("export_analysis_datasets", steps.export_analysis_datasets, "logs/export_analysis_datasets.log",
         parquet, step_settings(config, "export_analysis_datasets"), csv)

    # ------------------------------------------------------------ cohort figures (figures.smk)
    from ino_study.figures.catalogue import figure_paths
    from ino_study.figures.step import make_figures

    datasets = dict(adsl=adam.adsl_parquet, adrs=adam.adrs_parquet, adtte=adam.adtte_parquet,
                    adae=adam.adae_parquet, doses=clean.ino_doses)
    figure_settings = step_settings(config, "figures")

    def figure_output(rule: str) -> SimpleNamespace:
        return SimpleNamespace(**figure_paths(config["comparisons"], config["figures"]["formats"],
                                              f"{R}/figures", rule))

    inputs = SimpleNamespace(**datasets)
    step("cohort_figures", make_figures, "logs/cohort_figures.log", inputs, inputs, figure_settings,
         figure_output("cohort_figures"), rule="cohort_figures")

    # ---------------------------------------------------------------- statistics (statistics.smk)
    adsl_adtte = SimpleNamespace(adsl=adam.adsl_parquet, adtte=adam.adtte_parquet)
    survival = SimpleNamespace(estimates=f"{R}/tables/survival_estimates.csv",
                               medians=f"{R}/tables/median_survival.csv",
                               follow_up=f"{R}/tables/follow_up.csv",
                               logrank=f"{R}/tables/logrank.csv", cox=f"{R}/tables/cox.csv")
    step("survival_statistics", steps.survival_statistics, "logs/survival_statistics.log", adsl_adtte,
         step_settings(config, "survival_statistics"), survival)
    transplant = SimpleNamespace(landmark=f"{R}/tables/landmark.csv",
                                 hsct_cox=f"{R}/tables/hsct_time_varying_cox.csv",
                                 incidence=f"{R}/tables/cumulative_incidence.csv",
                                 incidence_curves=f"{R}/tables/cumulative_incidence_curves.csv")
    step("transplant_and_competing_risks", steps.transplant_and_competing_risks,
         "logs/transplant_and_competing_risks.log", adsl_adtte,
         step_settings(config, "transplant_and_competing_risks"),
         transplant)
    from ino_study.steps import deaths_and_mrd_landmark

    step("deaths_and_mrd_landmark", deaths_and_mrd_landmark, "logs/deaths_and_mrd_landmark.log", adsl_adtte,
         step_settings(config, "deaths_and_mrd_landmark"),
         SimpleNamespace(deaths=f"{R}/tables/deaths.csv", mrd_landmark=f"{R}/tables/mrd_landmark.csv"))
    step("hsct_outcomes", steps.hsct_outcomes, "logs/hsct_outcomes.log", adsl_adtte,
         step_settings(config, "hsct_outcomes"),
         SimpleNamespace(outcomes=f"{R}/tables/hsct_outcomes.csv", transplants=f"{R}/tables/transplants.md"))

    # -------------------------------------------------------------------- summary (report.smk)
    summary = SimpleNamespace(summary=f"{R}/summary.json", paragraph=f"{R}/summary.md")
    inputs = SimpleNamespace(**vars(adsl_adtte), medians=survival.medians, follow_up=survival.follow_up)
    step("summarise", steps.summarise, "logs/summarise.log", inputs, inputs,
         step_settings(config, "summarise"), summary)

    # --------------------------------------------------------------------- tables (tables.smk)
    from ino_study.tables.catalogue import TABLES
    from ino_study.tables.step import make_tables

    inputs = SimpleNamespace(adsl=adam.adsl_parquet, adae=adam.adae_parquet, estimates=survival.estimates,
                             medians=survival.medians, follow_up=survival.follow_up)
    output = SimpleNamespace(**{f"{name}_{fmt}": f"{R}/tables/{name}.{fmt}"
                                for name in TABLES for fmt in ("csv", "md")},
                             xlsx=f"{R}/tables/tables.xlsx", docx=f"{R}/tables/tables.docx")
    step("tables", make_tables, "logs/tables.log", inputs, inputs,
         step_settings(config, "tables"), output)

    # --------------------------------------------------------------------- figures (figures.smk)
    inputs = SimpleNamespace(**datasets, logrank=survival.logrank, cox=survival.cox,
                             estimates=survival.estimates, landmark=transplant.landmark,
                             incidence=transplant.incidence, incidence_curves=transplant.incidence_curves,
                             published="data/literature/published_cohorts.csv")
    step("figures", make_figures, "logs/figures.log", inputs, inputs, figure_settings,
         figure_output("figures"), rule="figures")

    # ------------------------------------------------------------------ scenarios (scenarios.smk)
    for name in scenarios:
        folder, start = f"{R}/scenarios/{name}", adam  # scenario_analysis_inputs in common.smk
        if scenario_rederives_endpoints(config, name):
            start = clean
            if scenario_rereads_records(config, name):
                start = records_output(folder)
                step(f"scenario_clean_records[{name}]", clean_records,
                     f"logs/scenarios/{name}/clean_records.log", scenario_configs[name]["raw_data"],
                     step_settings(scenario_configs[name], "clean_records"), start)
            start = SimpleNamespace(**{table: getattr(start, table) for table in CLEAN_TABLES})
        step(f"scenario_analysis[{name}]", steps.analyse_scenario, f"logs/scenarios/{name}/analysis.log",
             start, step_settings(scenario_configs[name], "scenario_analysis"), SimpleNamespace(**scenario_paths(folder)))
        parquet, csv = export(folder)
        step(f"scenario_export_analysis_datasets[{name}]", steps.export_analysis_datasets,
             f"logs/scenarios/{name}/export_analysis_datasets.log", parquet,
             step_settings(scenario_configs[name], "export_analysis_datasets"), csv)
    summaries = {"main": summary.summary,
                 **{name: f"{R}/scenarios/{name}/summary.json" for name in scenarios}}
    step("compare_scenarios", steps.compare_scenarios, "logs/compare_scenarios.log", summaries,
         {name: config["scenarios"][name] for name in scenarios}, f"{R}/tables/scenario_comparison.csv")

    timings["total"] = round(time.perf_counter() - started, 3)
    if args.timings is not None:
        args.timings.write_text(json.dumps(timings, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
