"""Figure worker processes: each draws its share of a figure rule's figures (`ino_study.figures.run`).

A job names the input and output paths, the figures settings, the figures to draw and the staging
folder for partial files; the worker's log lines are copied into the step's log. Separate processes
because matplotlib draws under the GIL: two processes use two cores.

Two ways to start one:
- forked from the figure server (`start_figure_server`, called by the Snakefile when a local run
  starts): a process that imports pandas, matplotlib and the drawing code once, while the records
  are being read, and forks a ready worker for each share (multiprocessing's fork server). Saves
  about 1.3 s of imports per worker;
- otherwise (tests, a job on a cluster node): a new interpreter,
  `python -m ino_study.figures.worker < job.json`.
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

SOURCE_ROOT = Path(__file__).resolve().parents[2]  # workflow/src, so that the worker finds ino_study


@dataclass
class Worker:
    """A running worker: its process, the figures it draws and the file its log lines go to."""

    process: Any  # subprocess.Popen, or a multiprocessing Process forked by the figure server
    names: list[str]
    log: IO[str]

    def wait(self) -> int:
        """Wait for the process to end; its exit code."""
        if isinstance(self.process, subprocess.Popen):
            return self.process.wait()
        self.process.join()
        return self.process.exitcode


#: The multiprocessing context of the running figure server (`start_figure_server`), if any.
_FIGURE_SERVER: Any = None


def start_figure_server() -> bool:
    """Start the figure server now: it imports the drawing code (pandas, matplotlib) in the
    background, and later forks a worker for each share of figures. False where the platform has no
    fork server (Windows); workers are then new interpreters."""
    global _FIGURE_SERVER
    import multiprocessing
    from multiprocessing import forkserver

    if _FIGURE_SERVER is not None:
        return True
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    context = multiprocessing.get_context("forkserver")
    # "__main__": the snakemake script, so that each forked worker finds it already imported
    context.set_forkserver_preload(["__main__", "ino_study.figures.step"])
    forkserver.ensure_running()
    _FIGURE_SERVER = context
    return True


def stop_figure_server() -> None:
    """Stop the figure server and wait for it, so that its CPU time and memory (and its workers')
    count as this process's children (what `time` and the benchmarks measure)."""
    global _FIGURE_SERVER
    from multiprocessing import forkserver

    if _FIGURE_SERVER is None:
        return
    _FIGURE_SERVER = None
    stop = getattr(forkserver._forkserver, "_stop", None)  # CPython's own way to stop it (its tests)
    if stop is not None:
        stop()


def _paths(named: Any, keys: Sequence[str]) -> dict[str, str]:
    """The paths of `keys` that `named` (a rule's input or output) has."""
    return {key: str(getattr(named, key)) for key in keys if hasattr(named, key)}


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
    # log lines to a file, not a pipe: a worker that writes many warnings must not block on a full pipe
    log = tempfile.NamedTemporaryFile("w+", encoding="utf-8", prefix="figures-worker-", suffix=".log")
    if _FIGURE_SERVER is not None:
        process = _FIGURE_SERVER.Process(target=draw_share, args=(job, log.name), name="figures-worker")
        process.start()
        return Worker(process, list(names), log)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, "-m", "ino_study.figures.worker"], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=log, text=True, env=env)
    assert process.stdin is not None
    process.stdin.write(json.dumps(job, default=str))
    process.stdin.close()
    return Worker(process, list(names), log)


def wait_for_worker(worker: Worker, logger: logging.Logger) -> str:
    """Wait for a worker, copy its log lines into `logger`; '' if it succeeded, else what went wrong."""
    code = worker.wait()
    worker.log.seek(0)
    stderr = worker.log.read()
    worker.log.close()
    for line in stderr.splitlines():
        logger.info("worker %d: %s", worker.process.pid, line)
    if code != 0:
        return f"drawing {', '.join(worker.names)} (exit code {code}):\n{stderr[-3000:]}"
    return ""


def draw(job: Mapping[str, Any]) -> None:
    """Draw the job's figures (in a worker process; log lines go to the root logger)."""
    from ino_study.figures.step import read_and_draw
    from ino_study.outputs import staging

    staging.PARTIAL_DIR = None if job["partial_dir"] is None else Path(job["partial_dir"])
    read_and_draw(SimpleNamespace(**job["adam"]), SimpleNamespace(**job["stats"]), job["config"],
                  SimpleNamespace(**job["output"]), logging.getLogger("figures.worker"), only=job["names"])
    logging.getLogger("figures.worker").info("drew %s", ", ".join(job["names"]))


def draw_share(job: Mapping[str, Any], log_path: str) -> None:
    """A worker forked by the figure server: draw the job, log lines (and a failure) to `log_path`."""
    handler = logging.FileHandler(log_path, encoding="utf-8")
    logging.basicConfig(handlers=[handler], level=logging.INFO, format="%(message)s", force=True)
    logging.captureWarnings(True)
    try:
        draw(job)
    except BaseException:
        logging.getLogger("figures.worker").exception("failed")
        raise SystemExit(1) from None
    finally:
        handler.flush()


def main() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    draw(json.load(sys.stdin))


if __name__ == "__main__":
    main()
    # Every file is written and in place: skip the interpreter's teardown of pandas and matplotlib
    # (about half a second that the figure step would wait for).
    logging.shutdown()
    sys.stderr.flush()
    os._exit(0)
