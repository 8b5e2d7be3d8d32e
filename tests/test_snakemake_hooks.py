"""The two fixes to Snakemake's start and exit (workflow/src/ino_study/snakemake_hooks.py).

Each is checked twice: that what it relies on is still in the pinned Snakemake (so that an upgrade
that changes it fails here, not silently in an analyst's run), and that it does what it says. The
end-to-end checks (a no-op rerun does not import pandas; a params change still reruns) are in
tests/test_rerun.py.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from ino_study import snakemake_hooks

SOURCE = Path(__file__).resolve().parents[1] / "workflow" / "src"


def run_fresh(code: str) -> str:
    """Run `code` in a new interpreter (nothing imported yet) and return what it printed."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            env={"PYTHONPATH": str(SOURCE), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_snakemake_still_imports_pandas_in_its_params_serialiser():
    """What the fix works around: if this fails, Snakemake changed and the fix may be unneeded."""
    import snakemake.persistence

    source = inspect.getsource(snakemake.persistence)  # read from the file, patched or not
    assert "def _serialize_param_pandas(self, value: Any):\n        import pandas" in source
    assert 'self._serialize_param_pandas\n            if importlib.util.find_spec("pandas") is not None' in source


def test_params_serialised_as_before_and_pandas_not_imported():
    out = run_fresh("""
        import sys
        from types import SimpleNamespace
        from snakemake.persistence import Persistence
        from ino_study.snakemake_hooks import params_check_without_pandas

        original = Persistence._serialize_param_pandas
        assert "pandas" not in sys.modules
        assert params_check_without_pandas() and params_check_without_pandas()  # idempotent
        patched = Persistence._serialize_param_pandas
        fake = SimpleNamespace(_serialize_param_builtin=lambda v: Persistence._serialize_param_builtin(None, v))
        values = [1, 2.5, "a", None, (1, "b"), {"mrd_threshold_percent": 0.01, "cutoff": "2023-01-01"}, [0.1]]
        print([patched(fake, v) for v in values] == [repr(v) for v in values])
        print("pandas" in sys.modules)
        import pandas as pd
        frame = pd.DataFrame({"x": [1, 2]})
        print(patched(fake, frame) == original(fake, frame) == repr(pd.util.hash_pandas_object(frame).tolist()))
    """)
    assert out.split() == ["True", "False", "True"]


def test_snakemake_still_hashes_every_input_for_every_output():
    """What `checksum_each_file_once` works around: the input checksums are computed inside the loop
    over the job's outputs. If this fails, Snakemake changed and the fix may be unneeded."""
    from snakemake.io import _IOFile
    from snakemake.persistence import Persistence

    source = inspect.getsource(Persistence.finished)
    loop = source.index("for f in job.output:")
    assert source.index("await infile.checksum(self.max_checksum_file_size)") > loop
    assert list(inspect.signature(_IOFile.checksum).parameters) == ["self", "threshold", "force", "algorithm"]


def test_each_file_version_hashed_once_with_the_same_checksums(tmp_path):
    """The patched checksum equals Snakemake's own and the sha256 of the content (the digest Snakemake
    9.16 records, in hex); Snakemake's own checksum runs once per file until the content changes, and
    then once again."""
    out = run_fresh(f"""
        import asyncio, functools, hashlib, os
        from pathlib import Path
        from types import SimpleNamespace
        from snakemake.io import _IOFile
        from ino_study.snakemake_hooks import checksum_each_file_once

        snakemakes = _IOFile.checksum
        hashed = []

        @functools.wraps(snakemakes)  # the same signature and defaults, for the hook's checks
        async def counting(self, *args, **kwargs):
            hashed.append(self.file)
            return await snakemakes(self, *args, **kwargs)

        _IOFile.checksum = counting
        path = Path({str(tmp_path)!r}) / "adsl.parquet"
        path.write_bytes(b"first version")
        f = _IOFile(str(path), rule=None)
        f.rule = SimpleNamespace(workflow=SimpleNamespace(iocache=SimpleNamespace(active=False)))  # in a run
        before = asyncio.run(snakemakes(f, 10**6))
        print(before == hashlib.sha256(b"first version").hexdigest())
        assert checksum_each_file_once() and checksum_each_file_once()  # idempotent
        results = [asyncio.run(f.checksum(10**6)) for _ in range(5)]
        print(results == [before] * 5, len(hashed))
        stat = path.stat()
        path.write_bytes(b"other version")  # same size; the times are put back, the change time moves
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        after = asyncio.run(f.checksum(10**6))
        print(after == hashlib.sha256(b"other version").hexdigest(), len(hashed))
        print(asyncio.run(f.checksum(4)), len(hashed))  # over the size limit: no checksum, as before
        print(asyncio.run(f.checksum(10**6, force=True)) == after, len(hashed))  # forced: hashed as before
    """)
    assert out.split() == ["True", "True", "1", "True", "2", "None", "3", "True", "4"]


class JobScheduler:
    """Stands in for Snakemake's scheduler: the same method name makes the same kind of timer."""

    def _schedule_reevalutation(self, delay: float) -> threading.Timer:
        timer = threading.Timer(delay, lambda: None)
        timer.start()
        return timer


def test_snakemake_still_reevaluates_with_a_timer():
    from snakemake.scheduling.job_scheduler import JobScheduler as Real

    assert "threading.Timer(" in inspect.getsource(Real._schedule_reevalutation)


def test_pending_scheduler_timers_are_released_and_others_left_alone():
    scheduler_timer = JobScheduler()._schedule_reevalutation(60)
    other = threading.Timer(60, lambda: None)
    other.start()
    try:
        assert snakemake_hooks.is_rate_limit_timer(scheduler_timer)
        assert not snakemake_hooks.is_rate_limit_timer(other)
        assert snakemake_hooks.release_rate_limit_timers() == 1
        scheduler_timer.join(timeout=5)
        assert not scheduler_timer.is_alive()
        assert other.is_alive()
    finally:
        other.cancel()
        scheduler_timer.cancel()


def test_exit_without_final_collection_still_runs_exit_handlers_and_flushes(tmp_path):
    """After no_garbage_collection_at_exit the process still runs the exit handlers registered
    before it, flushes what it wrote, and keeps its exit code."""
    marker = tmp_path / "handler.txt"
    code = f"""
        import atexit, logging, sys
        from pathlib import Path
        atexit.register(lambda: Path({str(marker)!r}).write_text("ran"))
        from ino_study.snakemake_hooks import no_garbage_collection_at_exit
        no_garbage_collection_at_exit()
        handle = open({str(tmp_path / "unflushed.txt")!r}, "w")
        handle.write("x" * 10)  # never closed by hand
        cycle = []; cycle.append(cycle)
        print("done")
        sys.exit(3)
    """
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            env={"PYTHONPATH": str(SOURCE), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 3, result.stderr
    assert result.stdout == "done\n"
    assert marker.read_text() == "ran"
    assert (tmp_path / "unflushed.txt").read_text() == "x" * 10


def test_runs_locally_tells_a_local_run_from_a_cluster_run():
    """What the Snakefile's onstart asks before starting the step server."""
    from types import SimpleNamespace

    from ino_study.snakemake_hooks import runs_locally

    assert runs_locally(SimpleNamespace(local_exec=True)) is True
    assert runs_locally(SimpleNamespace(local_exec=False)) is False
    assert runs_locally(SimpleNamespace()) is False  # unknown internals: the steps run in Snakemake's process


def test_runs_locally_reads_the_pinned_snakemakes_api():
    """The attribute runs_locally reads exists in the pinned Snakemake (else no run would use the server)."""
    import snakemake.api  # noqa: F401  (first, as the snakemake command does: the modules import each other)
    from snakemake.workflow import Workflow

    assert isinstance(Workflow.local_exec, property)


def test_planned_rules_reads_the_rules_of_the_jobs_to_run():
    from types import SimpleNamespace

    from ino_study.snakemake_hooks import planned_rules

    def job(rule: str) -> SimpleNamespace:
        return SimpleNamespace(rule=SimpleNamespace(name=rule))

    local = SimpleNamespace(dag=SimpleNamespace(needrun_jobs=lambda: iter([job("figures"), job("figures"), job("all")])))
    assert planned_rules(local) == {"figures", "all"}
    assert planned_rules(SimpleNamespace()) is None  # unknown internals: the server imports everything


def test_planned_rules_reads_the_pinned_snakemakes_dag_api():
    """The attributes planned_rules reads exist in the pinned Snakemake (else it silently returns None)."""
    import snakemake.api  # noqa: F401  (first, as the snakemake command does: the modules import each other)
    from snakemake.dag import DAG

    assert callable(DAG.needrun_jobs)


def test_the_server_starts_early_only_for_a_run_from_the_first_step(tmp_path, monkeypatch):
    """While the Snakefile is read: started (to be told its plan later) in Snakemake's main process of
    a run that lacks one of the first step's outputs; not for a dry run, a cluster job's Snakemake, a
    run that has them all (it starts at onstart), or a Snakemake whose internals are not the ones read
    here."""
    from types import SimpleNamespace

    from ino_study import step_server
    from ino_study.snakemake_hooks import start_server_early

    started = []
    monkeypatch.setattr(step_server, "start", lambda rules=None, plan_later=False: started.append(plan_later) or True)

    def workflow(main: bool = True, dry_run: bool = False) -> SimpleNamespace:
        return SimpleNamespace(is_main_process=main, output_settings=SimpleNamespace(dryrun=dry_run))

    first = [tmp_path / "patients.parquet", tmp_path / "findings.csv"]
    first[0].write_text("")  # one of two there: the first step still runs
    assert start_server_early(workflow(), map(str, first)) is True and started == [True]
    assert start_server_early(workflow(dry_run=True), map(str, first)) is False
    assert start_server_early(workflow(main=False), map(str, first)) is False
    assert start_server_early(SimpleNamespace(), map(str, first)) is False
    first[1].write_text("")
    assert start_server_early(workflow(), map(str, first)) is False
    assert started == [True]


def test_the_early_start_reads_what_the_pinned_snakemake_sets_before_the_snakefile(tmp_path, monkeypatch):
    """Snakemake's API reads the Snakefile (and so calls start_server_early) with the dry-run flag
    already set: parsing a fresh copy of the project for a dry run starts no server, for a run it does."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import OutputSettings, ResourceSettings

    from conftest import copy_project
    from ino_study import step_server

    project = copy_project(tmp_path / "project")
    monkeypatch.chdir(project)
    started = []
    monkeypatch.setattr(step_server, "start", lambda rules=None, plan_later=False: started.append(plan_later) or True)
    for dry_run in (True, False):
        with SnakemakeApi(OutputSettings(dryrun=dry_run)) as api:
            api.workflow(resource_settings=ResourceSettings(cores=1), snakefile=project / "Snakefile",
                         workdir=project).dag()
    assert started == [True]  # the run, not the dry run
