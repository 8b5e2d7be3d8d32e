"""Loading and validating the analysis configuration, in the Snakefile and outside it (tests, tools).

`check_config` validates against workflow/schemas/config.schema.yaml and fills its defaults, as
`snakemake.utils.validate(config, schema, set_default=True)` does (tests/test_config.py compares
the two), with one validator built once per process: Snakemake's re-reads the schema with the pure
Python YAML parser and rebuilds its validator on every call (about 0.2 s of every Snakemake start,
no-op reruns included, and once more per scenario).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from pathlib import Path
from typing import Any

import yaml

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


def check_config(config: dict[str, Any], where: str = "config") -> dict[str, Any]:
    """Validate `config` against the schema and fill its defaults, in place; returns it.

    Raises ValueError naming the offending key (`<where>: <key>: <problem>`)."""
    from jsonschema.exceptions import best_match

    error = best_match(_schema_validator().iter_errors(config))
    if error is not None:
        key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ValueError(f"{where}: {key}: {error.message}")
    return config


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """A validated copy of `config` with defaults filled; raises naming the offending key."""
    return check_config(dates_as_text(copy.deepcopy(config)))


def load_config(path: str | Path = DEFAULT_CONFIG, **overrides: Any) -> dict[str, Any]:
    """Read a YAML config safely, apply top-level overrides, validate and fill defaults."""
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    config.update(overrides)
    return validate_config(config)


#: Keys that change which records are read or kept: a scenario overriding one of them re-reads the
#: raw data; any other scenario starts from the default run's clean tables.
RECORD_KEYS = ("raw_data", "cutoff_date", "study_window", "max_age_years", "identifier_columns")


def apply_overrides(config: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of `config` with `overrides` merged in (nested mappings merged key by key)."""
    merged = copy.deepcopy(config)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = apply_overrides(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@functools.lru_cache(maxsize=1)
def _schema_validator() -> Any:
    """A jsonschema validator for the config schema that also fills defaults, built once per process.

    `snakemake.utils.validate` re-reads the schema and rebuilds its validator on every call (about
    50 ms); the Snakefile validates one config per scenario at every start, including no-op reruns.
    Filling defaults while validating is the recipe of the jsonschema FAQ, which snakemake.utils uses too.
    """
    from jsonschema import Draft202012Validator, validators

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(key, copy.deepcopy(subschema["default"]))
        yield from Draft202012Validator.VALIDATORS["properties"](validator, properties, instance, schema)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 3 ms instead of 30 ms
    schema = yaml.load(SCHEMA.read_text(encoding="utf-8"), Loader=loader)
    filling = validators.extend(Draft202012Validator, {"properties": set_defaults})
    return filling(schema)


def scenario_config(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The full, validated configuration of one sensitivity scenario (no nested scenarios).

    Raises ValueError naming the scenario and the offending key.
    """
    overrides = dates_as_text(copy.deepcopy(config["scenarios"][name]))
    merged = apply_overrides({k: v for k, v in config.items() if k != "scenarios"}, overrides)
    return check_config(merged, f"scenarios.{name}")


#: Keys the endpoint derivation uses (besides the record-level ones): a scenario overriding none of
#: these and no record-level key reuses the main run's analysis datasets (adsl, adrs, adtte, adae).
ENDPOINT_KEYS = ("mrd_threshold_percent", "response", "dose_groups", "efs")


def scenario_rereads_records(config: dict[str, Any], name: str) -> bool:
    """True if the scenario changes which records are read or kept (it cleans its own copy)."""
    return any(key in config["scenarios"][name] for key in RECORD_KEYS)


def scenario_rederives_endpoints(config: dict[str, Any], name: str) -> bool:
    """True if the scenario's analysis datasets can differ from the main run's."""
    return scenario_rereads_records(config, name) or any(key in config["scenarios"][name] for key in ENDPOINT_KEYS)
