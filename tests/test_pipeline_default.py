"""The default run reproduces the study's published figures (Evstratov et al. 2023, abstract).

The published numbers are the reference: 17 patients; 75% responders; MRD negativity 41.2% (7/17);
one-year OS 40.3% (95% CI 14.8-65.7); VOD/SOS in 33% of standard-dose InO + HSCT patients. They
are asserted to the precision the abstract prints them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import PROJECT_ROOT, assert_not_in_outputs, copy_project, run_snakemake

pytestmark = pytest.mark.slow


def summary(run: Path) -> dict:
    return json.loads((run / "results" / "summary.json").read_text())


def test_published_headline_numbers(default_run):
    result = summary(default_run)
    assert result["n_patients"] == 17
    assert (result["response"]["responders"], result["response"]["evaluable"]) == (12, 16)
    assert round(result["response"]["rate"] * 100) == 75
    # issue 21 item 3: the same responders over all treated patients, 12/17 = 70.6%
    treated = result["response_all_treated"]
    assert (treated["responders"], treated["denominator"], round(treated["rate"] * 100, 1)) == (12, 17, 70.6)
    assert (result["mrd_negative"]["count"], result["mrd_negative"]["denominator"]) == (7, 17)
    assert round(result["mrd_negative"]["rate"] * 100, 1) == 41.2
    os12 = result["os_at_12_months"]
    assert round(os12["estimate"] * 100, 1) == 40.3
    assert round(os12["ci_lower"] * 100, 1) == 14.8
    assert round(os12["ci_upper"] * 100, 1) == 65.7
    vod = result["vod_standard_dose_hsct"]
    assert round(vod["rate"] * 100) == 33
    assert vod["count"] * 3 == vod["denominator"]


def test_survival_table_layout(default_run):
    table = pd.read_csv(default_run / "results" / "tables" / "survival_estimates.csv")
    assert list(table.columns[:8]) == ["endpoint", "group_by", "group", "time_months", "n_risk", "n_event_cumulative",
                                       "n_censor_cumulative", "survival"]
    whole = table[(table["endpoint"] == "OS") & (table["group_by"] == "all")]
    assert whole["time_months"].tolist() == [6, 12, 24]
    row = whole[whole["time_months"] == 12].iloc[0]
    assert row["n_risk"] == 5 and round(row["survival"], 3) == 0.403
    for name in ("logrank.csv", "cox.csv", "median_survival.csv"):
        frame = pd.read_csv(default_run / "results" / "tables" / name)
        assert set(frame["group_by"]) >= {"prior_hsct", "dose_group"}


def test_patient_flow_adds_up(default_run):
    flow = pd.read_csv(default_run / "results" / "data_quality" / "patient_flow.csv")
    raw = flow.iloc[0]["patients"]
    excluded = flow[flow["step"].str.startswith("excluded")]["patients"].sum()
    assert raw == flow.iloc[-1]["patients"] + excluded
    adsl = pd.read_csv(default_run / "results" / "adam" / "adsl.csv")
    assert len(adsl) == raw and adsl["included"].sum() == flow.iloc[-1]["patients"]


def test_no_identifier_reaches_results_or_logs(default_run):
    """Names and birth dates of the raw workbook appear nowhere under results/ or logs/."""
    import openpyxl

    workbook = openpyxl.load_workbook(default_run / "config.yaml".replace("config.yaml", "")
                                      / "data/synthetic/ino_registry_export_SYNTHETIC.xlsx", read_only=True)
    rows = list(workbook["patients"].iter_rows(values_only=True))
    header = [str(h).strip().lower() for h in rows[0]]
    names = [r[header.index("full_name")] for r in rows[1:] if r[header.index("full_name")]]
    births = [r[header.index("birth_date")] for r in rows[1:] if r[header.index("birth_date")]]
    assert len(names) >= 17
    needles = {str(n) for n in names}
    for birth in births:
        if hasattr(birth, "strftime"):
            needles |= {birth.strftime("%Y-%m-%d"), birth.strftime("%d.%m.%Y")}
        else:
            needles.add(str(birth).strip())
    assert_not_in_outputs(default_run, needles)


def test_raw_input_left_untouched(default_run):
    committed = PROJECT_ROOT / "data/synthetic/ino_registry_export_SYNTHETIC.xlsx"
    used = default_run / "data/synthetic/ino_registry_export_SYNTHETIC.xlsx"
    assert hashlib.sha256(used.read_bytes()).hexdigest() == hashlib.sha256(committed.read_bytes()).hexdigest()


def test_rerun_after_complete_run_schedules_nothing(default_run):
    result = run_snakemake(default_run, "--dry-run")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_same_inputs_give_byte_identical_tables(default_run, tmp_path):
    second = copy_project(tmp_path / "second")
    run_snakemake(second)
    for name in ("summary.json", "tables/survival_estimates.csv", "tables/cox.csv", "tables/logrank.csv",
                 "data_quality/findings.csv", "adam/adsl.csv", "adam/adtte.csv"):
        assert (default_run / "results" / name).read_bytes() == (second / "results" / name).read_bytes(), name


def test_invalid_config_value_names_the_key(tmp_path):
    workdir = copy_project(tmp_path / "bad_config")
    result = run_snakemake(workdir, "--dry-run", "--config", "km_ci=linear", check=False)
    assert result.returncode != 0
    assert "km_ci" in result.stdout + result.stderr
