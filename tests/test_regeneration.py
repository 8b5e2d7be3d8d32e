"""CI regenerates the results: the committed default results must be what the pipeline produces.

The default run's tables, ``summary.json``, ``summary.md``, the data-quality report and the data
behind the figures (``results/figures/data/*.csv``) are committed under ``results/`` (see
``.gitignore``). Here the pipeline runs from scratch in a fresh copy of the project (the
``default_run`` fixture) and each committed file is compared byte for byte with its regenerated
twin; any difference fails with a unified diff. Figures are compared through their data, not
pixels; Parquet, images, xlsx/docx, ``provenance.json`` and ``report.html`` are not committed.

When the pipeline's outputs change legitimately, regenerate and re-commit them::

    snakemake --cores 2 && git add results && git commit -m "results: regenerated"
"""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT
from ino_study.layout import COMMITTED_PATTERNS, NEVER_COMMITTED, is_committed_kind  # noqa: F401  (re-exported)

pytestmark = pytest.mark.slow

MAX_DIFF_CHARS = 30_000
REFRESH = "snakemake --cores 2 && git add results && git commit -m 'results: regenerated'"


def committed_results() -> list[str]:
    """Result files under version control (paths relative to results/)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", "results"], cwd=PROJECT_ROOT, check=True,
                                capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the committed results cannot be listed")
    paths = [p.removeprefix("results/") for p in listed.split("\0") if p]
    return sorted(p for p in paths if is_committed_kind(p))


def produced_results(run: Path) -> list[str]:
    root = run / "results"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and is_committed_kind(str(p.relative_to(root))))


def unified_diff(relative: str, committed: bytes, regenerated: bytes) -> str:
    old = committed.decode("utf-8", errors="replace").splitlines(keepends=True)
    new = regenerated.decode("utf-8", errors="replace").splitlines(keepends=True)
    lines = list(difflib.unified_diff(old, new, fromfile=f"a/results/{relative} (committed)",
                                      tofile=f"b/results/{relative} (regenerated)"))
    if not lines:  # same text, different bytes (line endings, trailing newline)
        return f"results/{relative}: same lines, different bytes (line endings or final newline)\n"
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def test_results_are_committed():
    committed = committed_results()
    assert "summary.json" in committed, (
        "results/summary.json is not committed; run the default pipeline and commit its results:\n  " + REFRESH)


def test_committed_results_match_a_fresh_run(default_run):
    diffs, missing = [], []
    for relative in committed_results():
        committed = (PROJECT_ROOT / "results" / relative).read_bytes()
        regenerated_path = default_run / "results" / relative
        if not regenerated_path.exists():
            missing.append(relative)
            continue
        regenerated = regenerated_path.read_bytes()
        if committed != regenerated:
            diffs.append(unified_diff(relative, committed, regenerated))
    message = []
    if missing:
        message.append("committed but no longer produced (git rm them):\n" +
                       "".join(f"  results/{m}\n" for m in missing))
    if diffs:
        text = "".join(diffs)
        if len(text) > MAX_DIFF_CHARS:
            text = text[:MAX_DIFF_CHARS] + f"\n... diff cut at {MAX_DIFF_CHARS} characters\n"
        message.append(f"{len(diffs)} committed result file(s) differ from a fresh run:\n{text}")
    if message:
        pytest.fail("\n".join(message) + "\nIf the change is intended, regenerate and commit:\n  " + REFRESH,
                    pytrace=False)


def test_every_result_of_a_fresh_run_is_committed(default_run):
    untracked = sorted(set(produced_results(default_run)) - set(committed_results()))
    if untracked:
        pytest.fail("a fresh run produces result files that are not committed:\n" +
                    "".join(f"  results/{u}\n" for u in untracked) +
                    "commit them:\n  " + REFRESH, pytrace=False)
