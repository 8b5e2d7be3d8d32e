"""A figures worker process: draws its share of a figure rule's figures (`ino_study.figures.run`).

    python -m ino_study.figures.worker < job.json

The job (JSON on stdin) names the input and output paths, the figures settings, the figures to draw
and the staging folder for partial files. Log lines go to stderr; the step copies them into its log.
Run as a separate process because matplotlib draws under the GIL: two processes use two cores.

A worker is started for each share of figures a step does not draw itself: in a cluster job, or
when a test calls the step; in a local run the step server's child draws them instead
(ino_study.step_server), with every import already done.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any, Mapping, Sequence


@dataclass
class Worker:
    """A running worker: its process, the figures it draws and the file its stderr goes to."""

    process: subprocess.Popen
    names: list[str]
    log: IO[str]


def _paths(named: Any, keys: Sequence[str]) -> dict[str, str]:
    """The paths of `keys` that `named` (a rule's input or output) has."""
    return {key: str(getattr(named, key)) for key in keys if hasattr(named, key)}


def _launch() -> tuple[subprocess.Popen, IO[str]]:
    """A new worker process (it imports, then waits for its job on stdin) and the file of its stderr."""
    from ino_study.step_server import child_environment

    env = child_environment()
    # stderr to a file, not a pipe: a worker that writes many warnings must not block on a full pipe
    log = tempfile.TemporaryFile("w+", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "ino_study.figures.worker"], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=log, text=True, env=env)
    return process, log


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
    process, log = _launch()
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
    from ino_study.figures.step import read_and_draw
    from ino_study.outputs import staging

    text = sys.stdin.read()
    if not text.strip():  # end of input without a job: the step that started it has gone
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
