#!/usr/bin/env python
"""How the statistics' cost grows with the number of rows (issue #23, item 3): each function timed on
simulated survival data of 10,000, 100,000 and 1,000,000 rows, and the ratio of its time at the
largest size to the smallest set against n log n (100 x log(1e6)/log(1e4) = 150 for 10k -> 1M). Times
are the process's CPU time (time.process_time: a loaded machine's other processes stretch the wall
time, recorded beside it, far more); below a few milliseconds they are mostly fixed costs.

    .venv/bin/python benchmarks/statistics_scaling.py [--sizes 10000 100000 1000000] [--repeat 3]
        [--out benchmarks/statistics_scaling.json]

Data as the analysis datasets hold it: times in whole days (0-1,800) converted to months, so that
times tie as in a registry; about 60 % events; a two-level group (dose), a three-level covariate, five
strata (centres), an HSCT day for 40 % of the patients, a competing-risks status 0/1/2. Each function
is the one the steps call, with the arguments they use. The best of --repeat runs is kept (the
machine's other load only adds time); a million rows run once. Not a test: the numbers go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "src"))

from ino_study.statistics.comparisons import (  # noqa: E402
    cox_univariable, landmark, logrank_test, ph_test, split_at_exposure,
)
from ino_study.statistics.competing_risks import aalen_johansen_curve, cumulative_incidence  # noqa: E402
from ino_study.statistics.kaplan_meier import km_at, km_fit, median_follow_up  # noqa: E402
from ino_study.statistics.transplant_analyses import cox_binary_counting_process  # noqa: E402

DAYS_PER_MONTH = 30.4375


def simulated(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    dose = rng.integers(0, 2, n)
    level = rng.integers(0, 3, n)
    days = np.minimum(rng.exponential(400 * np.exp(0.3 * dose - 0.2 * level)), 1800).round() + 1
    event = (rng.random(n) < 0.6) & (days < 1800)
    hsct = np.where(rng.random(n) < 0.4, rng.integers(30, 200, n).astype(float), np.nan)
    return {"time": days / DAYS_PER_MONTH, "days": days, "event": event.astype(int), "dose": dose,
            "level": level, "centre": rng.integers(0, 5, n), "hsct_days": hsct,
            "status": np.where(event, rng.integers(1, 3, n), 0)}


def cases(d: dict[str, np.ndarray]) -> dict[str, callable]:
    covariates = pd.DataFrame({"dose": pd.Categorical(np.where(d["dose"] == 1, "standard", "reduced")),
                               "level": pd.Categorical(np.array(["a", "b", "c"])[d["level"]])})
    one = covariates[["dose"]]
    fitted = cox_univariable(d["time"], d["event"], one)
    coefficients = dict(zip(fitted["covariate"], fitted["coef"]))
    rows = split_at_exposure(np.arange(d["time"].size), d["days"], d["event"], d["hsct_days"])
    months = [0, 3, 6, 12, 24, 36]
    return {
        "km_fit + km_at": lambda: km_at(km_fit(d["time"], d["event"]), months),
        "median_follow_up (reverse KM)": lambda: median_follow_up(d["time"], d["event"]),
        "logrank_test": lambda: logrank_test(d["time"], d["event"], d["dose"]),
        "logrank_test, 5 strata": lambda: logrank_test(d["time"], d["event"], d["dose"], strata=d["centre"]),
        "cox_univariable (grouped Efron), 2 covariates": lambda: cox_univariable(d["time"], d["event"], covariates),
        "cox_univariable (grouped Efron), 5 strata": lambda: cox_univariable(d["time"], d["event"], one,
                                                                         strata=d["centre"]),
        "ph_test (cox.zph, rank)": lambda: ph_test(d["time"], d["event"], one, "rank", coefficients),
        "ph_test (cox.zph, km)": lambda: ph_test(d["time"], d["event"], one, "km", coefficients),
        "aalen_johansen_curve": lambda: aalen_johansen_curve(d["time"], d["status"], 1),
        "cumulative_incidence": lambda: cumulative_incidence(d["time"], d["status"], 1, months),
        "landmark (6 months)": lambda: landmark(d["time"], d["event"], 6.0, d["dose"]),
        "split_at_exposure": lambda: split_at_exposure(np.arange(d["time"].size), d["days"], d["event"],
                                                       d["hsct_days"]),
        "cox_binary_counting_process (time-varying HSCT)": lambda: cox_binary_counting_process(
            rows["start"], rows["stop"], rows["event"], rows["exposed"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "statistics_scaling.json")
    args = parser.parse_args(argv)
    seconds: dict[str, dict[int, float]] = {}  # CPU time of this process: other processes add little
    wall: dict[str, dict[int, float]] = {}
    for n in args.sizes:
        data = simulated(n)
        for name, function in cases(data).items():
            best, best_wall = math.inf, math.inf
            for _ in range(args.repeat if n < 1_000_000 else 1):  # a million rows: once
                start, start_wall = time.process_time(), time.perf_counter()
                function()
                best = min(best, time.process_time() - start)
                best_wall = min(best_wall, time.perf_counter() - start_wall)
            seconds.setdefault(name, {})[n] = round(best, 4)
            wall.setdefault(name, {})[n] = round(best_wall, 4)
            print(f"{n:>9} {name:<50} {best:8.3f} s CPU {best_wall:8.3f} s wall", flush=True)
    small, large = min(args.sizes), max(args.sizes)
    bound = large / small * math.log(large) / math.log(small)
    result = {"sizes": args.sizes, "n_log_n_ratio": round(bound, 1), "cpu_seconds": seconds, "wall_seconds": wall,
              "ratio": {name: round(times[large] / times[small], 1) for name, times in seconds.items()
                        if times.get(small)}}
    print(f"\nratio {large} / {small} rows (n log n: {bound:.0f})")
    for name, ratio in result["ratio"].items():
        print(f"  {name:<50} {ratio:7.1f}{'  grows faster than n log n' if ratio > bound else ''}")
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
