"""How the default profile schedules the steps, read from Snakemake's own dry run.

Every step except the figure rules carries the resource `interpreter=1`: without the step server it
runs Python in the Snakemake process (run: blocks in threads), with it in a process forked from the
server; the default profile allows two at a time (a third added memory and no speed on 2 cores).
The figure rules draw in processes of their own either way and must not hold it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from conftest import PROJECT_ROOT, copy_project, run_snakemake
from ino_study.figures.catalogue import FIGURE_RULES


def planned_jobs(workdir) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) of every job of a forced dry run."""
    text = run_snakemake(workdir, "--dry-run", "--forceall").stdout
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text):
        match = re.match(r"(?:local)?rule (\w+):", block)
        resources = re.search(r"^\s+resources: (.*)$", block, re.M)
        if match:
            pairs = (item.split("=", 1) for item in resources.group(1).split(", ")) if resources else ()
            jobs.append((match.group(1), dict(pairs)))
    return jobs


def test_in_process_steps_hold_the_interpreter_and_figure_rules_do_not(tmp_path):
    jobs = planned_jobs(copy_project(tmp_path / "project"))
    rules = {rule for rule, _ in jobs}
    assert set(FIGURE_RULES) <= rules and {"clean_records", "survival_statistics", "tables"} <= rules
    for rule, resources in jobs:
        if rule in FIGURE_RULES or rule == "all":
            assert "interpreter" not in resources, rule
        else:
            assert resources.get("interpreter") == "1", (rule, resources)


def test_default_profile_runs_at_most_two_steps_at_a_time():
    profile = yaml.safe_load((PROJECT_ROOT / "profiles" / "default" / "config.yaml").read_text())
    assert profile["resources"]["interpreter"] == 2
    assert profile["force-use-threads"] is True


def test_a_run_draws_in_the_step_server_and_leaves_no_process_behind(default_run):
    """The default run's figure steps drew in children of the step server (no worker process), and
    neither the server nor any child outlives the run (onsuccess stops it; it waits for them)."""
    for rule in FIGURE_RULES:
        log = (default_run / "logs" / f"{rule}.log").read_text()
        assert "child of the step server" in log and "worker" not in log, rule
    alive = []
    for process in Path("/proc").iterdir():  # the server, its children or a worker, in this run's folder
        try:
            cmdline, cwd = (process / "cmdline").read_bytes(), (process / "cwd").resolve()
            state = (process / "status").read_text()
        except OSError:
            continue
        if (b"ino_study.step_server" in cmdline or b"ino_study.figures.worker" in cmdline) \
                and cwd == default_run.resolve() and "State:\tZ" not in state:
            alive.append(process.name)
    assert not alive


def test_a_local_run_imports_no_analysis_library_into_snakemakes_process(tmp_path):
    """Every step of a local run ran in a child of the step server: Snakemake's own process never
    imported pandas, lifelines or matplotlib (each costs it CPU a child would not need)."""
    import subprocess
    import sys

    workdir = copy_project(tmp_path / "project")
    probe = ("import atexit, runpy, sys\n"
             "atexit.register(lambda: print('IMPORTED', sorted(m for m in ('pandas', 'lifelines', 'matplotlib')"
             " if m in sys.modules), file=sys.stderr))\n"
             "sys.argv = ['snakemake', '--cores', '2']\n"
             "runpy.run_module('snakemake', run_name='__main__', alter_sys=True)\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=workdir, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (workdir / "results" / "summary.json").exists()
    assert "IMPORTED []" in result.stderr, result.stderr[-2000:]
