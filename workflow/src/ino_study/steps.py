"""The pipeline's steps: each binds a rule's files and settings to the package's functions.

(The records step lives with its stage, in `ino_study.records.step`.)

Snakemake rules call these from short `run:` blocks, so Python, pandas and lifelines start once per
run instead of once per job (see README, "Why run: and not script:"). In a local run each step runs
in a process forked from the step server, which has imported them (`served`, ino_study.step_server);
elsewhere in the calling thread. Each step logs to its own file; logs never hold identifiers.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from pathlib import Path
from typing import Any, Iterator, Mapping

from ino_study.step_server import ENDPOINTS, FIGURES, STATISTICS, TABLES, served


LOGGER = logging.getLogger("ino_study")

# pandas and the writers are imported inside each step, not here: the Snakefile imports this module,
# and every Snakemake start (a no-op rerun included) would pay for them.
CLEAN_TABLES = ("patients", "ino_doses", "assessments", "transplants", "adverse_events", "follow_up")
ANALYSIS_DATASETS = ("adsl", "adrs", "adtte", "adae")


class _ThisThread(logging.Filter):
    """Keep only records from the thread that runs this job (jobs share one process)."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread == self.thread


#: Where Python's warnings go (`log_warning`): a logger, so that each record carries its thread.
WARNINGS_LOGGER = logging.getLogger("py.warnings")


def log_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                file: Any = None, line: str | None = None) -> None:
    """`warnings.showwarning` that logs the warning (category and message) instead of printing it."""
    WARNINGS_LOGGER.warning("%s: %s", category.__name__, message)


@contextlib.contextmanager
def job_log(path: str | Path) -> Iterator[logging.Logger]:
    """Send this job's log records, and the warnings raised in its thread, to its log file.

    Warnings are routed through logging (`log_warning`) so that each carries the thread that
    raised it: jobs run in threads of one process, and `warnings.catch_warnings` is process-wide,
    so it would file one job's (or Snakemake's scheduler's) warnings in another's log. Warnings
    raised outside any job still reach stderr (logging's last-resort handler).
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_ThisThread())
    warnings.showwarning = log_warning  # (again: a library may have put its own back)
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    WARNINGS_LOGGER.addHandler(handler)
    try:
        yield LOGGER
    except Exception as error:
        LOGGER.error("%s", error)
        raise
    finally:
        WARNINGS_LOGGER.removeHandler(handler)
        LOGGER.removeHandler(handler)
        handler.close()


# --------------------------------------------------------------------------- endpoints


@served(needs=ENDPOINTS)
def derive_endpoints(clean: Any, config: Mapping[str, Any], output: Any, log: str) -> None:
    """adsl, adrs, adtte and adae as Parquet (for the pipeline) and CSV (for reading)."""
    from ino_study.outputs.io import read_parquet, write_csv, write_parquet
    from ino_study.endpoints.definitions import EndpointRules
    from ino_study.endpoints.derive import derive_analysis_datasets

    with job_log(log) as logger:
        tables = {name: read_parquet(getattr(clean, name)) for name in CLEAN_TABLES}
        datasets = derive_analysis_datasets(tables, EndpointRules.from_config(config))
        for name in ANALYSIS_DATASETS:
            write_parquet(datasets[name], getattr(output, f"{name}_parquet"))
            write_csv(datasets[name], getattr(output, f"{name}_csv"))
            logger.info("%s: %d rows", name, len(datasets[name]))


# -------------------------------------------------------------------------- statistics


@served(needs=STATISTICS)
def survival_statistics(adam: Any, config: Mapping[str, Any], output: Any, log: str) -> None:
    """Kaplan-Meier estimates and medians, follow-up, log-rank and Cox tables."""
    from ino_study.outputs.io import read_parquet, write_csv
    from ino_study.statistics.survival_analysis import (
        SurvivalData, SurvivalSettings, cox_table, follow_up_summary, logrank_table, median_survival,
        survival_estimates,
    )

    settings = SurvivalSettings(
        timepoints_months=tuple(float(t) for t in config["survival_timepoints_months"]),
        conf_type=str(config["km_ci"]),
        conf_level=float(config["confidence_level"]),
        comparisons=tuple(config["comparisons"]),
    )
    with job_log(log) as logger:
        adsl, adtte = read_parquet(adam.adsl), read_parquet(adam.adtte)
        data = SurvivalData(adtte, adsl, settings)  # joined and fitted once for the four tables
        write_csv(survival_estimates(data), output.estimates)
        write_csv(median_survival(data), output.medians)
        write_csv(follow_up_summary(adtte, settings), output.follow_up)
        write_csv(logrank_table(data), output.logrank)
        write_csv(cox_table(data), output.cox)
        logger.info("survival tables written for %d patients", int(adsl["included"].sum()))


@served(needs=STATISTICS)
def transplant_and_competing_risks(adam: Any, config: Mapping[str, Any], output: Any, log: str) -> None:
    """Landmark and time-varying HSCT analyses; cumulative incidence of relapse and of VOD/SOS."""
    import pandas as pd

    from ino_study.outputs.io import read_parquet, write_csv
    from ino_study.statistics import transplant_analyses as ta

    level, conf_type = float(config["confidence_level"]), str(config["km_ci"])
    timepoints = [float(t) for t in config["survival_timepoints_months"]]
    with job_log(log) as logger:
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
        logger.info("landmarks %s days; HSCT after InO in %d patients", list(config["landmark_days"]),
                    int(adsl["hsct_after_ino"].sum()))


# ------------------------------------------------------------------------------ report


@served(needs=STATISTICS, background=True)
def summarise(adam: Any, stats: Any, config: Mapping[str, Any], output: Any, log: str) -> None:
    """results/summary.json and the abstract's Results paragraph, results/summary.md."""
    import pandas as pd

    from ino_study.outputs.io import read_parquet, write_json, write_text
    from ino_study.outputs.summary import build_summary, results_paragraph

    with job_log(log) as logger:
        adsl, adtte = read_parquet(adam.adsl), read_parquet(adam.adtte)
        medians, follow_up = pd.read_csv(stats.medians), pd.read_csv(stats.follow_up)
        summary = build_summary(adsl, adtte, medians, follow_up, dict(config))
        write_json(summary, output.summary)
        write_text(results_paragraph(summary), output.paragraph)
        logger.info("summary: %d patients", summary["n_patients"])


# ---------------------------------------------------------------------- figures, tables
# Imported when the step runs, not when the workflow is read: matplotlib, python-docx and openpyxl
# would otherwise slow down every Snakemake start.


@served(needs=FIGURES)
def make_figures(*args: Any, **kwargs: Any) -> None:
    from ino_study.figures.run import make_figures as draw

    draw(*args, **kwargs)


@served(needs=TABLES, background=True)
def make_tables(*args: Any) -> None:
    from ino_study.tables.step import make_tables as write

    write(*args)


# --------------------------------------------------------------------------- scenarios

SCENARIO_TABLES = ("estimates", "medians", "follow_up", "logrank", "cox")


def scenario_paths(prefix: str) -> dict[str, str]:
    """Every file a scenario writes under `prefix` (results/scenarios/<name>)."""
    paths = {f"{name}_{fmt}": f"{prefix}/adam/{name}.{fmt}" for name in ANALYSIS_DATASETS for fmt in ("parquet", "csv")}
    paths |= {
        "estimates": f"{prefix}/tables/survival_estimates.csv", "medians": f"{prefix}/tables/median_survival.csv",
        "follow_up": f"{prefix}/tables/follow_up.csv", "logrank": f"{prefix}/tables/logrank.csv",
        "cox": f"{prefix}/tables/cox.csv", "summary": f"{prefix}/summary.json", "paragraph": f"{prefix}/summary.md",
    }
    return paths


@served(needs=STATISTICS, background=True)
def analyse_scenario(start: Any, config: Mapping[str, Any], output: Any, log: str) -> None:
    """One sensitivity scenario, endpoints to summary, in one job: the same steps as the main analysis.

    `start`: the clean tables (the endpoints are derived with the scenario's settings), or, for a
    scenario that changes no endpoint setting, the main run's analysis datasets (copied: they would
    be derived identically).
    """
    from types import SimpleNamespace

    out = SimpleNamespace(**{key: getattr(output, key) for key in scenario_paths("")})
    adam = SimpleNamespace(adsl=out.adsl_parquet, adtte=out.adtte_parquet)
    stem = str(log).removesuffix(".log")
    if hasattr(start, "adsl_parquet"):
        copy_analysis_datasets(start, out, f"{stem}.endpoints.log")
    else:
        derive_endpoints(start, config, out, f"{stem}.endpoints.log")
    survival_statistics(adam, config, out, f"{stem}.statistics.log")
    summarise(adam, out, config, out, log)


def copy_analysis_datasets(source: Any, output: Any, log: str) -> None:
    """Copy adsl, adrs, adtte and adae (Parquet and CSV) from `source` to `output` paths."""
    import shutil

    from ino_study.outputs.io import atomic_write

    with job_log(log) as logger:
        for name in ANALYSIS_DATASETS:
            for fmt in ("parquet", "csv"):
                src = getattr(source, f"{name}_{fmt}")
                atomic_write(getattr(output, f"{name}_{fmt}"), lambda tmp, src=src: shutil.copyfile(src, tmp))
        logger.info("analysis datasets copied from the main run (this scenario changes no endpoint setting)")


@served(needs=ENDPOINTS, background=True)
def compare_scenarios(summaries: Mapping[str, str], overrides: Mapping[str, Any], output: str, log: str) -> None:
    """The headline numbers of the main analysis and of every scenario, side by side."""
    import pandas as pd

    from ino_study.outputs.io import write_csv
    import json

    rows = []
    with job_log(log) as logger:
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
        logger.info("compared %d analyses", len(rows))


__all__ = ["derive_endpoints", "survival_statistics", "summarise", "job_log"]
