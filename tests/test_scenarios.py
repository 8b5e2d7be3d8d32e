"""Sensitivity scenarios: merged and validated configs, shared steps, and the comparison table."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import PROJECT_ROOT, copy_project, load_config, run_snakemake, validate_config
from ino_study.config import (
    apply_overrides, scenario_config, scenario_rederives_endpoints, scenario_rereads_records,
)


def test_overrides_merge_nested_keys():
    merged = apply_overrides({"response": {"max_blasts_pct": 5, "window_days": 180}, "km_ci": "plain"},
                             {"response": {"window_days": 90}, "km_ci": "log"})
    assert merged == {"response": {"max_blasts_pct": 5, "window_days": 90}, "km_ci": "log"}


def test_scenario_config_merges_the_overrides_over_the_main_config():
    config = load_config()
    config["scenarios"] = {"good": {"mrd_threshold_percent": 0.1, "response": {"window_days": 90}}}
    merged = scenario_config(config, "good")
    assert merged["mrd_threshold_percent"] == 0.1 and merged["km_ci"] == config["km_ci"]
    assert merged["response"] == {**config["response"], "window_days": 90}
    assert "scenarios" not in merged
    validated = validate_config(merged)  # a valid scenario stays as it is, defaults already in
    assert validated.pop("scenarios") == {} and validated == merged


def test_only_record_level_overrides_reread_the_records():
    config = {"scenarios": {"a": {"mrd_threshold_percent": 0.1}, "b": {"cutoff_date": "2022-01-01"}}}
    assert not scenario_rereads_records(config, "a")
    assert scenario_rereads_records(config, "b")


def test_only_endpoint_or_record_overrides_rederive_the_endpoints():
    config = {"scenarios": {"ci": {"km_ci": "log-log"}, "mrd": {"mrd_threshold_percent": 0.1},
                            "cut": {"cutoff_date": "2022-01-01"}, "resp": {"response": {"window_days": 90}},
                            "figs": {"figures": {"dpi": 150}, "confidence_level": 0.9}}}
    assert [name for name in config["scenarios"] if scenario_rederives_endpoints(config, name)] == [
        "mrd", "cut", "resp"]


def test_endpoint_keys_are_what_derive_endpoints_uses():
    """A scenario may reuse the main datasets only if it changes none of derive_endpoints' settings."""
    from ino_study.config import ENDPOINT_KEYS, RECORD_KEYS, STEP_SETTINGS

    rule_file = (PROJECT_ROOT / "workflow" / "rules" / "endpoints.smk").read_text()
    body = rule_file[rule_file.index("rule derive_endpoints:"):]
    assert 'settings=step_params("derive_endpoints")' in body
    used = set(STEP_SETTINGS["derive_endpoints"])
    assert used and used <= set(ENDPOINT_KEYS) | set(RECORD_KEYS), used - set(ENDPOINT_KEYS) - set(RECORD_KEYS)


@pytest.mark.slow
def test_scenario_reusing_the_main_datasets_gets_what_it_would_derive(default_run, tmp_path):
    """A scenario changing only km_ci copies the main adsl/adrs/adtte/adae; deriving them from the
    clean tables with its settings must give the same bytes, and so must its statistics."""
    from types import SimpleNamespace

    from ino_study import steps
    from ino_study.job import run_step

    config = load_config(default_run / "config.yaml")
    config["scenarios"] = {"ci": {"km_ci": "log-log"}}
    settings = validate_config(scenario_config(config, "ci"))
    main = default_run / "results"
    adam = SimpleNamespace(**{f"{n}_{f}": str(main / "adam" / f"{n}.{f}")
                              for n in steps.ANALYSIS_DATASETS for f in ("parquet", "csv")})
    clean = SimpleNamespace(**{n: str(main / "data" / "clean" / f"{n}.parquet") for n in steps.CLEAN_TABLES})
    outputs = {}
    for label, start in (("copied", adam), ("derived", clean)):
        paths = steps.scenario_paths(str(tmp_path / label))
        run_step(steps.analyse_scenario, tmp_path / f"{label}.log", start, settings, SimpleNamespace(**paths))
        outputs[label] = {key: Path(path).read_bytes() for key, path in paths.items() if not path.endswith(".parquet")}
    assert outputs["copied"] == outputs["derived"]
    assert "copied from the main run" in (tmp_path / "copied.log").read_text()


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
