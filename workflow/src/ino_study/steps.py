"""The pipeline's steps: each binds one rule's files and settings to the package's functions.

A rule's script (workflow/scripts/<rule>.py) runs one of these through `ino_study.job.run_step`,
which sends the step's log records to the rule's log file. `clean`, `adam`, `stats` and `output` are
the rule's named input and output files (anything with those attributes: Snakemake's lists, or a
`types.SimpleNamespace` in tests). The records step lives with its stage, in
`ino_study.records.step`; the figures and tables steps in `ino_study.figures.step` and
`ino_study.tables.step`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Mapping

import pandas as pd

from ino_study.layout import ANALYSIS_DATASETS, CLEAN_TABLES, scenario_paths
from ino_study.outputs.io import atomic_write, read_parquet, write_csv, write_json, write_parquet, write_text

LOGGER = logging.getLogger("ino_study")


# --------------------------------------------------------------------------- endpoints


def derive_endpoints(clean: Any, config: Mapping[str, Any], output: Any) -> None:
    """adsl, adrs, adtte and adae as Parquet, what the later steps read (their CSV copies for reading
    are written from these files by `export_analysis_datasets`, a job of its own)."""
    from ino_study.endpoints.definitions import EndpointRules
    from ino_study.endpoints.derive import derive_analysis_datasets

    tables = {name: read_parquet(getattr(clean, name)) for name in CLEAN_TABLES}
    datasets = derive_analysis_datasets(tables, EndpointRules.from_config(config))
    for name in ANALYSIS_DATASETS:
        write_parquet(datasets[name], getattr(output, f"{name}_parquet"))
        LOGGER.info("%s: %d rows", name, len(datasets[name]))


def export_analysis_datasets(adam: Any, config: Mapping[str, Any], output: Any) -> None:
    """The CSV copies of adsl, adrs, adtte and adae, for reading: each Parquet file (input `<name>`)
    read back and written as `<name>_csv` by `outputs.io.write_csv`.

    Off the critical path: the statistics start from the Parquet files while this runs beside them.
    The Parquet files keep the datasets' column types (pandas' schema metadata), so the bytes are
    those write_csv gives the derived frames (tests/test_export_analysis_datasets.py). Reads no
    config key (`config` is the rule's empty settings).
    """
    for name in ANALYSIS_DATASETS:
        frame = read_parquet(getattr(adam, name))
        write_csv(frame, getattr(output, f"{name}_csv"))
        LOGGER.info("%s: %d rows written as CSV", name, len(frame))


# -------------------------------------------------------------------------- statistics


def survival_statistics(adam: Any, config: Mapping[str, Any], output: Any) -> None:
    """Kaplan-Meier estimates and medians, follow-up, log-rank and Cox tables."""
    from ino_study.statistics.survival_analysis import (
        SurvivalData, SurvivalSettings, cox_table, follow_up_summary, logrank_table, median_survival,
        survival_estimates,
    )

    settings = SurvivalSettings(
        timepoints_months=tuple(float(t) for t in config["survival_timepoints_months"]),
        conf_type=str(config["km_ci"]),
        conf_level=float(config["confidence_level"]),
        comparisons=tuple(config["comparisons"]),
        strata=tuple(config.get("stratify_by") or ()),
    )
    adsl, adtte = read_parquet(adam.adsl), read_parquet(adam.adtte)
    data = SurvivalData(adtte, adsl, settings)  # joined and fitted once for the four tables
    write_csv(survival_estimates(data), output.estimates)
    write_csv(median_survival(data), output.medians)
    write_csv(follow_up_summary(adtte, settings), output.follow_up)
    write_csv(logrank_table(data), output.logrank)
    write_csv(cox_table(data), output.cox)
    LOGGER.info("survival tables written for %d patients", int(adsl["included"].sum()))


def transplant_and_competing_risks(adam: Any, config: Mapping[str, Any], output: Any) -> None:
    """Landmark and time-varying HSCT analyses; cumulative incidence of relapse and of VOD/SOS."""
    from ino_study.statistics import transplant_analyses as ta

    level, conf_type = float(config["confidence_level"]), str(config["km_ci"])
    timepoints = [float(t) for t in config["survival_timepoints_months"]]
    adsl, adtte = read_parquet(adam.adsl), read_parquet(adam.adtte)
    write_csv(ta.landmark_table(adtte, adsl, list(config["landmark_days"]), timepoints, level, conf_type),
              output.landmark)
    models = [ta.time_varying_hsct_cox(adtte, adsl, endpoint, level) for endpoint in ("OS", "EFS")]
    models += [ta.naive_hsct_comparison(adtte, adsl, endpoint, level) for endpoint in ("OS", "EFS")]
    write_csv(pd.concat(models, ignore_index=True), output.hsct_cox)
    # cumulative incidence intervals: R's default "log" (the plain interval can leave [0, 1])
    write_csv(pd.concat([ta.cumulative_incidence_table(adtte, e, timepoints, level) for e in ("REL", "VOD")],
                        ignore_index=True), output.incidence)
    write_csv(pd.concat([ta.cumulative_incidence_curves(adtte, e, level) for e in ("REL", "VOD")],
                        ignore_index=True), output.incidence_curves)
    LOGGER.info("landmarks %s days; HSCT after InO in %d patients", list(config["landmark_days"]),
                int(adsl["hsct_after_ino"].sum()))


def deaths_and_mrd_landmark(adam: Any, config: Mapping[str, Any], output: Any) -> None:
    """``deaths.csv`` (causes by period, early mortality) and ``mrd_landmark.csv`` (landmark at the end
    of the response window, ``response.window_days``)."""
    from ino_study.statistics.deaths import deaths_table
    from ino_study.statistics.mrd_landmark import mrd_landmark_table

    level, conf_type = float(config["confidence_level"]), str(config["km_ci"])
    timepoints = [float(t) for t in config["survival_timepoints_months"]]
    window = int(config["response"]["window_days"])
    adsl, adtte = read_parquet(adam.adsl), read_parquet(adam.adtte)
    deaths = deaths_table(adtte, adsl, level, window_days=int(config["teae_window_days"]))
    write_csv(deaths, output.deaths)
    write_csv(mrd_landmark_table(adtte, adsl, window, timepoints, level, conf_type), output.mrd_landmark)
    total = deaths[(deaths["period"] == "all periods") & (deaths["cause"] == "all causes")].iloc[0]
    LOGGER.info("deaths: %d of %d analysed; MRD landmark at day %d", int(total["deaths"]),
                int(total["denominator"]), window)


def hsct_outcomes(adam: Any, config: Mapping[str, Any], output: Any) -> None:
    """``hsct_outcomes.csv`` (OS, LFS, NRM, GVHD, GRFS after HSCT) and ``transplants.md``."""
    from ino_study.outputs.language import localise_note, localise_text
    from ino_study.statistics.hsct_outcomes import hsct_outcomes_table, transplants_note, transplants_table
    from ino_study.tables.export import header, write_markdown

    level, conf_type = float(config["confidence_level"]), str(config["km_ci"])
    language = str(config.get("language", "en"))
    adsl, adtte = read_parquet(adam.adsl), read_parquet(adam.adtte)
    outcomes = hsct_outcomes_table(adtte, level, conf_type)
    write_csv(outcomes, output.outcomes)
    table, skipped = transplants_table(adsl, outcomes, language)
    # the cells are already in the reader's language: only the column headings are translated here
    write_markdown(table.rename(columns=lambda column: header(column, language)), output.transplants,
                   localise_text("Transplants after InO", language),
                   f"{localise_note(transplants_note(level, conf_type), language)} {skipped}".strip())
    LOGGER.info("HSCT after InO: %d patients; %s", int(adsl["hsct_after_ino"].sum()), skipped or "GVHD recorded")


# ------------------------------------------------------------------------------ report


def summarise(adam: Any, stats: Any, config: Mapping[str, Any], output: Any) -> None:
    """results/summary.json and the abstract's Results paragraph, results/summary.md."""
    from ino_study.outputs.summary import ADSL_COLUMNS, ADTTE_COLUMNS, ADTTE_ENDPOINTS, build_summary, results_paragraph

    adsl = read_parquet(adam.adsl, ADSL_COLUMNS)  # only what the summary counts: at a million patients, reading
    adtte = read_parquet(adam.adtte, ADTTE_COLUMNS, {"PARAMCD": ADTTE_ENDPOINTS})  # was most of the step
    medians, follow_up = pd.read_csv(stats.medians), pd.read_csv(stats.follow_up)
    summary = build_summary(adsl, adtte, medians, follow_up, dict(config))
    write_json(summary, output.summary)
    write_text(results_paragraph(summary, str(config.get("language", "en"))), output.paragraph)
    LOGGER.info("summary: %d patients", summary["n_patients"])


# --------------------------------------------------------------------------- scenarios


def analyse_scenario(start: Any, config: Mapping[str, Any], output: Any) -> None:
    """One sensitivity scenario, endpoints to summary, in one job: the same steps as the main analysis.

    `start`: the clean tables (the endpoints are derived with the scenario's settings), or, for a
    scenario that changes no endpoint setting, the main run's analysis datasets (copied: they would
    be derived identically).
    """
    out = SimpleNamespace(**{key: getattr(output, key) for key in scenario_paths("")})
    adam = SimpleNamespace(adsl=out.adsl_parquet, adtte=out.adtte_parquet)
    if hasattr(start, "adsl_parquet"):
        copy_analysis_datasets(start, out)
    else:
        derive_endpoints(start, config, out)
    survival_statistics(adam, config, out)
    summarise(adam, out, config, out)


def copy_analysis_datasets(source: Any, output: Any) -> None:
    """Copy adsl, adrs, adtte and adae (Parquet) from `source` to `output` paths (`<name>_parquet`)."""
    import shutil

    for name in ANALYSIS_DATASETS:
        src = getattr(source, f"{name}_parquet")
        atomic_write(getattr(output, f"{name}_parquet"), lambda tmp, src=src: shutil.copyfile(src, tmp))
    LOGGER.info("analysis datasets copied from the main run (this scenario changes no endpoint setting)")


def compare_scenarios(summaries: Mapping[str, str], overrides: Mapping[str, Any], output: str) -> None:
    """The headline numbers of the main analysis and of every scenario, side by side."""
    rows = []
    for name, path in summaries.items():
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
        response, mrd, vod = summary["response"], summary["mrd_negative"], summary["vod_standard_dose_hsct"]
        os12 = summary["os_at_12_months"]
        rows.append({
            "scenario": name,
            "overrides": json.dumps(overrides.get(name, {}), sort_keys=True, ensure_ascii=False),
            "n_patients": summary["n_patients"],
            "responders": response["responders"], "evaluable": response["evaluable"],
            "response_rate": response["rate"],
            "mrd_negative": mrd["count"], "mrd_denominator": mrd["denominator"], "mrd_negative_rate": mrd["rate"],
            "os_12_months": os12["estimate"], "os_12_ci_lower": os12["ci_lower"],
            "os_12_ci_upper": os12["ci_upper"], "km_ci": os12["conf_type"],
            "vod_count": vod["count"], "vod_denominator": vod["denominator"], "vod_rate": vod["rate"],
        })
    write_csv(pd.DataFrame(rows), output)
    LOGGER.info("compared %d analyses", len(rows))
