"""Recovering from a killed run: Snakemake's directory lock survives `kill -9`.

Snakemake locks the working directory while it runs and refuses a second run (which is what we
want). But a run killed with SIGKILL or by a power cut leaves its lock behind, and the next run then
refuses too until `snakemake --unlock`. The main process records its PID and host here when it
starts; the next run removes the locks only when that process is provably gone (same host, no such
PID). A lock of a live run, or of a run on another host, is never touched.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

RUN_FILE = Path(".snakemake") / "ino_study_run.json"
LOCKS = Path(".snakemake") / "locks"


def record_run(workdir: Path = Path(".")) -> None:
    """Note this (main) Snakemake process as the lock holder."""
    path = workdir / RUN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}), encoding="utf-8")


def forget_run(workdir: Path = Path(".")) -> None:
    (workdir / RUN_FILE).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clear_stale_locks(workdir: Path = Path(".")) -> str | None:
    """Remove the locks of a killed run; returns a message saying so, or None if nothing was done."""
    run_file, locks = workdir / RUN_FILE, workdir / LOCKS
    if not run_file.exists() or not locks.is_dir() or not any(locks.iterdir()):
        return None
    try:
        run = json.loads(run_file.read_text(encoding="utf-8"))
        pid, host = int(run["pid"]), str(run["host"])
    except (ValueError, KeyError, TypeError):
        return None
    if host != socket.gethostname() or _alive(pid):
        return None
    for lock in locks.iterdir():
        lock.unlink(missing_ok=True)
    run_file.unlink(missing_ok=True)
    return f"Removed the directory lock left by an interrupted run (process {pid} no longer exists)."
