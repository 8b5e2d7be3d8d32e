"""Faults: a killed run, a concurrent run, an unwritable results folder and a full disk.

Each runs the real pipeline in a temporary copy of the project.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_project, run_snakemake

pytestmark = pytest.mark.slow

IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
COMPARED = ("summary.json", "summary.md", "tables/survival_estimates.csv", "tables/cox.csv", "tables/logrank.csv",
            "tables/median_survival.csv", "data_quality/findings.csv", "adam/adsl.csv", "adam/adtte.csv")


def start_snakemake(workdir: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "2", *args], cwd=workdir,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            **kwargs)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, "the run ended before the awaited file appeared"
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def partial_files(results: Path) -> list[Path]:
    return [p for p in results.rglob("*") if p.name.endswith(".part")]


def test_killed_run_restarts_to_identical_results(default_run, tmp_path):
    workdir = copy_project(tmp_path / "killed")
    process = start_snakemake(workdir)
    wait_for(workdir / "results/adam/adsl.parquet", process)  # killed inside the statistics stage or soon after
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    # the killed run's lock stays: the documented step (README, Troubleshooting) removes it
    refused = run_snakemake(workdir, check=False)
    assert refused.returncode != 0 and "cannot be locked" in refused.stdout + refused.stderr
    run_snakemake(workdir, "--unlock")
    run_snakemake(workdir)  # the workflow profile reruns incomplete steps; partial files are removed
    for name in COMPARED:
        assert (workdir / "results" / name).read_bytes() == (default_run / "results" / name).read_bytes(), name
    assert partial_files(workdir / "results") == []


def test_a_second_concurrent_run_refuses_and_corrupts_nothing(default_run, tmp_path):
    workdir = copy_project(tmp_path / "concurrent")
    first = start_snakemake(workdir)
    wait_for(workdir / ".snakemake" / "locks", first)
    while not any((workdir / ".snakemake" / "locks").iterdir()):
        time.sleep(0.05)
    second = run_snakemake(workdir, check=False)
    output, _ = first.communicate(timeout=600)
    assert first.returncode == 0, output[-3000:]
    assert second.returncode != 0
    assert "cannot be locked" in second.stdout + second.stderr
    for name in COMPARED:
        assert (workdir / "results" / name).read_bytes() == (default_run / "results" / name).read_bytes(), name


def make_immutable(path: Path) -> None:
    """``chattr +i path`` (nobody, root included, can then create files in it; undo with chattr -i).

    Needs root (CAP_LINUX_IMMUTABLE), e2fsprogs' chattr and a file system with the attribute (ext4,
    xfs, btrfs; not tmpfs or overlayfs). Without them the test is skipped, except under CI=true: CI
    runs the tests as root on Ubuntu, where chattr is installed, so only a file system that does not
    support the attribute remains a reason to skip (allowed, and listed, by tests/conftest.py).
    """
    chattr = shutil.which("chattr")
    if chattr is None:
        reason = "chattr is not installed (Debian/Ubuntu package e2fsprogs)"
    else:
        result = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True)
        if result.returncode == 0:
            return
        reason = f"chattr +i {path} failed ({result.returncode}): {result.stderr.strip()}"
        if re.search(r"Operation not supported|Inappropriate ioctl", result.stderr):
            pytest.skip(f"the file system of {path} does not support the immutable attribute: {reason}")
    if IN_CI:
        pytest.fail(f"CI=true and {reason}; CI runs the tests as root with e2fsprogs installed",
                    pytrace=False)
    pytest.skip(f"{reason}; needs root and e2fsprogs (under CI=true this fails)")


def test_unwritable_results_folder_gives_a_clear_message(tmp_path):
    workdir = copy_project(tmp_path / "unwritable")
    results = workdir / "results"
    results.mkdir()
    make_immutable(results)
    try:
        result = run_snakemake(workdir, check=False)
    finally:
        subprocess.run(["chattr", "-i", str(results)], check=True)
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "results" in text and ("not permitted" in text.lower() or "permission" in text.lower())


FULL_DISK_SCRIPT = """
import resource, signal, sys
import pandas as pd
from ino_study.outputs import io
resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))  # every file stops at 2 kB: a full disk
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
try:
    io.write_csv(pd.DataFrame({"x": range(10_000)}), sys.argv[1])
except io.OutputWriteError as error:
    print(error)
    sys.exit(3)
"""


def test_full_disk_gives_a_clear_message_and_no_partial_file(tmp_path):
    target = tmp_path / "results" / "tables" / "big.csv"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "workflow" / "src")}
    result = subprocess.run([sys.executable, "-c", FULL_DISK_SCRIPT, str(target)], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 3, result.stderr
    assert f"cannot write {target}" in result.stdout and "Free disk space" in result.stdout
    assert list((tmp_path / "results").rglob("*.*")) == []  # neither the file nor a partial one
