"""The step server (ino_study.step_server): steps run in processes forked from one that has imported
the libraries; answers, errors, dead children, and no process outliving its run."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import step_server_helpers as helpers
from ino_study import step_server

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def server(monkeypatch):
    """A step server that can import this folder's helpers; stopped afterwards."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))
    assert step_server.start()
    yield step_server._STARTED["process"]
    step_server.stop()


def gone(pid: int) -> bool:
    """True if process `pid` has exited (a zombie waiting for a parent that does not reap counts)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" in status


def test_a_step_runs_in_a_child_of_the_server_with_the_libraries_it_needs(server, tmp_path):
    out = tmp_path / "where.json"
    step_server.call(helpers.report, str(out), needs=step_server.STATISTICS)
    record = json.loads(out.read_text())
    assert record["pid"] not in (os.getpid(), server.pid)
    assert record["ppid"] == server.pid and record["in_child"] is True
    assert {"pandas", "lifelines"} <= set(record["loaded"])  # imported by the server before the fork
    # the gc module's recipe for fork without exec: what the server imported is frozen (the child's
    # collections skip it), and the child collects its own garbage
    assert record["gc_enabled"] is True and record["frozen_objects"] > 100_000


def test_without_a_server_a_served_step_runs_in_the_calling_process(tmp_path):
    out = tmp_path / "where.json"
    assert not step_server.running()
    step_server.served(helpers.report)(str(out))
    record = json.loads(out.read_text())
    assert record["pid"] == os.getpid() and record["in_child"] is False


def test_a_failing_step_fails_its_job_with_the_childs_traceback(server):
    with pytest.raises(RuntimeError, match=r"(?s)fail failed in the step server.*ValueError: bad date in row 7"):
        step_server.call(helpers.fail, "bad date in row 7", needs=step_server.RECORDS)


def test_a_step_whose_process_dies_fails_instead_of_hanging(server):
    with pytest.raises(RuntimeError, match="ended without an answer"):
        step_server.call(helpers.die, needs=step_server.RECORDS)
    # the server goes on serving
    step_server.call(helpers.report, os.devnull, needs=step_server.RECORDS)


def test_stop_waits_for_the_server_and_leaves_no_process(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    step_server.start()
    process = step_server._STARTED["process"]
    step_server.call(helpers.report, str(tmp_path / "x.json"), needs=step_server.RECORDS)
    child = json.loads((tmp_path / "x.json").read_text())["pid"]
    step_server.stop()
    assert process.returncode == 0 and not step_server.running()
    assert gone(child) and gone(process.pid)
    assert not step_server._STARTED


def test_a_server_started_before_the_plan_imports_the_base_then_what_the_plan_needs(tmp_path, monkeypatch):
    """A run from scratch starts the server before its jobs are known (`start(plan_later=True)`): it
    imports BASE and what waiting steps need, and once told the run's rules (`plan`), what those need,
    and nothing else (here: the figures, not lifelines)."""
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    assert step_server.start(plan_later=True)
    try:
        out = tmp_path / "where.json"
        step_server.call(helpers.report, str(out), needs=step_server.RECORDS)
        assert json.loads(out.read_text())["loaded"] == ["pandas"]
        assert step_server.plan({"cohort_figures", "all"})
        deadline = time.monotonic() + 120
        while "matplotlib.figure" not in json.loads(out.read_text())["loaded"]:
            assert time.monotonic() < deadline, "the planned modules were never imported"
            time.sleep(0.1)
            step_server.call(helpers.report, str(out), needs=step_server.RECORDS)
        assert "lifelines" not in json.loads(out.read_text())["loaded"]
    finally:
        step_server.stop()


def test_a_plan_from_another_working_directory_stops_the_server(tmp_path, monkeypatch):
    """Steps write relative to the server's working directory: a run elsewhere gets a server of its own."""
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    step_server.start(plan_later=True)
    process = step_server._STARTED["process"]
    monkeypatch.chdir(tmp_path)
    assert step_server.plan(None) is False
    assert not step_server._STARTED and gone(process.pid)


def test_abandon_kills_a_server_no_step_was_sent_to_and_removes_its_socket(tmp_path, monkeypatch):
    """A dry run, a lint or a cluster run does not wait for imports it will not use; a server that ran
    steps is stopped as usual, after its children."""
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    step_server.start(plan_later=True)
    process, folder = step_server._STARTED["process"], Path(step_server._STARTED["folder"])
    step_server.abandon()
    assert process.returncode == -signal.SIGKILL and not folder.exists() and not step_server._STARTED
    step_server.start(plan_later=True)
    process = step_server._STARTED["process"]
    step_server.call(helpers.report, str(tmp_path / "x.json"), needs=step_server.RECORDS)
    step_server.abandon()
    assert process.returncode == 0 and not step_server._STARTED


def test_a_server_left_running_is_stopped_when_its_process_exits(tmp_path):
    """What Snakemake does after reading the Snakefile without running (a lint, a listing, an error):
    it exits, and the server started early goes with it, socket folder included."""
    script = (
        "import sys; sys.path[:0] = [{src!r}]\n"
        "from ino_study import step_server\n"
        "step_server.start(plan_later=True)\n"
        "print(step_server._STARTED['process'].pid, step_server._STARTED['folder'], flush=True)\n"
    ).format(src=str(step_server.SOURCE_ROOT))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    pid, folder = result.stdout.split()
    assert gone(int(pid)) and not Path(folder).exists()


def test_folders_of_servers_that_are_gone_are_removed_at_the_next_start(tmp_path, monkeypatch):
    """kill -9 of a run's whole process group kills its server too, and nobody removes its folder:
    the next start does, and leaves alone a live server's folder and one it cannot judge."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folders = {}
    for name, pid in (("dead", str(dead.pid)), ("alive", str(os.getpid())), ("starting", None)):
        folders[name] = tmp_path / f"{step_server.FOLDER_PREFIX}{name}"
        folders[name].mkdir()
        (folders[name] / "server.sock").touch()
        if pid is not None:
            (folders[name] / "server.pid").write_text(pid)
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    step_server.start(plan_later=True)
    try:
        ours = Path(step_server._STARTED["folder"])
        assert ours.parent == tmp_path and (ours / "server.pid").read_text() == str(step_server._STARTED["process"].pid)
        assert not folders["dead"].exists() and folders["alive"].exists() and folders["starting"].exists()
    finally:
        step_server.abandon()
    assert not ours.exists()


def test_snakemake_file_lists_reach_the_child_as_plain_picklable_lists():
    """A rule's input/output (Snakemake's Namedlist of _IOFile) arrives by position and by name."""
    from snakemake.io import InputFiles

    files = InputFiles(fromdict={"adsl": "results/adam/adsl.parquet", "scenarios": ["a.json", "b.json"]})
    copy = pickle.loads(pickle.dumps(step_server.plain((files, {"log": files.adsl}))))
    paths, extra = copy
    assert paths[0] == paths.adsl == "results/adam/adsl.parquet" and type(paths.adsl) is str
    assert paths.scenarios == ["a.json", "b.json"] and dict(paths.items())["adsl"] == paths.adsl
    assert type(extra["log"]) is str


def test_named_paths_and_positions_are_what_the_child_sees(server, tmp_path):
    from snakemake.io import InputFiles

    out = tmp_path / "where.json"
    step_server.call(helpers.report, str(out), InputFiles(fromdict={"named": "x.csv"}), needs=step_server.RECORDS)
    assert json.loads(out.read_text())["names"] == {"first": "x.csv", "named": "x.csv", "type": "str"}


def test_when_snakemake_is_killed_the_server_stops_its_steps_and_exits(tmp_path):
    """kill -9 of the process that started the server: the step it was running is killed (its job is
    incomplete and the next run redoes it) and the server exits, within a few seconds."""
    script = (
        "import sys; sys.path[:0] = [{src!r}, {tests!r}]\n"
        "from ino_study import step_server; import step_server_helpers as h\n"
        "step_server.start(); print(step_server._STARTED['process'].pid, step_server._STARTED['folder'], flush=True)\n"
        "step_server.call(h.sleep_after_writing_pid, {pid!r}, 120, needs=step_server.RECORDS)\n"
    ).format(src=str(step_server.SOURCE_ROOT), tests=str(TESTS), pid=str(tmp_path / "child.pid"))
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    server_pid, folder = parent.stdout.readline().split()
    server_pid = int(server_pid)
    deadline = time.monotonic() + 60
    while not (tmp_path / "child.pid").exists() or not (tmp_path / "child.pid").read_text():
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.05)
    child_pid = int((tmp_path / "child.pid").read_text())
    assert not gone(child_pid) and not gone(server_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while not (gone(child_pid) and gone(server_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(child_pid) and gone(server_pid)
    assert not Path(folder).exists()  # the server removes its socket: no `stop` will


@pytest.mark.parametrize("needs, wanted, not_yet", [
    (step_server.FIGURES, "matplotlib.figure", "lifelines"),  # a rerun of the figures alone
    (step_server.RECORDS, "pandas", "lifelines"),  # the first step of a cold run
])
def test_a_waiting_step_has_its_modules_imported_first(server, tmp_path, needs, wanted, not_yet):
    """A step sent as the server starts is forked once the modules it needs are imported, without
    waiting for those it does not use."""
    out = tmp_path / "where.json"
    step_server.call(helpers.report, str(out), needs=needs)
    loaded = json.loads(out.read_text())["loaded"]
    assert wanted in loaded and not_yet not in loaded


def test_steps_that_read_parquet_find_the_reader_imported(server, tmp_path):
    """Reading the first Parquet file imports 16 more pyarrow modules (its dataset and conversion
    layers): the server does that once, after the endpoints modules, not every step for itself; the
    records step, which reads none, is forked before it."""
    out = tmp_path / "where.json"
    step_server.call(helpers.report, str(out), needs=step_server.ENDPOINTS)
    assert "pyarrow.dataset" in json.loads(out.read_text())["loaded"]


def test_a_rerun_of_the_figures_alone_finds_the_parquet_reader_imported_too(tmp_path, monkeypatch):
    """A server whose plan is the figures alone imports no endpoints modules: the Parquet warm-up
    comes with the drawing one."""
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    assert step_server.start({"figures"})
    try:
        out = tmp_path / "where.json"
        step_server.call(helpers.report, str(out), needs=step_server.FIGURES)
        loaded = json.loads(out.read_text())["loaded"]
        assert "pyarrow.dataset" in loaded and "lifelines" not in loaded
    finally:
        step_server.stop()


def test_a_server_that_fails_is_reported_and_the_steps_run_here(tmp_path, monkeypatch, capsys):
    """If the server cannot start (here: a library it imports is broken), steps still run, in the
    calling process, and stop() says why on stderr instead of hiding it."""
    broken = tmp_path / "broken"
    (broken / "docx").mkdir(parents=True)
    (broken / "docx" / "__init__.py").write_text("raise ImportError('docx is broken here')\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(broken), str(TESTS)]))
    step_server.start()
    process = step_server._STARTED["process"]
    process.wait(timeout=120)
    out = tmp_path / "where.json"
    step_server.served(helpers.report, needs=step_server.RECORDS)(str(out))
    assert json.loads(out.read_text())["pid"] == os.getpid()
    step_server.stop()
    assert "docx is broken here" in capsys.readouterr().err


def test_every_rule_of_the_workflow_has_its_needs_listed(tmp_path):
    """RULE_NEEDS names every rule (but `all`), so that a run imports ahead what its jobs use; and a
    rule's listed needs match what its step declares (`served(needs=...)`)."""
    import re

    from conftest import copy_project, run_snakemake
    from ino_study import steps
    from ino_study.records import provenance, step as records_step

    text = run_snakemake(copy_project(tmp_path / "project"), "--dry-run", "--forceall").stdout
    rules = set(re.findall(r"^(?:local)?rule (\w+):", text, re.M)) - {"all"}
    assert rules == set(step_server.RULE_NEEDS)
    declared = {
        "clean_records": records_step.clean_main_records, "scenario_clean_records": records_step.clean_scenario_records,
        "provenance": provenance.write_provenance, "derive_endpoints": steps.derive_endpoints,
        "compare_scenarios": steps.compare_scenarios, "survival_statistics": steps.survival_statistics,
        "transplant_and_competing_risks": steps.transplant_and_competing_risks, "summarise": steps.summarise,
        "scenario_analysis": steps.analyse_scenario, "cohort_figures": steps.make_figures,
        "figures": steps.make_figures, "tables": steps.make_tables,
    }
    assert {rule: declared[rule].needs for rule in rules} == {rule: step_server.RULE_NEEDS[rule] for rule in rules}


def test_the_server_imports_ahead_only_what_the_runs_rules_need():
    figures_only = step_server.modules_for({"cohort_figures", "figures", "all"})
    assert "matplotlib.figure" in figures_only and "lifelines" not in figures_only and "docx" not in figures_only
    assert step_server.modules_for({"clean_records", "figures"})[0] == "numpy"  # PRELOAD order
    assert step_server.modules_for({"a_rule_not_listed"}) == step_server.MODULES
    assert step_server.modules_for(None) == step_server.MODULES
