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
    assert config["language"] == "en"


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
    ({"language": "de"}, "language"),
])
def test_an_invalid_value_names_the_key(override, key):
    with pytest.raises(Exception) as error:
        validate_config(override)
    assert key in str(error.value)


def test_unquoted_yaml_dates_are_accepted():
    config = yaml.safe_load("cutoff_date: 2023-01-31\nstudy_window: {start: 2016-10-01, end: 2022-09-01}\n")
    config = validate_config(dates_as_text(config))
    assert config["cutoff_date"] == "2023-01-31" and config["study_window"]["end"] == "2022-09-01"


def test_endpoint_rules_fall_back_to_the_schemas_defaults():
    """EndpointRules read a validated config, whose defaults come from the schema; their own
    fall-backs (a config built by hand, a test) must be the same values, or an analysis run without
    the pipeline would quietly use other definitions."""
    from ino_study.endpoints.definitions import EndpointRules

    minimal = {"cutoff_date": "2023-01-31", "raw_data": "data/synthetic/ino_registry_export_SYNTHETIC.xlsx"}
    assert EndpointRules.from_config(minimal) == EndpointRules.from_config(validate_config(minimal))


def test_endpoint_rules_read_every_key_they_are_given():
    """Each definition set to a value other than its default reaches EndpointRules (a misspelt key
    would fall back to the default unnoticed)."""
    from ino_study.endpoints.definitions import EndpointRules

    config = validate_config({
        "cutoff_date": "2022-06-30", "raw_data": "data/synthetic/ino_registry_export_SYNTHETIC.xlsx",
        "mrd_threshold_percent": 0.1, "dose_groups": {"standard_min_cycle1_mg_m2": 1.5},
        "efs": {"no_response_is_event_at_day0": False}, "teae_window_days": 45, "dor_censor_at_hsct": True,
        "response": {"max_blasts_pct": 4.0, "cr_min_anc_10e9_l": 0.5, "cr_min_platelets_10e9_l": 50.0,
                     "window_ends_at_hsct": False, "window_days": 120, "course1_days": 35},
    })
    rules = EndpointRules.from_config(config)
    assert (rules.cutoff_date.isoformat(), rules.mrd_threshold_percent, rules.standard_min_cycle1_mg_m2,
            rules.no_response_is_event_at_day0, rules.teae_window_days, rules.dor_censor_at_hsct) == (
        "2022-06-30", 0.1, 1.5, False, 45, True)
    assert (rules.response.max_blasts_pct, rules.response.cr_min_anc_10e9_l, rules.response.cr_min_platelets_10e9_l,
            rules.response.window_ends_at_hsct, rules.response.window_days, rules.response.course1_days) == (
        4.0, 0.5, 50.0, False, 120, 35)
