"""Fixes to Snakemake's start and exit that cost an analyst time on every run (README, Benchmarks).

Written by hand because no setting does them. The two that touch Snakemake are safe no-ops when its
internals change (each checks that what it fixes is there, and leaves Snakemake alone otherwise);
all are tested against the Snakemake pinned in requirements.txt (tests/test_snakemake_hooks.py).

- `params_check_without_pandas`: to tell whether a rule's `params` changed, Snakemake serialises
  them, and its serialiser imports pandas (0.6 s) in case a parameter is a DataFrame. A value cannot
  be a pandas object before pandas has been imported, so until then the check uses Snakemake's own
  builtin serialiser, which gives the same text for every other value. A no-op rerun never imports
  pandas at all: 2.4 s -> 1.8 s.
- `release_rate_limit_timers`: while jobs run, Snakemake's scheduler re-checks its job rate limit
  with a `threading.Timer` of one second. Python waits for such a timer before it exits, so every run
  that ran a job ended up to a second after its last job. Called from `onsuccess`/`onerror`, when the
  scheduler has finished and the timer can only wake a loop that has ended.
- `no_garbage_collection_at_exit`: when Python exits it runs its cycle collector over everything
  still alive (pandas, SciPy, lifelines, matplotlib and the data: about 1 s after a default run).
  At exit that work frees nothing the operating system would not free anyway, so the objects are
  moved out of the collector's reach (`gc.freeze`) once every other exit handler has been queued.
  Everything else about exiting is unchanged: exit handlers run, files are flushed and closed.
- `checksum_each_file_once`: when a job ends, Snakemake records the checksum of every input file in
  the metadata of every output file, and computes it again for each output (snakemake.persistence,
  `Persistence.finished`): a figure rule with 48 outputs and 40 inputs hashed 1,900 files. In a
  default run 4,081 checksums were asked for and 94 files differ: about 0.6 s of CPU in Snakemake's
  own process, between a job's end and the start of the jobs waiting for it. A checksum is now
  computed once per version of a file (its path, inode, size and modification and change times);
  the checksums recorded are the same.
- `runs_locally` / `planned_rules`: whether this run executes its jobs in this process (not on a
  cluster), and the rules of the jobs it will run, read from Snakemake's DAG at `onstart`: the step
  server (ino_study.step_server) is started only where it is used, and imports ahead only what those
  jobs need. `planned_rules` is None when it cannot tell (the server then imports everything).
- `start_server_early`: a run from the first step (a fresh clone, results/ deleted) starts the step
  server while the Snakefile is read, not at `onstart`, so that its imports overlap Snakemake's
  reading of the rules and its DAG.
- `start_run` / `end_run`: what the Snakefile's `onstart` and `onsuccess`/`onerror` do, in one
  place: the run lock record (ino_study.runlock), the step server and the timers above.
"""

from __future__ import annotations

import atexit
import gc
import inspect
import os
import stat
import sys
import threading
from typing import Any, Callable, Iterable

_PATCHED = "_ino_study_patched"


def _install(owner: type, name: str, replacement: Callable[..., Any], original: Callable[..., Any]) -> bool:
    """Put `replacement` in place of `original` as `owner.<name>`, with its docstring and our marker
    (a second call of the hook finds the marker and leaves it in place); True."""
    setattr(replacement, _PATCHED, True)
    replacement.__doc__ = original.__doc__
    setattr(owner, name, replacement)
    return True


def params_check_without_pandas() -> bool:
    """Let Snakemake check `params` without importing pandas first; True if the fix is in place."""
    import snakemake.persistence

    # `Persistence` in the pinned Snakemake 9.16, `PersistenceBase` from 9.17 on
    module = snakemake.persistence
    persistence = getattr(module, "Persistence", None) or getattr(module, "PersistenceBase", None)
    if persistence is None:  # another Snakemake layout: leave it alone
        return False
    original: Callable[[Any, Any], Any] | None = getattr(persistence, "_serialize_param_pandas", None)
    if original is None or not hasattr(persistence, "_serialize_param_builtin"):
        return False
    if getattr(original, _PATCHED, False):
        return True

    def serialize(self: Any, value: Any) -> Any:
        if "pandas" not in sys.modules:  # so `value` is no DataFrame, Series or Index
            return self._serialize_param_builtin(value)
        return original(self, value)

    return _install(persistence, "_serialize_param_pandas", serialize, original)


def is_rate_limit_timer(thread: threading.Thread) -> bool:
    """A pending timer of Snakemake's job scheduler (`JobScheduler._schedule_reevalutation`)."""
    function = getattr(thread, "function", None)
    return isinstance(thread, threading.Timer) and "_schedule_reevalutation" in getattr(function, "__qualname__", "")


def release_rate_limit_timers() -> int:
    """Cancel the scheduler's pending re-evaluation timers; returns how many were cancelled."""
    timers = [thread for thread in threading.enumerate() if is_rate_limit_timer(thread)]
    for timer in timers:
        timer.cancel()  # type: ignore[attr-defined]
    return len(timers)


def no_garbage_collection_at_exit() -> None:
    """At interpreter exit, skip the final cycle collection over the whole heap (`gc.freeze`)."""
    atexit.register(gc.freeze)


_CHECKSUMS: dict[tuple[Any, ...], str | None] = {}


def file_version(path: str) -> tuple[Any, ...] | None:
    """What identifies one version of a regular file's content: its path, device and inode, size, and
    modification and change times in nanoseconds (None for anything else). The change time moves at
    every write and cannot be set back by a program, unlike the modification time."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return (os.path.abspath(path), status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns,
            status.st_ctime_ns)


def checksum_each_file_once() -> bool:
    """Let Snakemake hash each version of a local file once per run; True if the fix is in place."""
    try:
        from snakemake.io import _IOFile
    except ImportError:  # another Snakemake layout: leave it alone
        return False
    original: Callable[..., Any] | None = getattr(_IOFile, "checksum", None)
    if original is None or not inspect.iscoroutinefunction(original):
        return False
    if getattr(original, _PATCHED, False):
        return True
    parameters = inspect.signature(original).parameters
    if list(parameters) != ["self", "threshold", "force", "algorithm"]:
        return False
    # what Snakemake hashes with when no algorithm is asked for (hashlib.sha256 in the pinned 9.16;
    # None from 9.17 on)
    default_algorithm = parameters["algorithm"].default

    async def checksum(self: Any, threshold: int | None = None, force: bool = False,
                       algorithm: Any = default_algorithm) -> str | None:
        version = None
        if threshold is not None and not force and algorithm is default_algorithm and not self.is_storage:
            version = file_version(self.file)
        if version is None:  # a forced or storage checksum, a missing file, a pipe: as before
            return await original(self, threshold, force, algorithm)
        key = (*version, threshold)
        if key not in _CHECKSUMS:
            _CHECKSUMS[key] = await original(self, threshold, force, algorithm)
        return _CHECKSUMS[key]

    return _install(_IOFile, "checksum", checksum, original)


def runs_locally(workflow: Any) -> bool:
    """True when this run executes its jobs in this process (not on a cluster, where each job runs
    its own Snakemake on a node); False if it cannot tell."""
    try:
        return bool(workflow.local_exec)
    except Exception:  # another Snakemake's internals: run the steps in this process
        return False


def planned_rules(workflow: Any) -> set[str] | None:
    """The rules whose jobs this run will execute (from Snakemake's DAG at `onstart`); None if it
    cannot tell, which only means the step server imports everything ahead."""
    try:
        return {job.rule.name for job in workflow.dag.needrun_jobs()}
    except Exception:  # another Snakemake's internals
        return None


def start_server_early(workflow: Any, first_outputs: Iterable[str]) -> bool:
    """While the Snakefile is read: start the step server for a run from the first step (one of
    `first_outputs`, the outputs of the step every other depends on, is missing: the run will start
    there) in Snakemake's main process, unless it is a dry run; True if started. It imports while
    Snakemake reads the rules and builds the DAG, about 0.3 s before `onstart` would, and `start_run`
    tells it what the run's jobs need. Other runs start it at `onstart`, when the DAG is known."""
    from ino_study import step_server

    try:
        main, dry_run = bool(workflow.is_main_process), bool(workflow.output_settings.dryrun)
    except Exception:  # another Snakemake's internals: start it at `onstart` as usual
        return False
    if not main or dry_run or all(os.path.exists(path) for path in first_outputs):
        return False
    return step_server.start(plan_later=True)


def start_run(workflow: Any) -> None:
    """The Snakefile's `onstart`: record the run (runlock) and, for a local run, start the step server
    or tell the one started early (`start_server_early`) what the run's jobs need; a run on a cluster
    stops it."""
    from ino_study import runlock, step_server

    runlock.record_run()
    if runs_locally(workflow):
        rules = planned_rules(workflow)
        if not step_server.plan(rules):
            step_server.start(rules)
    else:
        step_server.abandon()


def end_run() -> None:
    """The Snakefile's `onsuccess` and `onerror`: stop the step server (it waits for its steps), forget
    the run and release the scheduler's timers."""
    from ino_study import runlock, step_server

    step_server.stop()
    runlock.forget_run()
    release_rate_limit_timers()
