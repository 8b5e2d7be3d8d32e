"""Shared fixtures: a copy of the project in a temporary folder, and a pipeline run in it;
`days_after`, the dates of synthetic test cohorts; and the configuration as the workflow validates
it (`validate_config`, `load_config`: snakemake.utils.validate against the schema, defaults filled).

No silent skips in CI: under CI=true a skipped test fails, unless its reason matches one of
`CI_ALLOWED_SKIPS` (each a gap CI accepts, with why), and every skip is listed with its reason in a
"skips under CI=true" section at the end of the run (besides pytest's own -ra summary)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import copy

import numpy as np
import pandas as pd
import pytest
import yaml
from snakemake.utils import validate

from ino_study.config import DEFAULT_CONFIG, SCHEMA, dates_as_text

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("Snakefile", "config.yaml", "config", "workflow", "data", "profiles")


def days_after(start, days) -> pd.DatetimeIndex:
    """`start` (a date or one date per value) plus `days` (floats; NaN gives NaT).

    NaN never reaches `pd.to_timedelta`: on a float array it casts NaN to an integer, which numpy
    leaves undefined, and now and then that cast's value made pandas' rounding warn "overflow
    encountered in multiply" in whichever test drew it (pandas GH 50702; 2 in 3,000 calls here)."""
    days = np.asarray(days, dtype=float)
    known = ~np.isnan(days)
    return pd.DatetimeIndex(start + pd.to_timedelta(np.where(known, days, 0.0), unit="D")).where(known)


def validate_config(config: dict) -> dict:
    """A copy of `config` validated as the Snakefile does it, with the schema's defaults filled in."""
    config = dates_as_text(copy.deepcopy(config))
    validate(config, str(SCHEMA), set_default=True)
    return config


def load_config(path: str | Path = DEFAULT_CONFIG, **overrides) -> dict:
    """A YAML config file with top-level `overrides`, validated as the Snakefile does it."""
    config = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    config.update(overrides)
    return validate_config(config)


def copy_project(destination: Path) -> Path:
    """Copy what a run needs (not results, logs or .snakemake) into `destination`."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    return destination


def start_up_error(workdir: Path, config_text: str) -> str:
    """The output of a dry run of `workdir` with `config_text` as an extra config file, which must
    fail (a config the workflow refuses at start-up)."""
    (workdir / "bad.yaml").write_text(config_text, encoding="utf-8")
    result = run_snakemake(workdir, "-n", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def run_snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run Snakemake from the test's interpreter in `workdir`."""
    command = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def assert_same_summary_and_tables(results: Path, expected: Path) -> None:
    """`results` (a run's results/) has the summary.json and the very results/tables/*.csv of `expected`."""
    import json

    assert json.loads((results / "summary.json").read_text()) == json.loads((expected / "summary.json").read_text())
    tables = sorted(p.name for p in (expected / "tables").glob("*.csv"))
    assert tables and tables == sorted(p.name for p in (results / "tables").glob("*.csv"))
    for name in tables:
        assert (results / "tables" / name).read_bytes() == (expected / "tables" / name).read_bytes(), name


def assert_not_in_outputs(workdir: Path, needles, folders=("results", "logs")) -> int:
    """No needle (a name, a birth date as written) in any file under `folders` of `workdir`, read as
    UTF-8 and as cp1251; returns the number of files scanned."""
    needles = {str(n) for n in needles if str(n)}
    scanned = 0
    for folder in folders:
        for path in (workdir / folder).rglob("*"):
            if not path.is_file():
                continue
            scanned += 1
            data = path.read_bytes()
            text = data.decode("utf-8", errors="ignore") + data.decode("cp1251", errors="ignore")
            found = [needle for needle in needles if needle in text]
            assert not found, f"{found[0]!r} found in {path.relative_to(workdir)}"
    return scanned


@pytest.fixture(scope="session")
def default_run(tmp_path_factory) -> Path:
    """The default pipeline, run once per test session in a fresh copy of the project."""
    workdir = copy_project(tmp_path_factory.mktemp("default_run"))
    run_snakemake(workdir)
    return workdir


# ---------------------------------------------------------------------------------------------------------
# no silent skips under CI=true

IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")

#: Skip reasons (regular expressions, searched in the reason) that CI accepts, each with why; any other
#: skip fails under CI=true. A test that must not skip in CI but cannot run fails itself (test_report's
#: Chromium, test_slurm's cluster, test_faults' chattr, test_ci_workflows' pinned tools).
CI_ALLOWED_SKIPS: dict[str, str] = {
    r"not yet in requirements\.txt": "a lint tool that CI does not install until requirements.txt pins it "
                                     "(tests/test_ci_workflows.py, tool())",
    r"does not support the immutable attribute": "the file system of the temporary folder cannot hold "
                                                 "chattr +i (tests/test_faults.py, make_immutable())",
}


def skip_reason(report) -> str:
    """The reason given to pytest.skip (or the skip marker) from a skipped report."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def ci_allowance(reason: str) -> str | None:
    return next((why for pattern, why in CI_ALLOWED_SKIPS.items() if re.search(pattern, reason)), None)


def _fail_unallowed_skip(report) -> None:
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = skip_reason(report)
        if ci_allowance(reason) is None:
            report.outcome = "failed"
            report.longrepr = (f"skipped under CI=true, where a skip fails unless tests/conftest.py "
                               f"CI_ALLOWED_SKIPS allows its reason: {reason}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_unallowed_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_unallowed_skip(outcome.get_result())


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Under CI=true: every skipped test with its reason and why CI allows it."""
    if not IN_CI:
        return
    skipped = terminalreporter.stats.get("skipped", [])
    terminalreporter.section("skips under CI=true")
    if not skipped:
        terminalreporter.write_line("none")
    for report in skipped:
        reason = skip_reason(report)
        terminalreporter.write_line(f"SKIPPED {report.nodeid}: {reason} (allowed: {ci_allowance(reason)})")


def clean_records_outputs(tables: Path, quality: Path):
    """The outputs of the clean_records rule as the step function takes them: the clean tables as
    `<tables>/<name>.parquet`, the data-quality files under `quality`."""
    from types import SimpleNamespace

    from ino_study.layout import CLEAN_TABLES

    return SimpleNamespace(**{name: str(tables / f"{name}.parquet") for name in CLEAN_TABLES},
                           findings=str(quality / "findings.csv"), report=str(quality / "report.md"),
                           flow=str(quality / "patient_flow.csv"))
