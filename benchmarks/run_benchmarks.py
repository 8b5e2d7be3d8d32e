#!/usr/bin/env python
"""Benchmarks of the whole pipeline: wall time and peak memory of each scenario, against targets.

    .venv/bin/python benchmarks/run_benchmarks.py [--repeat N] [--sizes 10000 100000 1000000]
        [--only one_process cold noop figures cohorts] [--cohort-steps] [--merge]
        [--out benchmarks/results.json] [--keep]

Scenarios (each in a fresh copy of the project under benchmarks/out/; every Snakemake call is the
README's `snakemake --cores 4`, whatever the machine's core count):
  one_process  the default run's steps called one after another in one Python process
               (benchmarks/one_process.py): the same functions, inputs, params and outputs as the
               rules' scripts, without Snakemake and without a process per job
  cold         the default run from scratch
  noop         the same command again after a complete run (nothing to do), alternating with
               `snakemake --version`
  figures      rerun after a figure-only change (figures.dpi halved through --configfile)
  cohorts      simulated cohorts (workflow/scripts/simulate_cohort.py, seed 1) through the whole DAG;
               cohorts above 100,000 patients run once whatever --repeat (minutes each).
               With --cohort-steps, also once through benchmarks/one_process.py, for each step's time

Each cold run follows a one_process run of its own (in another fresh copy), and the cold-run target
is judged on the median of the ratios of each cold run to the one_process run just before it: the
machine's speed drifts within minutes. The ratio of the medians is recorded beside it. Each pair's
results/summary.json and results/tables/*.csv are compared byte for byte: the reference must compute
what the pipeline computes. The no-op rerun is paired the same way with `snakemake --version`.
A cold run that fails is recorded (`failed_runs`, with the rule logs it did not write) and left out
of the ratios; the verdict `cold_runs_completed` then says how many did.

Wall time is measured around the command; peak memory two ways: the largest resident set of one
process (the command and every process it waited for: os.wait4 / ru_maxrss), on which the memory
target is judged, and the most memory all its processes held at once (the sum of their proportional
set sizes, sampled every 0.1 s from /proc). Each scenario runs --repeat times and the median is kept;
every repeat is recorded. The machine's load average is recorded too: other processes on a 2-core
machine slow everything.

Targets (ratios on one machine): cold run <= 2 x one_process; no-op rerun <= 4 x `snakemake
--version`; 100,000 patients end to end <= 60 s and <= 2 GiB in any one process; 1,000,000 patients
complete (time and peak recorded).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("Snakefile", "config.yaml", "workflow", "data", "profiles")
ONE_PROCESS = ROOT / "benchmarks" / "one_process.py"
GIB = 1024 ** 3
TARGETS = {
    "cold_run_over_one_process_max": 2.0,
    "noop_rerun_over_snakemake_version_max": 4.0,
    "cohort_100000_max_s": 60.0,
    "cohort_100000_max_peak_per_process_bytes": 2 * GIB,
}
SCENARIOS = ("one_process", "cold", "noop", "figures", "cohorts")
#: Cohorts larger than this run once (a run takes minutes).
LARGE_COHORT = 100_000

TIMEOUT_S = 1800.0


def session_memory_bytes(session: int, largest: dict | None = None) -> int:
    """Memory in use now by the processes of `session`: the sum of their proportional set sizes
    (PSS: a page shared by n processes counts 1/n to each); their resident set sizes where PSS is
    not available. `largest`, if given, is updated with the largest resident set seen and the
    process's command ("rss_bytes", "command")."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            if int(fields[3]) != session:  # fields from the state on: state, ppid, pgrp, session
                continue
            rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # rss, in pages
            if largest is not None and rss > largest.get("rss_bytes", 0):
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    args = handle.read().decode(errors="replace").split("\0")
                largest.update(rss_bytes=rss, command=" ".join(Path(a).name if "/" in a else a for a in args)[:200])
            try:
                with open(f"/proc/{entry}/smaps_rollup", "rb") as handle:
                    pss = next(line for line in handle if line.startswith(b"Pss:"))
                total += int(pss.split()[1]) * 1024
            except (OSError, StopIteration):
                total += rss
        except (OSError, IndexError, ValueError):
            continue  # the process has just ended
    return total


def measure(command: list[str], cwd: Path, env: dict | None = None, check: bool = True) -> dict:
    """Run `command`; return wall time, peak memory and CPU time.

    Peak memory two ways: `peak_rss_bytes`, the largest resident set of the command or any process it
    waited for (getrusage: one process, the largest), and `peak_total_bytes`, the most memory its
    processes held at once (`session_memory_bytes`, sampled every 0.1 s; the same samples name the
    largest process seen, `largest_process_sampled`).
    A command still running after TIMEOUT_S seconds is killed (its whole process group) and
    recorded with "timed_out": true and its wall time so far. A command that fails stops the
    benchmark, or with check=False is recorded with its "returncode" and the end of its output.
    """
    import signal
    import threading

    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    timed_out, finished = threading.Event(), threading.Event()
    peak_total = [0]
    largest: dict = {}

    def sample() -> None:
        while not finished.wait(0.1):
            peak_total[0] = max(peak_total[0], session_memory_bytes(process.pid, largest))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    def kill() -> None:
        timed_out.set()
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(TIMEOUT_S, kill)
    timer.start()
    output = b""
    if process.stdout is not None:
        output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    finished.set()
    sampler.join()
    timer.cancel()
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    result = {"wall_s": round(wall, 3), "peak_rss_bytes": usage.ru_maxrss * 1024,
              "peak_total_bytes": max(peak_total[0], usage.ru_maxrss * 1024),
              "user_s": round(usage.ru_utime, 3), "sys_s": round(usage.ru_stime, 3)}
    if largest:  # sampled every 0.1 s: which process it was (its resident set may have peaked between samples)
        result["largest_process_sampled"] = largest
    if timed_out.is_set():
        return {**result, "timed_out": True}
    if process.returncode != 0:
        sys.stderr.write(output.decode(errors="replace")[-5000:])
        if check:
            raise SystemExit(f"benchmark command failed ({process.returncode}): {' '.join(command)} in {cwd}")
        return {**result, "returncode": process.returncode, "output_tail": output.decode(errors="replace")[-2000:]}
    return result


def fresh_copy(destination: Path) -> Path:
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if not source.exists():
            continue
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    return destination


#: The README's command, `snakemake --cores 4`, on whatever machine this runs on (2 cores for the targets).
CORES = "4"


def snakemake(*args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--cores", CORES, "--quiet", "all", *args]


SNAKEMAKE_VERSION = [sys.executable, "-m", "snakemake", "--version"]


def one_process(copy: Path, *args: str) -> dict:
    """One run of benchmarks/one_process.py in `copy`, with each step's wall time ("steps")."""
    timings = copy / "one_process_timings.json"
    run = measure([sys.executable, str(ONE_PROCESS), "--timings", str(timings), *args], cwd=copy)
    if timings.exists():
        run["steps"] = json.loads(timings.read_text())
    return run


def compared_files(results: Path) -> list[str]:
    """The results the one-process run must reproduce: summary.json and tables/*.csv (relative paths)."""
    return ["summary.json", *sorted(f"tables/{p.name}" for p in (results / "tables").glob("*.csv"))]


def same_results(reference: Path, pipeline: Path) -> dict:
    """Compare `reference`/results with `pipeline`/results byte for byte (summary.json, tables/*.csv)."""
    ours, theirs = compared_files(reference / "results"), compared_files(pipeline / "results")
    differ = sorted(set(ours) ^ set(theirs))  # present in one run only
    for name in sorted(set(ours) & set(theirs)):
        a, b = reference / "results" / name, pipeline / "results" / name
        if not (a.exists() and b.exists() and a.read_bytes() == b.read_bytes()):
            differ.append(name)
    return {"identical": not differ, "files": len(set(ours) | set(theirs)), "differ": sorted(differ)}


def summarise(runs: list[dict]) -> dict:
    return {
        **({"timed_out": True} if any(r.get("timed_out") for r in runs) else {}),
        **({"failed": True} if any(r.get("returncode") for r in runs) else {}),
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
        "peak_rss_bytes": int(statistics.median(r["peak_rss_bytes"] for r in runs)),
        "peak_rss_mib": round(statistics.median(r["peak_rss_bytes"] for r in runs) / 2 ** 20, 1),
        "peak_total_bytes": int(statistics.median(r["peak_total_bytes"] for r in runs)),
        "peak_total_mib": round(statistics.median(r["peak_total_bytes"] for r in runs) / 2 ** 20, 1),
        "runs": runs,
    }


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def bench_default(work: Path, repeat: int, which: set[str]) -> dict:
    """Pairs: a one_process run in a fresh copy, then a cold run in another (`verdicts` judges each cold
    run against the one_process run just before it), their results compared; then no-op reruns, each
    after a `snakemake --version`, and a figure-only rerun in the cold run's copy."""
    results: dict = {}
    reference, cold, noop, figures, comparisons, failed = [], [], [], [], [], []
    override = work / "figures_dpi.yaml"
    if "one_process" in which and "cold" in which:
        one_process(fresh_copy(work / "warm_up"))  # the first run reads the libraries from disk
        shutil.rmtree(work / "warm_up", ignore_errors=True)
    for i in range(repeat):
        if "one_process" in which:
            reference_copy = fresh_copy(work / f"one_process_{i}")
            reference.append(one_process(reference_copy))
            log(f"one_process run {i + 1}/{repeat}: {reference[-1]['wall_s']} s")
        if not which & {"cold", "noop", "figures"}:
            continue
        copy = fresh_copy(work / f"default_{i}")
        cold.append(measure(snakemake(), copy, check=False))
        if cold[-1].get("returncode") or cold[-1].get("timed_out"):  # recorded, left out of the ratios
            failed.append({**cold.pop(), "missing_logs": missing_logs(copy)})
            log(f"cold run {i + 1}/{repeat} FAILED: {failed[-1].get('output_tail', 'timed out')[-300:]}")
            continue
        if "one_process" in which:
            cold[-1]["one_process_wall_s"] = reference[-1]["wall_s"]
            cold[-1]["one_process_cpu_s"] = round(reference[-1]["user_s"] + reference[-1]["sys_s"], 3)
            comparisons.append(same_results(reference_copy, copy))
            if not comparisons[-1]["identical"]:
                log(f"one_process and snakemake results differ: {', '.join(comparisons[-1]['differ'])}")
        log(f"cold run {i + 1}/{repeat}: {cold[-1]['wall_s']} s"
            + (f" (one_process just before: {reference[-1]['wall_s']} s)" if reference else ""))
        if "noop" in which:
            for _ in range(2):
                version = measure(SNAKEMAKE_VERSION, copy)
                noop.append({**measure(snakemake(), copy), "version_wall_s": version["wall_s"]})
                log(f"no-op rerun: {noop[-1]['wall_s']} s (snakemake --version just before: {version['wall_s']} s)")
        if "figures" in which:
            import yaml

            dpi = int(yaml.safe_load((copy / "config.yaml").read_text()).get("figures", {}).get("dpi", 300))
            override.write_text(f"figures:\n  dpi: {dpi // 2 if i % 2 == 0 else dpi // 2 + 1}\n")
            figures.append(measure(snakemake("--configfile", str(override)), copy))
            log(f"figure-only rerun: {figures[-1]['wall_s']} s")
    if reference:
        results["one_process"] = {**summarise(reference), "steps": median_steps(reference)}
    if comparisons:
        results["one_process"]["same_results_as_snakemake"] = comparisons
    if cold:
        results["cold"] = summarise(cold)
    if failed:
        results.setdefault("cold", {})["failed_runs"] = failed
    if noop:
        results["noop"] = summarise(noop)
        results["snakemake_version"] = {"wall_s": round(statistics.median(r["version_wall_s"] for r in noop), 3)}
    if figures:
        results["figures_only"] = summarise(figures)
    return results


def missing_logs(copy: Path) -> list[str]:
    """The rule logs a failed run did not write (the jobs that had not started, or died before their step)."""
    expected = ["clean_records", "provenance", "derive_endpoints", "cohort_figures", "survival_statistics",
                "transplant_and_competing_risks", "summarise", "tables", "figures", "compare_scenarios"]
    return [name for name in expected if not (copy / "logs" / f"{name}.log").exists()]


def median_steps(runs: list[dict]) -> dict:
    """Each step's median wall time over `runs` (one_process runs with "steps")."""
    names = [name for name in runs[0].get("steps", {})]
    return {name: round(statistics.median(r["steps"][name] for r in runs if name in r.get("steps", {})), 3)
            for name in names}


def bench_cohorts(work: Path, size: int, repeat: int, steps: bool) -> dict:
    raw = work / f"cohort_{size}_raw"
    if raw.exists():
        shutil.rmtree(raw)
    simulate = measure([sys.executable, str(ROOT / "workflow/scripts/simulate_cohort.py"), "--patients",
                        str(size), "--seed", "1", "--out", str(raw)], cwd=work)
    log(f"{size} patients simulated in {simulate['wall_s']} s")
    runs = []
    for i in range(repeat if size <= LARGE_COHORT else 1):
        copy = fresh_copy(work / f"cohort_{size}_{i}")
        runs.append(measure(snakemake("--config", f"raw_data={raw}"), copy, check=False))
        log(f"{size} patients, run {i + 1}: {runs[-1]['wall_s']} s, "
            f"{runs[-1]['peak_rss_bytes'] / 2 ** 20:.0f} MiB in one process, "
            f"{runs[-1]['peak_total_bytes'] / 2 ** 20:.0f} MiB in all"
            + (" (TIMED OUT)" if runs[-1].get("timed_out") else "")
            + (f" (FAILED: {runs[-1]['returncode']})" if runs[-1].get("returncode") else ""))
        shutil.rmtree(copy, ignore_errors=True)
    result = {**summarise(runs), "simulate_wall_s": simulate["wall_s"]}
    if steps:
        copy = fresh_copy(work / f"cohort_{size}_one_process")
        reference = one_process(copy, "--raw-data", str(raw))
        log(f"{size} patients in one process: {reference['wall_s']} s, {reference['peak_rss_bytes'] / 2 ** 20:.0f} MiB")
        result["one_process"] = reference
        shutil.rmtree(copy, ignore_errors=True)
    shutil.rmtree(raw, ignore_errors=True)
    return result


def paired_ratio(runs: list[dict], key: str, wall: float | None, reference: float | None) -> dict | None:
    """The median of each run's wall time over the `key` measured just before it; with no pairs, the
    ratio of the medians `wall` / `reference`. None if neither is known."""
    pairs = [(r["wall_s"], r[key]) for r in runs if r.get(key)]
    if pairs:
        ratio = statistics.median(a / b for a, b in pairs)
        out = {"value": round(ratio, 2), "how": f"median of {len(pairs)} paired ratios"}
    elif wall and reference:
        out = {"value": round(wall / reference, 2), "how": "median / median (no pairs)"}
    else:
        return None
    if wall and reference:
        out["ratio_of_medians"] = round(wall / reference, 2)
    return out


def verdicts(results: dict) -> dict:
    out = {}
    cold = results.get("cold", {})
    # the machine's speed drifts within minutes: judge each cold run against the one_process run
    # measured just before it (the median of those ratios), not against one of other minutes
    ratio = paired_ratio(cold.get("runs", []), "one_process_wall_s", cold.get("wall_s"),
                         results.get("one_process", {}).get("wall_s"))
    if ratio:
        limit = TARGETS["cold_run_over_one_process_max"]
        out["cold_run_over_one_process"] = {**ratio, "target": f"<= {limit}", "met": ratio["value"] <= limit}
        cpu = [(r["user_s"] + r["sys_s"]) / r["one_process_cpu_s"] for r in cold.get("runs", [])
               if r.get("one_process_cpu_s") and "user_s" in r]
        if cpu:  # not a target: the CPU time both spend (user + sys), which other processes disturb less
            out["cold_run_over_one_process"]["cpu_time_ratio"] = round(statistics.median(cpu), 2)
    failed = cold.get("failed_runs", [])
    if failed:
        done = len(cold.get("runs", []))
        out["cold_runs_completed"] = {"value": f"{done}/{done + len(failed)}", "target": "all", "met": False}
    comparisons = results.get("one_process", {}).get("same_results_as_snakemake", [])
    if comparisons:
        same = sum(c["identical"] for c in comparisons)
        out["one_process_same_results_as_snakemake"] = {
            "value": f"{same}/{len(comparisons)} pairs byte-identical", "target": "all",
            "met": same == len(comparisons)}
    noop = results.get("noop", {})
    ratio = paired_ratio(noop.get("runs", []), "version_wall_s", noop.get("wall_s"),
                         results.get("snakemake_version", {}).get("wall_s"))
    if ratio:
        limit = TARGETS["noop_rerun_over_snakemake_version_max"]
        out["noop_rerun_over_snakemake_version"] = {
            **ratio, "target": f"<= {limit}", "met": ratio["value"] <= limit,
            "noop_s": noop["wall_s"], "snakemake_version_s": results["snakemake_version"]["wall_s"]}
    cohorts = results.get("cohorts", {})
    if "100000" in cohorts:
        big = cohorts["100000"]
        cut = bool(big.get("timed_out"))  # killed: wall time and peak memory are lower bounds
        failed = bool(big.get("failed"))
        wall, peak = big["wall_s"], big["peak_rss_bytes"]
        out["cohort_100000_time"] = {"value": wall, "target": f"<= {TARGETS['cohort_100000_max_s']:g} s",
                                     "met": wall <= TARGETS["cohort_100000_max_s"] and not (cut or failed)}
        below = peak <= TARGETS["cohort_100000_max_peak_per_process_bytes"]
        out["cohort_100000_peak_per_process"] = {
            "value": f"{big['peak_rss_mib']} MiB", "target": "<= 2048 MiB",
            "met": False if failed else (None if (cut and below) else below)}
        if cut:
            for key in ("cohort_100000_time", "cohort_100000_peak_per_process"):
                out[key]["note"] = "the 100,000-patient run was killed: its numbers are lower bounds"
    if "1000000" in cohorts:
        run = cohorts["1000000"]
        ok = not (run.get("timed_out") or run.get("failed"))
        out["cohort_1000000_completes"] = {
            "value": f"{'completed' if ok else 'timed out' if run.get('timed_out') else 'failed'} in "
                     f"{run['wall_s']} s, {run['peak_rss_mib']} MiB peak per process "
                     f"({run['peak_total_mib']} MiB all processes at once)",
            "target": "completes", "met": ok}
    return out


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv: list[str] | None = None) -> int:
    global TIMEOUT_S
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000, 1000000])
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--cohort-steps", action="store_true",
                        help="also run each cohort once through benchmarks/one_process.py (each step's time)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--merge", action="store_true",
                        help="keep the scenarios of --out that this run does not measure")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "out",
                        help="scratch folder for the project copies (git-ignored)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds before a command is killed")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies")
    args = parser.parse_args(argv)
    TIMEOUT_S = args.timeout
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    which = set(args.only)
    results: dict = {}
    if args.merge and args.out.exists():
        results = {k: v for k, v in json.loads(args.out.read_text()).items() if k != "targets"}
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
               "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    run_info = {"date": dt.datetime.now().isoformat(timespec="seconds"), "commit": git_commit(),
                "machine": machine, "repeat": args.repeat, "scenarios": sorted(which),
                **({"sizes": args.sizes} if "cohorts" in which else {})}
    # date, commit and machine of this invocation; with --merge, also those of the earlier invocations
    # whose numbers are kept (one that measured nothing but what this one measures again is dropped)
    results.update({key: run_info[key] for key in ("date", "commit", "machine")})
    earlier = [r for r in results.get("invocations", [])
               if not (set(r.get("scenarios", ())) <= which and set(r.get("sizes", ())) <= set(run_info.get("sizes", ())))]
    results["invocations"] = [*earlier, run_info] if args.merge else [run_info]

    def save() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({**results, "targets": verdicts(results)}, indent=2) + "\n")

    if which & {"one_process", "cold", "noop", "figures"}:
        results.update(bench_default(work, args.repeat, which))
        save()
    if "cohorts" in which:
        results.setdefault("cohorts", {})
        for size in args.sizes:
            results["cohorts"][str(size)] = bench_cohorts(work, size, args.repeat, args.cohort_steps)
            save()
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    save()
    for name, verdict in verdicts(results).items():
        log(f"{ {True: 'MET ', False: 'MISS', None: '??? '}[verdict['met']]} {name}: {verdict['value']} "
            f"(target {verdict['target']})")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    log(f"results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
