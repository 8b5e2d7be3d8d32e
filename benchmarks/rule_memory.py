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
job's input files, whose sizes are summed as the rules sum them (ino_study.resources.input_bytes: a
folder of CSV files counts with its files). The table printed
(and written to --out) has, for each job: the summed input size, the peak RSS, and the mem_mb that
ino_study.resources gives for that input size (it must be above the peak).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
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

from ino_study.resources import input_bytes, mem_mb  # noqa: E402

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


def run_and_sample(command: list[str], copy: Path) -> tuple[dict[str, int], float]:
    """Run `command` in `copy`; {job (its log file): peak RSS in bytes}, and the wall time."""
    peaks: dict[str, int] = {}
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
    return peaks, time.perf_counter() - start


def job_inputs(copy: Path) -> dict[str, tuple[str, int]]:
    """{job (its log file): (rule, summed size of its input files in bytes)}, from --detailed-summary."""
    summary = subprocess.run([sys.executable, "-m", "snakemake", "--detailed-summary", "--cores", "1"], cwd=copy,
                             capture_output=True, text=True, check=True).stdout
    rows = csv.DictReader(io.StringIO(summary[summary.index("output_file"):]), delimiter="\t")
    jobs: dict[str, tuple[str, int]] = {}
    for row in rows:
        log = row.get("log-file(s)", "").split(",")[0].strip()
        if not log.startswith("logs/"):
            continue
        files = [f.strip() for f in row.get("input-file(s)", "").split(",") if f.strip() and f.strip() != "-"]
        jobs[log[len("logs/"):-len(".log")]] = (row["rule"], input_bytes(str(copy / f) for f in files))
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
    for job, peak in sorted(peaks.items()):
        rule, size_bytes = inputs.get(job, ("?", 0))
        rows.append({"patients": size, "job": job, "rule": rule, "input_mib": round(size_bytes / MIB, 1),
                     "peak_rss_mib": round(peak / MIB, 1),
                     "mem_mb": mem_mb(rule, size_bytes / 1e6) if rule != "?" else None})
    if not keep:
        import shutil

        shutil.rmtree(copy, ignore_errors=True)
        shutil.rmtree(raw, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--cores", default="2")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "rule_memory.json")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
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
