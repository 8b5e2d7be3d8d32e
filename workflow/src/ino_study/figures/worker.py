"""A figures worker process: draws its share of a figure rule's figures (`ino_study.figures.run`).

    python -m ino_study.figures.worker < job.json

The job (JSON on stdin) names the input and output paths, the figures settings, the figures to draw
and the staging folder for partial files. Log lines go to stderr; the step copies them into its log.
Run as a separate process because matplotlib draws under the GIL: two processes use two cores.

A worker imports pandas, matplotlib and the drawing code (about 1.4 s) before it reads its job, so
it can be started ahead of it: when a local run is about to draw figures, the Snakefile's `onstart`
starts as many idle workers as the figure jobs will use (`start_idle_workers`), and they import on
the core that Snakemake's start and the records step leave free; `start_worker` hands a job to an
idle worker if there is one and starts a new one otherwise. Workers no step took are stopped at the
end (`stop_idle_workers`); one whose Snakemake has gone reads end-of-file and exits. Measured on 2
cores, 9 alternating cold default runs each: 13.9 -> 12.9 s (median). Tried and dropped: idle
workers importing one at a time (a file lock) and handing jobs to the first one ready: same median.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any, Mapping, Sequence

SOURCE_ROOT = Path(__file__).resolve().parents[2]  # workflow/src, so that the worker finds ino_study


@dataclass
class Worker:
    """A running worker: its process, the figures it draws and the file its stderr goes to."""

    process: subprocess.Popen
    names: list[str]
    log: IO[str]


def _paths(named: Any, keys: Sequence[str]) -> dict[str, str]:
    """The paths of `keys` that `named` (a rule's input or output) has."""
    return {key: str(getattr(named, key)) for key in keys if hasattr(named, key)}


#: A worker process not yet given a job, and the file its stderr goes to.
_Started = tuple[subprocess.Popen, IO[str]]


def _launch() -> _Started:
    """A new worker process (it imports, then waits for its job on stdin) and the file of its stderr."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))}
    # stderr to a file, not a pipe: a worker that writes many warnings must not block on a full pipe
    log = tempfile.TemporaryFile("w+", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "ino_study.figures.worker"], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=log, text=True, env=env)
    return process, log


_IDLE: list[_Started] = []
_IDLE_LOCK = threading.Lock()  # figure steps run in threads of one process


def start_idle_workers(count: int) -> int:
    """Start `count` workers that import now and draw when `start_worker` hands them a job."""
    with _IDLE_LOCK:
        _IDLE.extend(_launch() for _ in range(max(0, count)))
        return len(_IDLE)


def _take_idle_worker() -> _Started | None:
    with _IDLE_LOCK:
        while _IDLE:
            process, log = _IDLE.pop(0)
            if process.poll() is None:
                return process, log
            log.close()  # died while idle (say, killed): the step starts a new worker instead
    return None


def stop_idle_workers() -> int:
    """Stop the workers no figure step took (they hold no job and no file); returns how many."""
    with _IDLE_LOCK:
        idle, _IDLE[:] = list(_IDLE), []
    for process, log in idle:
        process.kill()
        process.wait()
        log.close()
    return len(idle)


def start_worker(names: Sequence[str], adam: Any, stats: Any, config: Mapping[str, Any],
                 output: Any) -> Worker:
    """Start a worker drawing `names`; returns the process and the figure names (for messages)."""
    from ino_study.figures.catalogue import ADAM_INPUTS, STATS_INPUTS, figure_paths
    from ino_study.outputs import staging

    keys = figure_paths(config.get("comparisons", ()), config.get("figures", {}).get("formats", ("png",)), "")
    missing = [key for key in keys if key.rsplit("_", 1)[0] in names and not hasattr(output, key)]
    if missing:
        raise ValueError(f"figures worker: no output path for {', '.join(missing)}")
    job = {
        "names": list(names),
        "adam": _paths(adam, ADAM_INPUTS),
        "stats": _paths(stats, STATS_INPUTS),
        "config": dict(config),
        "output": _paths(output, list(keys)),
        "partial_dir": None if staging.PARTIAL_DIR is None else str(staging.PARTIAL_DIR),
    }
    process, log = _take_idle_worker() or _launch()
    assert process.stdin is not None
    try:
        process.stdin.write(json.dumps(job, default=str))
        process.stdin.close()
    except BrokenPipeError:  # the worker has died: wait_for_worker reports its exit code and stderr
        pass
    return Worker(process, list(names), log)


def wait_for_worker(worker: Worker, logger: logging.Logger) -> str:
    """Wait for a worker, copy its log lines into `logger`; '' if it succeeded, else what went wrong."""
    code = worker.process.wait()
    worker.log.seek(0)
    stderr = worker.log.read()
    worker.log.close()
    for line in stderr.splitlines():
        logger.info("worker %d: %s", worker.process.pid, line)
    if code != 0:
        return f"drawing {', '.join(worker.names)} (exit code {code}):\n{stderr[-3000:]}"
    return ""


def main() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    # imports first: a worker started ahead of its job (start_idle_workers) imports while it waits
    from ino_study.figures.step import read_and_draw
    from ino_study.outputs import staging

    text = sys.stdin.read()
    if not text.strip():  # end of input without a job: an idle worker whose run has ended
        return
    job = json.loads(text)
    staging.PARTIAL_DIR = None if job["partial_dir"] is None else Path(job["partial_dir"])
    read_and_draw(SimpleNamespace(**job["adam"]), SimpleNamespace(**job["stats"]), job["config"],
                  SimpleNamespace(**job["output"]), logging.getLogger("figures.worker"), only=job["names"])
    logging.getLogger("figures.worker").info("drew %s", ", ".join(job["names"]))


if __name__ == "__main__":
    main()
    # Every file is written and in place: skip the interpreter's teardown of pandas and matplotlib
    # (about half a second that the figure step would wait for).
    logging.shutdown()
    sys.stderr.flush()
    os._exit(0)
