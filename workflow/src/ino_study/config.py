"""The analysis configuration: dates as text, the scenarios' merged configurations, and which
keys make a scenario re-read the records or re-derive the endpoints.

The workflow validates every configuration (the main one and each scenario's) against
workflow/schemas/config.schema.yaml with `snakemake.utils.validate`, which also fills the defaults.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SCHEMA = PROJECT_ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT_CONFIG = PROJECT_ROOT / "config.yaml"


def dates_as_text(value: Any) -> Any:
    """YAML reads an unquoted 2023-01-31 as a date; the schema expects ISO text. Convert in place."""
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = dates_as_text(item)
        return value
    if isinstance(value, list):
        return [dates_as_text(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return value


#: The config keys each step reads, by rule: the rules pass exactly these as params (a change of
#: another key does not rerun the step), the scenario rules the scenario's values of the same keys,
#: and benchmarks/one_process.py the same settings.
STEP_SETTINGS: dict[str, tuple[str, ...]] = {
    "clean_records": ("raw_format", "redcap_data_dictionary", "column_map", "cutoff_date", "study_window",
                      "max_age_years", "identifier_columns", "pseudonymise", "language"),
    "derive_endpoints": ("cutoff_date", "mrd_threshold_percent", "response", "dose_groups", "efs",
                         "teae_window_days", "dor_censor_at_hsct"),
    # the CSV copies of the analysis datasets: the Parquet files' rows as they are, no setting
    "export_analysis_datasets": (),
    "survival_statistics": ("survival_timepoints_months", "km_ci", "confidence_level", "comparisons",
                            "stratify_by"),
    "transplant_and_competing_risks": ("landmark_days", "survival_timepoints_months", "km_ci", "confidence_level"),
    "deaths_and_mrd_landmark": ("response", "survival_timepoints_months", "km_ci", "confidence_level",
                                "teae_window_days"),
    "hsct_outcomes": ("confidence_level", "km_ci", "language"),
    "summarise": ("confidence_level", "km_ci", "cutoff_date", "mrd_threshold_percent", "language"),
    "figures": ("figures", "confidence_level", "km_ci", "comparisons", "mrd_threshold_percent", "labels",
                "language"),
    "tables": ("confidence_level", "km_ci", "comparisons", "table1_by", "labels", "teae_window_days",
               "cd22_cutoff_percent", "language"),
    # a scenario's analysis: its endpoints, survival statistics and summary, in one job
    "scenario_analysis": ("cutoff_date", "mrd_threshold_percent", "response", "dose_groups", "efs",
                          "teae_window_days", "dor_censor_at_hsct", "survival_timepoints_months", "km_ci",
                          "confidence_level", "comparisons", "stratify_by", "language"),
}


def step_settings(config: dict[str, Any], step: str) -> dict[str, Any]:
    """The values of the config keys `step` reads (STEP_SETTINGS), from a validated config."""
    return {key: config[key] for key in STEP_SETTINGS[step]}


#: Keys that change which records are read or kept: a scenario overriding one of them re-reads the
#: raw data; any other scenario starts from the default run's clean tables.
RECORD_KEYS = ("raw_data", *STEP_SETTINGS["clean_records"])


def apply_overrides(config: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of `config` with `overrides` merged in (nested mappings merged key by key)."""
    merged = copy.deepcopy(config)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = apply_overrides(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def scenario_config(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The configuration of one sensitivity scenario: `config` with the scenario's overrides merged
    in, without `scenarios` (no nested scenarios). The workflow validates it against the schema."""
    overrides = dates_as_text(copy.deepcopy(config["scenarios"][name]))
    return apply_overrides({k: v for k, v in config.items() if k != "scenarios"}, overrides)


#: Keys the endpoint derivation uses (besides the record-level ones): a scenario overriding none of
#: these and no record-level key reuses the main run's analysis datasets (adsl, adrs, adtte, adae).
ENDPOINT_KEYS = tuple(key for key in STEP_SETTINGS["derive_endpoints"] if key not in RECORD_KEYS)


def scenario_rereads_records(config: dict[str, Any], name: str) -> bool:
    """True if the scenario changes which records are read or kept (it cleans its own copy)."""
    return any(key in config["scenarios"][name] for key in RECORD_KEYS)


def scenario_rederives_endpoints(config: dict[str, Any], name: str) -> bool:
    """True if the scenario's analysis datasets can differ from the main run's."""
    return scenario_rereads_records(config, name) or any(key in config["scenarios"][name] for key in ENDPOINT_KEYS)
