"""Running one step of the pipeline as a job: its log file, and errors a person can act on.

Every rule's script (workflow/scripts/<rule>.py) calls `run_step` with one function of the package
and the rule's files and settings. The job is a process of its own, so logging is set up for the
whole process: records of the package and Python's warnings go to the rule's log file
(`snakemake.log[0]`), never to the console, and never with patient identifiers.

An error the user can fix (a data-contract error, an unreadable value, an unwritable results folder,
a missing pseudonymisation key) ends the job with its message alone in the log: Snakemake prints
that log (`show-failed-logs` in profiles/default), so the console shows the file, sheet, row,
column, value, patient and rule without a Python traceback. Any other error is a bug: its full
traceback goes to the log.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

LOGGER = logging.getLogger("ino_study")
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def expected_errors() -> tuple[type[BaseException], ...]:
    """The errors whose message is all the user needs (imported here: each lives with its stage)."""
    from ino_study.outputs.io import OutputWriteError
    from ino_study.records.parse import ParseError
    from ino_study.records.pseudonym import PseudonymKeyError
    from ino_study.records.quality import DataContractError

    return DataContractError, ParseError, OutputWriteError, PseudonymKeyError, FileNotFoundError


def start_log(path: str | Path) -> logging.Handler:
    """Send the package's log records and Python's warnings to `path` (overwritten)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for name in ("ino_study", "py.warnings"):
        logging.getLogger(name).addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    logging.captureWarnings(True)
    return handler


def stop_log(handler: logging.Handler) -> None:
    for name in ("ino_study", "py.warnings"):
        logging.getLogger(name).removeHandler(handler)
    logging.captureWarnings(False)
    handler.close()


def run_step(step: Callable[..., Any], log: str | Path, *args: Any, **kwargs: Any) -> None:
    """Run `step(*args, **kwargs)` with its log in `log`; on error, log it and exit with status 1.

    Expected errors (`expected_errors`) are logged as their message; others with their traceback.
    """
    handler = start_log(log)
    try:
        step(*args, **kwargs)
    except expected_errors() as error:
        LOGGER.error("%s", error)
        raise SystemExit(1) from None
    except Exception:
        LOGGER.exception("unexpected error (a bug: please report it with this log)")
        raise SystemExit(1) from None
    finally:
        stop_log(handler)


__all__ = ["run_step", "start_log", "stop_log", "LOGGER"]
