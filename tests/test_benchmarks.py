"""The benchmark script (benchmarks/run_benchmarks.py): its verdicts, arithmetic on recorded runs only;
the comparison of the one-process reference with the pipeline; and (slow) that the reference
(benchmarks/one_process.py) computes what `snakemake --cores 4` computes. No timed tests."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "run_benchmarks.py"
GIB = 1024 ** 3


def load():
    spec = importlib.util.spec_from_file_location("run_benchmarks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cohort(wall_s: float, peak_rss_bytes: int, **flags) -> dict:
    return {"wall_s": wall_s, "peak_rss_bytes": peak_rss_bytes, "peak_rss_mib": round(peak_rss_bytes / 2 ** 20, 1),
            "peak_total_mib": round(2 * peak_rss_bytes / 2 ** 20, 1), **flags}


def test_cold_run_is_judged_against_the_one_process_run_just_before_it():
    bench = load()
    # the machine slows down between the pairs: each cold run is 1.9x its own one_process run
    runs = [{"wall_s": 9.5, "one_process_wall_s": 5.0}, {"wall_s": 7.6, "one_process_wall_s": 4.0},
            {"wall_s": 11.4, "one_process_wall_s": 6.0}]
    verdict = bench.verdicts({"one_process": {"wall_s": 4.0}, "cold": {"wall_s": 9.5, "runs": runs}})
    cold = verdict["cold_run_over_one_process"]
    assert cold["value"] == 1.9 and cold["met"] is True and cold["how"] == "median of 3 paired ratios"
    assert cold["ratio_of_medians"] == 2.38  # what an unpaired ratio would have said: a miss


def test_without_pairs_the_ratio_of_medians_is_used():
    bench = load()
    verdict = bench.verdicts({"one_process": {"wall_s": 4.0}, "cold": {"wall_s": 9.0, "runs": [{"wall_s": 9.0}]}})
    cold = verdict["cold_run_over_one_process"]
    assert cold["value"] == 2.25 and cold["met"] is False and cold["how"] == "median / median (no pairs)"


def test_a_failed_cold_run_is_reported_and_left_out_of_the_ratio():
    bench = load()
    runs = [{"wall_s": 9.5, "one_process_wall_s": 5.0}]
    verdict = bench.verdicts({"one_process": {"wall_s": 5.0},
                              "cold": {"wall_s": 9.5, "runs": runs, "failed_runs": [{"returncode": 1}]}})
    assert verdict["cold_runs_completed"] == {"value": "1/2", "target": "all", "met": False}
    assert verdict["cold_run_over_one_process"]["value"] == 1.9


def test_no_verdict_without_a_reference():
    bench = load()
    assert "cold_run_over_one_process" not in bench.verdicts({"cold": {"wall_s": 9.0, "runs": [{"wall_s": 9.0}]}})


def test_noop_rerun_is_judged_against_snakemake_version_just_before_it():
    bench = load()
    runs = [{"wall_s": 2.0, "version_wall_s": 0.5}, {"wall_s": 4.5, "version_wall_s": 1.0},
            {"wall_s": 2.1, "version_wall_s": 0.5}]
    verdict = bench.verdicts({"noop": {"wall_s": 2.1, "runs": runs}, "snakemake_version": {"wall_s": 0.5}})
    noop = verdict["noop_rerun_over_snakemake_version"]
    assert noop["value"] == 4.2 and noop["met"] is False  # median of 4.0, 4.5, 4.2
    assert noop["ratio_of_medians"] == 4.2 and noop["noop_s"] == 2.1 and noop["snakemake_version_s"] == 0.5


def test_a_single_cold_run_that_differs_from_its_reference_fails_the_comparison():
    bench = load()
    same = {"identical": True, "files": 15, "differ": []}
    verdict = bench.verdicts({"one_process": {"wall_s": 5.0, "same_results_as_snakemake": [
        same, {"identical": False, "files": 15, "differ": ["tables/cox.csv"]}, same]}})
    assert verdict["one_process_same_results_as_snakemake"]["met"] is False
    assert verdict["one_process_same_results_as_snakemake"]["value"] == "2/3 pairs byte-identical"


def test_cohort_memory_is_judged_on_the_largest_process_not_the_sum():
    bench = load()
    # 1.5 GiB in one process, 3 GiB in all processes at once: met
    verdict = bench.verdicts({"cohorts": {"100000": cohort(59.0, int(1.5 * GIB))}})
    assert verdict["cohort_100000_time"]["met"] is True
    assert verdict["cohort_100000_peak_per_process"]["met"] is True
    verdict = bench.verdicts({"cohorts": {"100000": cohort(61.0, int(2.1 * GIB))}})
    assert verdict["cohort_100000_time"]["met"] is False
    assert verdict["cohort_100000_peak_per_process"]["met"] is False


def test_a_killed_or_failed_cohort_run_is_not_a_pass():
    bench = load()
    verdict = bench.verdicts({"cohorts": {"100000": cohort(30.0, GIB, timed_out=True)}})
    assert verdict["cohort_100000_time"]["met"] is False
    assert verdict["cohort_100000_peak_per_process"]["met"] is None  # a lower bound below the target
    assert "lower bounds" in verdict["cohort_100000_time"]["note"]
    verdict = bench.verdicts({"cohorts": {"100000": cohort(30.0, GIB, failed=True)}})
    assert verdict["cohort_100000_time"]["met"] is False
    assert verdict["cohort_100000_peak_per_process"]["met"] is False


def test_one_million_patients_must_complete():
    bench = load()
    verdict = bench.verdicts({"cohorts": {"1000000": cohort(300.0, 4 * GIB)}})
    assert verdict["cohort_1000000_completes"]["met"] is True
    assert verdict["cohort_1000000_completes"]["value"].startswith("completed in 300.0 s, 4096.0 MiB")
    for flag in ("timed_out", "failed"):
        verdict = bench.verdicts({"cohorts": {"1000000": cohort(900.0, 4 * GIB, **{flag: True})}})
        assert verdict["cohort_1000000_completes"]["met"] is False


def write_results(root: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        path = root / "results" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def test_same_results_compares_summary_and_every_table_byte_for_byte(tmp_path):
    bench = load()
    files = {"summary.json": b"{}\n", "tables/cox.csv": b"a,b\n1,2\n", "tables/tables.xlsx": b"x",
             "figures/km_os.png": b"p"}
    reference = write_results(tmp_path / "reference", files)
    pipeline = write_results(tmp_path / "pipeline", {**files, "tables/tables.xlsx": b"y", "figures/km_os.png": b"q"})
    assert bench.same_results(reference, pipeline) == {"identical": True, "files": 2, "differ": []}
    write_results(pipeline, {"tables/cox.csv": b"a,b\n1,2.0\n", "tables/extra.csv": b""})
    assert bench.same_results(reference, pipeline) == {"identical": False, "files": 3,
                                                       "differ": ["tables/cox.csv", "tables/extra.csv"]}


def test_the_reference_calls_a_step_for_every_rule():
    """benchmarks/one_process.py names each rule it stands in for; a new rule must be added there."""
    rules = set()
    for path in (ROOT / "workflow" / "rules").glob("*.smk"):
        rules |= set(re.findall(r"^rule (\w+):", path.read_text(), flags=re.MULTILINE))
    assert rules, "no rules found"
    text = (ROOT / "benchmarks" / "one_process.py").read_text()
    missing = sorted(rule for rule in rules if not re.search(rf'[("]{rule}[\["]', text))
    assert not missing, f"rules without a step in benchmarks/one_process.py: {missing}"


@pytest.mark.slow
def test_the_reference_computes_what_the_pipeline_computes(tmp_path):
    bench = load()
    bench.TIMEOUT_S = 600.0
    reference = bench.fresh_copy(tmp_path / "one_process")
    pipeline = bench.fresh_copy(tmp_path / "snakemake")
    bench.one_process(reference)
    bench.measure(bench.snakemake(), pipeline)
    comparison = bench.same_results(reference, pipeline)
    assert comparison["files"] > 10
    assert comparison["identical"], comparison["differ"]
