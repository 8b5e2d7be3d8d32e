"""ino_study.job.run_step: a step's records and warnings go to its log; an expected error ends the job
with its message only, any other error with its traceback, in the log (never a silent success)."""

from __future__ import annotations

import logging
import warnings

import pytest

from ino_study.job import run_step
from ino_study.records.quality import DataContractError, Finding


def step_that_logs_and_warns(name: str) -> None:
    logging.getLogger("ino_study").info("record of %s", name)
    warnings.warn(f"warning of {name}", UserWarning, stacklevel=1)


def test_records_and_warnings_go_to_the_log(tmp_path):
    run_step(step_that_logs_and_warns, tmp_path / "logs" / "a.log", "a")
    text = (tmp_path / "logs" / "a.log").read_text(encoding="utf-8")
    assert "INFO ino_study: record of a" in text and "warning of a" in text


def test_a_second_step_does_not_write_to_the_first_log(tmp_path):
    run_step(step_that_logs_and_warns, tmp_path / "a.log", "a")
    run_step(step_that_logs_and_warns, tmp_path / "b.log", "b")
    assert "of b" not in (tmp_path / "a.log").read_text(encoding="utf-8")
    assert "of a" not in (tmp_path / "b.log").read_text(encoding="utf-8")


def contract_error() -> None:
    finding = Finding("error", "adverse_events", "export.xlsx, sheet 'adverse_events'", 5, "grade", "INO-002",
                      "6", "breaks the rule a CTCAE grade is 1 to 5", "stopped")
    raise DataContractError([finding])


def test_an_expected_error_ends_the_job_with_its_message_and_no_traceback(tmp_path):
    with pytest.raises(SystemExit) as stop:
        run_step(contract_error, tmp_path / "failing.log")
    assert stop.value.code == 1
    text = (tmp_path / "failing.log").read_text(encoding="utf-8")
    assert ("export.xlsx, sheet 'adverse_events', row 5, column 'grade': value '6': breaks the rule a CTCAE "
            "grade is 1 to 5 (patient INO-002)") in text
    assert "Traceback" not in text


def test_an_unexpected_error_keeps_its_traceback_in_the_log(tmp_path):
    def bug() -> None:
        raise ZeroDivisionError("division by zero in a step")

    with pytest.raises(SystemExit) as stop:
        run_step(bug, tmp_path / "bug.log")
    assert stop.value.code == 1
    text = (tmp_path / "bug.log").read_text(encoding="utf-8")
    assert "Traceback" in text and "ZeroDivisionError: division by zero in a step" in text
