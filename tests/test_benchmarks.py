"""The benchmark script's verdicts (benchmarks/run_benchmarks.py): arithmetic on recorded runs only."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "run_benchmarks.py"


def load():
    spec = importlib.util.spec_from_file_location("run_benchmarks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cold_run_is_judged_against_the_floor_measured_just_before_it():
    bench = load()
    # the machine slows down between the pairs: each cold run is 2.5x its own floor
    runs = [{"wall_s": 10.0, "floor_wall_s": 4.0}, {"wall_s": 7.5, "floor_wall_s": 3.0},
            {"wall_s": 12.5, "floor_wall_s": 5.0}]
    verdict = bench.verdicts({"floor": {"wall_s": 3.0}, "cold": {"wall_s": 10.0, "runs": runs}})
    cold = verdict["cold_run_within_3x_floor"]
    assert cold["value"] == 2.5 and cold["met"] is True
    assert cold["ratio_of_medians"] == 3.33  # what the unpaired ratio would have said: a miss


def test_without_paired_floors_the_ratio_of_medians_is_used():
    bench = load()
    verdict = bench.verdicts({"floor": {"wall_s": 4.0}, "cold": {"wall_s": 13.0, "runs": [{"wall_s": 13.0}]}})
    cold = verdict["cold_run_within_3x_floor"]
    assert cold["value"] == 3.25 and cold["met"] is False and cold["how"] == "median cold run / median floor"
