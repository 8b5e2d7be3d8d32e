"""Each job's log holds its own records and warnings, not those of jobs running beside it.

Snakemake runs the steps in threads of one process (profiles/default: force-use-threads), so the
log of a job must filter by thread; warnings are routed through logging for the same reason.
"""

from __future__ import annotations

import threading
import warnings

from ino_study.steps import job_log


def test_concurrent_jobs_log_only_their_own_records_and_warnings(tmp_path):
    both_inside = threading.Barrier(3)
    done = threading.Barrier(3)

    def job(name: str) -> None:
        with job_log(tmp_path / f"{name}.log") as logger:
            both_inside.wait(timeout=10)
            logger.info("record of %s", name)
            warnings.warn(f"warning of {name}", UserWarning, stacklevel=1)
            done.wait(timeout=10)

    threads = [threading.Thread(target=job, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    both_inside.wait(timeout=10)
    warnings.warn("warning of the scheduler", UserWarning, stacklevel=1)  # another thread, no job
    done.wait(timeout=10)
    for thread in threads:
        thread.join(timeout=10)
    for name, other in (("a", "b"), ("b", "a")):
        text = (tmp_path / f"{name}.log").read_text(encoding="utf-8")
        assert f"record of {name}" in text and f"warning of {name}" in text
        assert f"of {other}" not in text and "scheduler" not in text


def test_an_error_is_logged_and_raised(tmp_path):
    try:
        with job_log(tmp_path / "failing.log"):
            raise ValueError("bad value in row 3")
    except ValueError:
        pass
    assert "ERROR ino_study: bad value in row 3" in (tmp_path / "failing.log").read_text(encoding="utf-8")
