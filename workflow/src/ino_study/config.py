"""Loading and validating the analysis configuration outside Snakemake (tests, tools).

Inside the pipeline the Snakefile does the same with `snakemake.utils.validate`, against the same
schema, so defaults and error messages are identical.
"""

from __future__ import annotations

import copy
import datetime as dt
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


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """Validate against the schema and fill defaults; raises naming the offending key."""
    from snakemake.utils import validate

    config = dates_as_text(copy.deepcopy(config))
    validate(config, str(SCHEMA), set_default=True)
    return config


def load_config(path: str | Path = DEFAULT_CONFIG, **overrides: Any) -> dict[str, Any]:
    """Read a YAML config safely, apply top-level overrides, validate and fill defaults."""
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    config.update(overrides)
    return validate_config(config)
