"""Issue #23: the columnar reading, cleaning and derivation must give every table the row-by-row code
gave. The row-by-row code's outputs on a simulated 10,000-patient cohort (seed 1) were recorded at
commit e311f80, before any of it was rewritten, as SHA-256 digests in tests/data/row_by_row_10k.json
(recorded with `python tests/test_columnar_equivalence.py --record`). The default cohort's outputs are
compared with the committed results by test_regeneration.py.

Compared: every text output a reader or a later step uses (tables, analysis datasets as CSV, the
data-quality report and findings, the patient flow, summary.json and summary.md, and the scenarios'
tables), byte for byte. Not compared: binary files (xlsx, docx, parquet, figures) and provenance.json,
which records versions and hashes of the code itself."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RECORDED = HERE / "data" / "row_by_row_10k.json"
PATIENTS, SEED = 10_000, 1
TEXT_SUFFIXES = {".csv", ".md", ".json"}


def text_outputs(results: Path) -> dict[str, str]:
    """SHA-256 of every text output under `results/`, by path relative to it."""
    return {
        path.relative_to(results).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(results.rglob("*"))
        if path.is_file() and path.suffix in TEXT_SUFFIXES and path.name != "provenance.json"
    }


def simulate(destination: Path) -> Path:
    """The 10,000-patient simulated cohort (CSV export), as benchmarks/run_benchmarks.py makes it."""
    subprocess.run([sys.executable, str(ROOT / "workflow/scripts/simulate_cohort.py"), "--patients", str(PATIENTS),
                    "--seed", str(SEED), "--out", str(destination)], check=True, capture_output=True)
    return destination


def run_on_simulated(workdir: Path, cohort: Path) -> Path:
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--config", f"raw_data={cohort}"],
                            cwd=workdir, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir / "results"


@pytest.mark.slow
def test_ten_thousand_patients_give_the_row_by_row_outputs(tmp_path):
    from conftest import copy_project

    recorded = json.loads(RECORDED.read_text())
    workdir = copy_project(tmp_path / "project")
    results = run_on_simulated(workdir, simulate(tmp_path / "cohort"))
    produced = text_outputs(results)
    assert sorted(produced) == sorted(recorded["sha256"]), "a different set of output files"
    changed = [name for name, digest in recorded["sha256"].items() if produced[name] != digest]
    assert not changed, f"outputs differ from the row-by-row code's ({recorded['commit']}): {changed}"


def record() -> None:
    """Run the current code on the simulated cohort in a temporary copy and write the digests."""
    import tempfile

    sys.path[:0] = [str(HERE), str(ROOT / "workflow" / "src")]
    from conftest import copy_project

    with tempfile.TemporaryDirectory() as folder:
        workdir = copy_project(Path(folder) / "project")
        results = run_on_simulated(workdir, simulate(Path(folder) / "cohort"))
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        RECORDED.write_text(json.dumps({"commit": commit, "patients": PATIENTS, "seed": SEED,
                                        "sha256": text_outputs(results)}, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    record()
