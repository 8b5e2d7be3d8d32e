#!/usr/bin/env python
"""Peak memory of each rule's job against the size of its inputs, on simulated cohorts: the data that
calibrates `resources: mem_mb` (ino_study.resources.RULE_MEMORY).

    .venv/bin/python benchmarks/rule_memory.py [--sizes 10000 100000 1000000] [--cores 2]
        [--out benchmarks/rule_memory.json] [--keep]

Each size: a cohort simulated (workflow/scripts/simulate_cohort.py --seed 1) and run through the whole
DAG (`snakemake --cores N`) in a fresh copy of the project under benchmarks/out/. While it runs, every
0.1 s, each job process (a Python process with a rule's log file open: logs/<rule>.log, or
logs/scenarios/<name>/... for a scenario's jobs) is looked up in /proc and its peak resident set
(VmHWM, which the kernel keeps: no peak between samples is missed, only a job that ends within 0.1 s
of its start) recorded under its log file. After the run, `snakemake --detailed-summary` gives each
job's input files, whose sizes are summed as the rules sum them (ino_study.resources.data_bytes: the
data inputs, not the rule's code inputs under workflow/src; a folder of CSV files counts with its
files). The table printed
(and written to --out) has, for each job: the summed input size, the peak RSS, and the mem_mb that
ino_study.resources gives for that input size (it must be above the peak).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "workflow" / "src"))

from run_benchmarks import fresh_copy  # noqa: E402

from ino_study.resources import SCENARIO_FROM_DATASETS, data_bytes, mem_mb  # noqa: E402

MIB = 2 ** 20


def job_of(pid: str, copy: Path) -> str | None:
    """The job a process runs, named by the log file it holds open under `copy`/logs (None if none)."""
    logs = str(copy / "logs") + "/"
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith(logs) and target.endswith(".log"):
                return target[len(logs):-len(".log")]
    except OSError:
        return None
    return None


def peak_rss(pid: str) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def run_and_sample(command: list[str], copy: Path) -> tuple[dict[str, tuple[int, float]], float]:
    """Run `command` in `copy`; {job (its log file): (peak RSS in bytes, seconds seen running)}, and the
    wall time."""
    peaks: dict[str, int] = {}
    seen: dict[str, list[float]] = {}  # job -> [first, last] time it was seen running
    jobs: dict[str, str] = {}  # pid -> job
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=copy, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    finished = threading.Event()

    def sample() -> None:
        while not finished.wait(0.1):
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/stat", "rb") as handle:
                        if int(handle.read().rsplit(b")", 1)[1].split()[3]) != process.pid:  # session
                            continue
                    job = jobs.get(pid) or job_of(pid, copy)
                    if job is None:
                        continue
                    jobs[pid] = job
                    peaks[job] = max(peaks.get(job, 0), peak_rss(pid))
                    now = time.perf_counter()
                    seen.setdefault(job, [now, now])[1] = now
                except (OSError, IndexError, ValueError):
                    continue

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    finished.set()
    sampler.join()
    if process.returncode != 0:
        sys.stderr.write(output.decode(errors="replace")[-5000:])
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}) in {copy}")
    seconds = {job: round(last - first, 1) for job, (first, last) in seen.items()}
    return {job: (peak, seconds[job]) for job, peak in peaks.items()}, time.perf_counter() - start


def job_inputs(copy: Path) -> dict[str, tuple[str, int]]:
    """{job (its log file): (its memory model: the rule's name, summed size of its data input files in
    bytes, as the rules' mem_mb sums them)}, from --detailed-summary."""
    summary = subprocess.run([sys.executable, "-m", "snakemake", "--detailed-summary", "--cores", "1"], cwd=copy,
                             capture_output=True, text=True, check=True).stdout
    rows = csv.DictReader(io.StringIO(summary[summary.index("output_file"):]), delimiter="\t")
    jobs: dict[str, tuple[str, int]] = {}
    for row in rows:
        log = row.get("log-file(s)", "").split(",")[0].strip()
        if not log.startswith("logs/"):
            continue
        files = [f.strip() for f in row.get("input-file(s)", "").split(",") if f.strip() and f.strip() != "-"]
        model = row["rule"]  # scenario_analysis has two models, as workflow/rules/common.smk: scenario_memory
        if model == "scenario_analysis" and any(f.startswith("results/adam/") for f in files):
            model = SCENARIO_FROM_DATASETS
        jobs[log[len("logs/"):-len(".log")]] = (model, data_bytes(files, root=copy))
    return jobs


def measure_size(size: int, work: Path, cores: str, keep: bool) -> list[dict]:
    raw = work / f"cohort_{size}_raw"
    subprocess.run([sys.executable, str(ROOT / "workflow/scripts/simulate_cohort.py"), "--patients", str(size),
                    "--seed", "1", "--out", str(raw)], check=True, capture_output=True)
    copy = fresh_copy(work / f"rule_memory_{size}")
    peaks, wall = run_and_sample([sys.executable, "-m", "snakemake", "--cores", cores, "--quiet", "all",
                                  "--config", f"raw_data={raw}"], copy)
    print(f"{size} patients: {wall:.1f} s", flush=True)
    inputs = job_inputs(copy)
    rows = []
    for job, (peak, seconds) in sorted(peaks.items()):
        rule, size_bytes = inputs.get(job, ("?", 0))
        rows.append({"patients": size, "job": job, "rule": rule, "input_mib": round(size_bytes / MIB, 1),
                     "peak_rss_mib": round(peak / MIB, 1), "seconds": seconds,
                     "mem_mb": mem_mb(rule, size_bytes) if rule != "?" else None})
    if not keep:
        import shutil

        shutil.rmtree(copy, ignore_errors=True)
        shutil.rmtree(raw, ignore_errors=True)
    return rows


#: The headroom of the fit: every measured peak times this lies below the request.
HEADROOM = 1.3


def fit(rows: list[dict]) -> dict[str, tuple[int, float]]:
    """(floor MB, MB per input MB) per memory model, as ino_study.resources.RULE_MEMORY holds them: the
    floor 1.5 x the largest peak at the smallest cohort (at least 500 MB, a multiple of 100); the
    factor (a multiple of 0.5) at least HEADROOM x the marginal memory per input MB between the two
    largest cohorts (so that larger inputs are covered too), and large enough that HEADROOM x every
    measured peak lies below the request."""
    models: dict[str, list[dict]] = {}
    for row in rows:
        models.setdefault(row["rule"], []).append(row)
    fitted = {}
    for model, measured in sorted(models.items()):
        smallest = min(row["patients"] for row in measured)
        floor = max(500, math.ceil(1.5 * max(r["peak_rss_mib"] * MIB / 1e6 for r in measured
                                             if r["patients"] == smallest) / 100) * 100)
        need = [(HEADROOM * r["peak_rss_mib"] * MIB / 1e6 - floor) / (r["input_mib"] * MIB / 1e6)
                for r in measured if r["input_mib"] > 0]
        largest = sorted({r["patients"] for r in measured})[-2:]
        ends = [max((r for r in measured if r["patients"] == n), key=lambda r: r["peak_rss_mib"]) for n in largest]
        if len(ends) == 2 and ends[1]["input_mib"] > ends[0]["input_mib"]:
            need.append(HEADROOM * (ends[1]["peak_rss_mib"] - ends[0]["peak_rss_mib"])
                        / (ends[1]["input_mib"] - ends[0]["input_mib"]))
        fitted[model] = (floor, max([0.0] + [math.ceil(2 * n) / 2 for n in need]))
    return fitted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--cores", default="2")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "rule_memory.json")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--fit", type=Path, nargs="+", default=None,
                        help="measure nothing: print the floors and factors fitted to these JSON files")
    args = parser.parse_args(argv)
    if args.fit:
        rows = [row for path in args.fit for row in json.loads(path.read_text())]
        for model, (floor, factor) in fit(rows).items():
            print(f'    "{model}": ({floor}, {factor}),')
        return 0
    work = ROOT / "benchmarks" / "out"
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes:
        rows += measure_size(size, work, args.cores, args.keep)
        args.out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"{'patients':>9} {'job':<40} {'input MiB':>10} {'peak MiB':>9} {'mem_mb':>7}")
    for row in rows:
        flag = "" if row["mem_mb"] is None or row["mem_mb"] * 1e6 / MIB > row["peak_rss_mib"] else "  UNDER"
        print(f"{row['patients']:>9} {row['job']:<40} {row['input_mib']:>10} {row['peak_rss_mib']:>9} "
              f"{row['mem_mb']!s:>7}{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
