"""How the default profile schedules the steps, read from Snakemake's own dry run.

Every step except the figure rules runs Python in the Snakemake process (run: blocks in threads);
they carry the resource `interpreter=1`, and the default profile allows two at a time (more would
only take turns on the interpreter and add memory). The figure rules only wait for their worker
processes and must not hold it.
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


def test_default_profile_runs_at_most_two_in_process_steps_at_a_time():
    profile = yaml.safe_load((PROJECT_ROOT / "profiles" / "default" / "config.yaml").read_text())
    assert profile["resources"]["interpreter"] == 2
    assert profile["force-use-threads"] is True


def test_a_run_draws_with_the_workers_it_started_ahead_and_leaves_none_behind(default_run):
    """The default run's figure jobs (1 thread each) were drawn by two worker processes, and none of
    them, nor any idle one, outlives the run (onsuccess stops the idle ones; the others exit)."""
    pids = set()
    for rule in FIGURE_RULES:
        pids |= {int(pid) for pid in re.findall(r"worker (\d+): drew", (default_run / "logs" / f"{rule}.log").read_text())}
    assert len(pids) == 2
    alive = []
    for process in Path("/proc").iterdir():  # any worker, drawing or idle, working in this run's folder
        try:
            cmdline, cwd = (process / "cmdline").read_bytes(), (process / "cwd").resolve()
        except OSError:
            continue
        if b"ino_study.figures.worker" in cmdline and cwd == default_run.resolve():
            alive.append(process.name)
    assert not alive
