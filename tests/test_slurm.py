"""The pipeline runs on a SLURM cluster through profiles/slurm and gives the same results as locally.

A real one-node SLURM cluster (Debian's slurm-wlm + munge, no accounting) is started on localhost
by tests/slurm/start.sh and stopped by tests/slurm/stop.sh; the default pipeline runs through the
profile in a fresh copy of the project, and its summary, tables, data-quality report and figure
data must be byte-identical to a local run (the ``default_run`` fixture).

Each job asks SLURM for the memory its rule declares from the size of its inputs (`resources: mem_mb`,
ino_study.resources): the test reads the `sbatch` calls (logged with --verbose) and checks every job's
`--mem` against the model applied to the summed size of that job's data input files (not its code
inputs under workflow/src); each sensitivity
scenario runs as a job of its own (docs/slurm.md).

Skipped (with the reason) only outside CI when not root or when SLURM is neither installed nor
installable with apt-get. In CI (``CI=true``) it always runs: a missing piece is a failure.
See the README, "Running on a SLURM cluster", and the pitfalls in the start script.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT, copy_project
from test_regeneration import is_committed_kind

pytestmark = pytest.mark.slow

SLURM_DIR = PROJECT_ROOT / "tests" / "slurm"
IN_CI = os.environ.get("CI", "").lower() == "true"
RUN_TIMEOUT_S = 900
# As found on this kind of machine: no sacct without accounting (squeue instead), and a short wait
# before the first status check (the plugin's default is 40 s).
SLURM_TEST_OPTIONS = ("--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "6")
#: The plugin logs each job's `sbatch ...` call at debug level (--verbose).
SBATCH_CALL = re.compile(r"sbatch call: (sbatch .*)")


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"SLURM test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _slurm_installed() -> bool:
    return all(shutil.which(tool) for tool in ("slurmctld", "slurmd", "munged", "sinfo", "sbatch"))


def _install_plugin(target: Path) -> Path:
    """Install the SLURM executor plugin into `target` (not into the project's environment) and return it.

    Installed executor plugins are imported at every Snakemake start, and the SLURM plugin imports
    pandas: in the project's environment it would slow every local Snakemake start (`snakemake
    --version` 1.4 s -> 2.3-2.6 s on the benchmark machine). The test puts `target` on PYTHONPATH for the cluster run only; its dependencies
    (pandas, numpy, pyyaml, the Snakemake interfaces) are already in the environment.
    """
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is not None:
        return target  # installed in this environment by the user (README, "Running on a SLURM cluster")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                             "-r", str(PROJECT_ROOT / "requirements-slurm.txt")], capture_output=True, text=True)
    if result.returncode != 0 or not (target / "snakemake_executor_plugin_slurm").is_dir():
        _skip_or_fail(f"could not install requirements-slurm.txt:\n{result.stderr[-2000:]}")
    return target


def _cluster_is_up() -> bool:
    if not shutil.which("sinfo"):
        return False
    result = subprocess.run(["sinfo", "-h", "-N", "-o", "%t"], capture_output=True, text=True, timeout=20)
    return result.returncode == 0 and result.stdout.strip().split("\n")[0] in {"idle", "mix", "alloc"}


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    if os.geteuid() != 0:
        _skip_or_fail("starting slurmctld, slurmd and munged needs root")
    if not _slurm_installed() and not shutil.which("apt-get"):
        _skip_or_fail("SLURM is not installed and apt-get is unavailable to install slurm-wlm and munge")
    already_up = _cluster_is_up()
    state_dir = Path(os.environ.get("INO_SLURM_STATE_DIR", "/tmp/ino-slurm-test"))
    env = {**os.environ, "INO_SLURM_STATE_DIR": str(state_dir)}
    if not already_up:
        started = subprocess.run(["bash", str(SLURM_DIR / "start.sh"), str(state_dir)], capture_output=True,
                                 text=True, timeout=600, env=env)
        if started.returncode != 0:
            subprocess.run(["bash", str(SLURM_DIR / "stop.sh"), str(state_dir)], capture_output=True, timeout=60)
            message = f"tests/slurm/start.sh failed:\n{started.stdout[-3000:]}\n{started.stderr[-3000:]}"
            if IN_CI:
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
    try:
        yield state_dir
    finally:
        if not already_up:  # leave a cluster that was there before the test alone
            subprocess.run(["bash", str(SLURM_DIR / "stop.sh"), str(state_dir)], capture_output=True, timeout=60,
                           env=env)


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, tmp_path_factory) -> Path:
    workdir = copy_project(tmp_path_factory.mktemp("slurm_run"))
    shutil.copytree(PROJECT_ROOT / "profiles", workdir / "profiles", dirs_exist_ok=True)
    plugin_dir = _install_plugin(tmp_path_factory.mktemp("slurm_plugin"))
    env = dict(os.environ)
    # Jobs inherit PATH and PYTHONPATH through `sbatch --export=ALL`: the project's interpreter must
    # come first, and the plugin directory must be importable on the node as well.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_dir), env.get("PYTHONPATH")]))
    command = ["timeout", "--kill-after=30", str(RUN_TIMEOUT_S), sys.executable, "-m", "snakemake",
               "--profile", "profiles/slurm", "--verbose", *SLURM_TEST_OPTIONS]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env=env,
                            timeout=RUN_TIMEOUT_S + 60)
    if result.returncode != 0:
        logs = ""
        for log in sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))[-3:]:
            logs += f"\n--- {log}\n{log.read_text(errors='replace')[-2000:]}"
        verdict = "timed out" if result.returncode == 124 else f"failed ({result.returncode})"
        raise AssertionError(f"snakemake --profile profiles/slurm {verdict}:\n{result.stdout[-4000:]}\n"
                             f"{result.stderr[-6000:]}{logs}")
    (workdir / "snakemake.out").write_text(result.stdout + result.stderr)
    return workdir


def test_jobs_ran_on_slurm(slurm_run):
    output = (slurm_run / "snakemake.out").read_text()
    assert "has been submitted with SLURM jobid" in output
    for rule in ("clean_records", "derive_endpoints", "survival_statistics", "summarise"):
        assert f"rule_{rule}" in output or f"rule {rule}" in output, rule


def test_slurm_results_identical_to_local(slurm_run, default_run):
    local_root, slurm_root = default_run / "results", slurm_run / "results"
    local = sorted(str(p.relative_to(local_root)) for p in local_root.rglob("*")
                   if p.is_file() and is_committed_kind(str(p.relative_to(local_root))))
    assert "summary.json" in local and any(name.startswith("tables/") for name in local)
    differ = [name for name in local if not (slurm_root / name).exists()
              or (slurm_root / name).read_bytes() != (local_root / name).read_bytes()]
    assert not differ, f"SLURM results differ from the local run: {differ}"


def test_nothing_left_to_do_after_slurm_run(slurm_run):
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--dry-run"], cwd=slurm_run,
                            capture_output=True, text=True, timeout=300)
    assert "Nothing to be done" in result.stdout + result.stderr


def sbatch_requests(output: str) -> list[tuple[str, int]]:
    """(comment: rule and wildcards, --mem in MB) of each sbatch call in Snakemake's verbose output."""
    requests = []
    for call in SBATCH_CALL.findall(output):
        comment = re.search(r"--comment '?(rule_[^' ]+)", call)
        memory = re.search(r"--mem (\d+)", call)
        assert comment and memory, f"an sbatch call without --comment or --mem: {call}"
        requests.append((comment.group(1), int(memory.group(1))))
    return requests


def test_each_job_requests_memory_from_its_input_size(slurm_run):
    """sbatch --mem of every job = ino_study.resources.mem_mb(its memory model, summed size of the job's
    data inputs: not its package code), the inputs as a dry run of the finished copy lists them
    (test_resources.dry_run_jobs); and each sensitivity scenario is a SLURM job of its own."""
    from ino_study.resources import mem_mb
    from test_resources import dry_run_jobs, is_package_code, model_of

    requests = sbatch_requests((slurm_run / "snakemake.out").read_text())
    jobs = [job for job in dry_run_jobs(slurm_run) if job["rule"] != "all"]
    assert len(requests) == len(jobs) >= 14
    expected: dict[str, list[int]] = {}
    for job in jobs:
        assert any(map(is_package_code, job["input"])) or job["rule"] in {"provenance", "compare_scenarios"}, job
        size = sum((slurm_run / name).stat().st_size for name in job["input"] if not is_package_code(name))
        expected.setdefault(job["rule"], []).append(mem_mb(model_of(job), size))
    submitted: dict[str, list[int]] = {}
    for comment, memory in requests:
        rule = re.match(r"rule_(\w+?)(?:_wildcards_|$)", comment).group(1)
        submitted.setdefault(rule, []).append(memory)
    assert {rule: sorted(m) for rule, m in submitted.items()} == {rule: sorted(m) for rule, m in expected.items()}
    assert len({m for values in submitted.values() for m in values}) > 1  # not one default for every job
    scenarios = {c for c, _ in requests if c.startswith("rule_scenario_analysis_wildcards_")}
    names = yaml.safe_load((slurm_run / "config.yaml").read_text())["scenarios"]
    assert scenarios == {f"rule_scenario_analysis_wildcards_{name}" for name in names} and len(names) == 3
