"""Sensitivity scenarios: merged and validated configs, shared steps, and the comparison table."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from conftest import copy_project, run_snakemake
from ino_study.config import (
    apply_overrides, load_config, scenario_config, scenario_rereads_records, validate_config,
)


def test_overrides_merge_nested_keys():
    merged = apply_overrides({"response": {"max_blasts_pct": 5, "window_days": 180}, "km_ci": "plain"},
                             {"response": {"window_days": 90}, "km_ci": "log"})
    assert merged == {"response": {"max_blasts_pct": 5, "window_days": 90}, "km_ci": "log"}


def test_scenario_configs_are_validated_and_name_the_scenario():
    config = load_config()
    config["scenarios"] = {"bad": {"km_ci": "linear"}, "good": {"mrd_threshold_percent": 0.1}}
    assert scenario_config(config, "good")["mrd_threshold_percent"] == 0.1
    assert scenario_config(config, "good")["km_ci"] == config["km_ci"]
    with pytest.raises(ValueError, match=r"(?s)scenarios\.bad.*km_ci"):
        scenario_config(config, "bad")


def test_scenario_validation_agrees_with_snakemake_validate():
    """scenario_config validates with a cached validator; it must accept, reject and fill exactly as
    snakemake.utils.validate does (validate_config), including defaults of keys the config leaves out."""
    config = load_config()
    config["scenarios"] = {**config["scenarios"], "sparse": {"figures": {"dpi": 150}, "response": {}}}
    del config["figures"]["formats"]  # a default the fast validator must fill again
    for name, overrides in config["scenarios"].items():
        merged = apply_overrides({k: v for k, v in config.items() if k != "scenarios"}, overrides)
        assert scenario_config(config, name) == validate_config(merged), name
    config["scenarios"] = {"bad": {"confidence_level": 1.5}}
    with pytest.raises(Exception):
        validate_config(apply_overrides({k: v for k, v in config.items() if k != "scenarios"},
                                        config["scenarios"]["bad"]))
    with pytest.raises(ValueError, match=r"scenarios\.bad: confidence_level"):
        scenario_config(config, "bad")


def test_only_record_level_overrides_reread_the_records():
    config = {"scenarios": {"a": {"mrd_threshold_percent": 0.1}, "b": {"cutoff_date": "2022-01-01"}}}
    assert not scenario_rereads_records(config, "a")
    assert scenario_rereads_records(config, "b")


def dry_run_rules(workdir, *args) -> list[str]:
    result = run_snakemake(workdir, "--dry-run", "--quiet", "rules", *args)
    table = result.stdout.split("Job stats:")[-1]
    return [line.split()[0] for line in table.splitlines()[2:] if line.strip() and line.split()[0] != "total"]


@pytest.mark.slow
def test_shared_steps_run_once(tmp_path):
    workdir = copy_project(tmp_path / "project")
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["scenarios"] = {"mrd": {"mrd_threshold_percent": 0.1}, "cut": {"cutoff_date": "2022-06-30"}}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    overrides = []
    rules = dry_run_rules(workdir, *overrides)
    assert rules.count("clean_records") == 1
    assert "scenario_clean_records" in rules  # only for the cut-off scenario
    run_snakemake(workdir, *overrides)
    comparison = pd.read_csv(workdir / "results/tables/scenario_comparison.csv")
    assert comparison["scenario"].tolist() == ["main", "cut", "mrd"]
    main = json.loads((workdir / "results/summary.json").read_text())
    row = comparison.set_index("scenario")
    assert row.loc["main", "os_12_months"] == pytest.approx(main["os_at_12_months"]["estimate"], abs=1e-6)
    # a stricter threshold cannot make fewer patients MRD-negative, and leaves survival unchanged
    assert row.loc["mrd", "mrd_negative"] >= row.loc["main", "mrd_negative"]
    assert row.loc["mrd", "os_12_months"] == row.loc["main", "os_12_months"]
    assert not (workdir / "results/scenarios/mrd/data").exists()
    assert (workdir / "results/scenarios/cut/data_quality/patient_flow.csv").exists()
