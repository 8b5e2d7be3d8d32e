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
- `planned_threads`: how many threads the jobs of some rules that this run will execute on this
  machine ask for (read from Snakemake's DAG at `onstart`), so that the figure worker processes can
  be started ahead of their jobs (ino_study.figures.worker.start_idle_workers). 0 when it cannot
  tell, which only means the workers start with their jobs, as without it.
- `start_run` / `end_run`: what the Snakefile's `onstart` and `onsuccess`/`onerror` do, in one
  place: the run lock record (ino_study.runlock), the figure workers and the timers above.
"""

from __future__ import annotations

import atexit
import gc
import sys
import threading
from typing import Any, Callable, Iterable

_PATCHED = "_ino_study_lazy_pandas"


def params_check_without_pandas() -> bool:
    """Let Snakemake check `params` without importing pandas first; True if the fix is in place."""
    try:
        from snakemake.persistence import PersistenceBase
    except ImportError:  # another Snakemake layout: leave it alone
        return False
    original: Callable[[Any, Any], Any] | None = getattr(PersistenceBase, "_serialize_param_pandas", None)
    if original is None or not hasattr(PersistenceBase, "_serialize_param_builtin"):
        return False
    if getattr(original, _PATCHED, False):
        return True

    def serialize(self: Any, value: Any) -> Any:
        if "pandas" not in sys.modules:  # so `value` is no DataFrame, Series or Index
            return self._serialize_param_builtin(value)
        return original(self, value)

    setattr(serialize, _PATCHED, True)
    serialize.__doc__ = original.__doc__
    PersistenceBase._serialize_param_pandas = serialize  # type: ignore[method-assign]
    return True


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


def planned_threads(workflow: Any, rules: Iterable[str]) -> int:
    """Threads asked for by this run's jobs of `rules` that run on this machine; 0 if unknown."""
    wanted = set(rules)
    try:
        if not workflow.local_exec:  # a cluster runs each job in its own Snakemake on a node
            return 0
        return sum(int(job.threads) for job in workflow.dag.needrun_jobs() if job.rule.name in wanted)
    except Exception:  # another Snakemake's internals: start nothing ahead
        return 0


def start_run(workflow: Any, figure_rules: Iterable[str]) -> None:
    """The Snakefile's `onstart`: record the run (runlock) and start the figure workers it will use."""
    from ino_study import runlock
    from ino_study.figures import worker as figure_workers

    runlock.record_run()
    figure_workers.start_idle_workers(planned_threads(workflow, figure_rules))


def end_run() -> None:
    """The Snakefile's `onsuccess` and `onerror`: stop the idle figure workers, forget the run and
    release the scheduler's timers."""
    from ino_study import runlock
    from ino_study.figures import worker as figure_workers

    figure_workers.stop_idle_workers()
    runlock.forget_run()
    release_rate_limit_timers()
