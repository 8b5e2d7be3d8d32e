"""The config schema: defaults, descriptions, and errors that name the key."""

from __future__ import annotations

import pytest
import yaml

from conftest import load_config, validate_config
from ino_study.config import DEFAULT_CONFIG, SCHEMA, dates_as_text


def walk_properties(schema: dict, path: str = ""):
    for key, spec in schema.get("properties", {}).items():
        yield f"{path}{key}", spec
        yield from walk_properties(spec, f"{path}{key}.")


def test_every_key_has_a_description_and_a_default():
    schema = yaml.safe_load(SCHEMA.read_text())
    for key, spec in walk_properties(schema):
        assert spec.get("description"), f"{key} has no description"
        assert "default" in spec, f"{key} has no default"


def test_defaults_fill_an_empty_config():
    config = validate_config({})
    assert config["mrd_threshold_percent"] == 0.01
    assert config["km_ci"] == "plain"
    assert config["study_window"] == {"start": "2016-10-01", "end": "2022-09-01"}
    assert config["survival_timepoints_months"] == [6, 12, 24]
    assert "prior_hsct" in config["comparisons"]


def test_the_shipped_config_is_valid():
    config = load_config(DEFAULT_CONFIG)
    assert config["raw_data"].endswith(".xlsx")


@pytest.mark.parametrize(("override", "key"), [
    ({"km_ci": "linear"}, "km_ci"),
    ({"mrd_threshold_percent": -1}, "mrd_threshold_percent"),
    ({"confidence_level": 1.5}, "confidence_level"),
    ({"cutoff_date": "31.01.2023"}, "cutoff_date"),
    ({"comparisons": ["favourite_colour"]}, "comparisons"),
    ({"table1_by": "hsct_after_ino"}, "table1_by"),
    ({"unknown_key": 1}, "unknown_key"),
])
def test_an_invalid_value_names_the_key(override, key):
    with pytest.raises(Exception) as error:
        validate_config(override)
    assert key in str(error.value)


def test_unquoted_yaml_dates_are_accepted():
    config = yaml.safe_load("cutoff_date: 2023-01-31\nstudy_window: {start: 2016-10-01, end: 2022-09-01}\n")
    config = validate_config(dates_as_text(config))
    assert config["cutoff_date"] == "2023-01-31" and config["study_window"]["end"] == "2022-09-01"
