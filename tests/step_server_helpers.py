"""Module-level functions for tests/test_step_server.py to send to the step server (a child imports
them by name, so they cannot live inside a test)."""

from __future__ import annotations

import gc
import json
import os
import sys
import time


def report(path: str, paths=None) -> None:
    """Write where this ran: pid, parent pid, whether in a server child, which libraries are loaded."""
    from ino_study import step_server

    record = {
        "pid": os.getpid(), "ppid": os.getppid(), "in_child": step_server.in_child(),
        "loaded": sorted(name for name in ("pandas", "pyarrow.dataset", "lifelines", "matplotlib.figure") if name in sys.modules),
        "names": None if paths is None else {"first": paths[0], "named": paths.named, "type": type(paths.named).__name__},
        "gc_enabled": gc.isenabled(), "frozen_objects": gc.get_freeze_count(),
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle)


def fail(message: str) -> None:
    raise ValueError(message)


def die() -> None:
    """End the process without answering, as a step killed by the kernel would."""
    os._exit(3)


def sleep_after_writing_pid(path: str, seconds: float) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(str(os.getpid()))
    time.sleep(seconds)
