"""Summarise a mutmut run as tests/mutation/score.json (called by tests/mutation/run.sh).

score = killed / (killed + not killed), where "killed" counts mutants a test failed on (or timed out
on, as mutmut counts them) and "not killed" counts survivors and mutants no test reached, less those
listed in tests/mutation/equivalent.json (mutant -> why no test can tell it from the original)."""

import json
import sys
from collections import Counter
from pathlib import Path

KILLED = {"killed", "timeout"}
NOT_KILLED = {"survived", "no tests", "suspicious"}
PACKAGES = ("ino_study.statistics", "ino_study.endpoints")


def statuses(results_text: str) -> dict[str, str]:
    """Mutant name -> status from `mutmut results --all true` ('    name: status' lines)."""
    found = {}
    for line in results_text.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            found[name] = status
    return found


def function_of(name: str) -> str:
    """The function a mutant belongs to, as mutmut names it: ino_study.endpoints.adsl.x_add_cr1_duration
    for ino_study.endpoints.adsl.x_add_cr1_duration__mutmut_12."""
    return name.rpartition("__mutmut_")[0]


def recheck_names(previous: dict, changed: frozenset[str] = frozenset(), equivalent: bool = True) -> list[str]:
    """The mutants a recheck reruns: every one the recorded run (`previous`, a score.json) did not
    kill, those judged equivalent included unless `equivalent` is False (a test written since may kill
    one: then it was not), and, as mutmut's wildcard patterns, every mutant of the `changed` functions."""
    listed = [*previous["not_killed"], *(previous["equivalent"] if equivalent else [])]
    return (sorted(name for name in listed if function_of(name) not in changed)
            + [f"{function}__mutmut_*" for function in sorted(changed)])


def after_recheck(previous: dict, recheck: dict[str, str], changed: frozenset[str] = frozenset()
                  ) -> tuple[dict[str, str], Counter]:
    """Every mutant's status and the counts, from the recorded run (`previous`, a score.json) and a
    recheck's `mutmut results --all true` (`recheck`: every mutant of today's code, 'not checked' where
    the recheck did not run it), in which every mutant of the `changed` functions ran
    (tests/mutation/changed_functions.py names them).

    score.json names every mutant the run did not kill, so any other mutant of an unchanged function
    was killed (or timed out: score.json's `other_statuses` names each mutant neither killed nor
    survived; both count as killed). A kill stands: a recheck reruns only mutants not killed, with
    tests that include the run's. A mutant the recheck did not run keeps the run's status (for one
    judged equivalent, "survived" unless `other_statuses` names another). The mutants of a changed function are
    those the recheck ran. Raises ValueError if an unchanged function has other mutants than in the
    run (compared by number: score.json's `mutants_by_function`; a score.json without it allows a
    recheck of unchanged packages only, compared by the total), or a changed function's mutants did
    not all run.

    A score.json written before `other_statuses` existed names no timeout: its timeouts (`counts`) are
    among the mutants it does not list, counted as timeouts here and carried on as `unnamed_timeouts`
    (a changed function's mutants are rerun, so one of them may be counted twice; a full run settles it)."""
    before = previous.get("mutants_by_function")
    if changed and before is None:
        raise ValueError("the recorded run does not count its mutants by function: a full run is due")
    listed = {name: "survived" for name in previous["equivalent"]} | previous["not_killed"]
    listed = {name: status for name, status in listed.items() if function_of(name) not in changed}
    unknown = set(listed) - set(recheck)
    now = Counter(function_of(name) for name in recheck)
    if before is not None:
        differ = sorted(f for f, n in now.items() if f not in changed and before.get(f) != n)
    else:
        killed_before = sum(previous["counts"].get(status, 0) for status in KILLED)
        differ = [] if len(recheck) - len(listed) == killed_before else [f"{len(recheck)} mutants in all"]
    if unknown or differ:
        raise ValueError(f"the recheck's mutants are not those of the recorded run (unknown: {sorted(unknown)[:3]}; "
                         f"other mutants than the run's in: {differ[:3]})")
    rerun = {name: status for name, status in recheck.items() if status != "not checked"}
    missed = sorted(name for name in recheck if function_of(name) in changed and name not in rerun)
    if missed:
        raise ValueError(f"mutants of changed functions not run: {missed[:3]}")
    other = previous.get("other_statuses", {})
    by_mutant = {name: rerun.get(name, other.get(name, listed.get(name, "killed"))) for name in recheck}
    counts = Counter(by_mutant.values())
    unnamed = unnamed_timeouts(previous)
    counts["killed"], counts["timeout"] = counts["killed"] - unnamed, counts["timeout"] + unnamed
    return by_mutant, +counts


def unnamed_timeouts(report: dict) -> int:
    """How many of a score.json's timeouts it does not name (all of them before `other_statuses`)."""
    if "other_statuses" not in report:
        return report["counts"].get("timeout", 0)
    return report.get("unnamed_timeouts", 0)


def summarise(by_mutant: dict[str, str], equivalent: dict[str, str], seconds: int, commit: str = "",
              tests_commit: str = "") -> dict:
    """The score over non-equivalent mutants, with every mutant not killed listed by module."""
    counts = Counter(by_mutant.values())
    not_killed = sorted(name for name, status in by_mutant.items() if status in NOT_KILLED)
    unexplained = [name for name in not_killed if name not in equivalent]
    killed = sum(counts[status] for status in KILLED)
    judged = killed + len(unexplained)
    by_package = {}
    for package in PACKAGES:
        names = [name for name in by_mutant if name.startswith(package + ".")]
        package_killed = sum(by_mutant[name] in KILLED for name in names)
        package_judged = package_killed + sum(name in unexplained for name in names)
        by_package[package] = round(package_killed / package_judged, 4) if package_judged else None
    return {
        "tool": "mutmut 3.8.1",
        "command": "bash tests/mutation/run.sh (see docs/mutation_testing.md)",
        "packages": list(PACKAGES),
        "seconds": seconds,
        "commit": commit,  # the code the run mutated
        "tests_commit": tests_commit or commit,  # the tests of the last pass (a recheck runs today's)
        "counts": dict(sorted(counts.items())),
        "score": round(killed / judged, 4) if judged else None,
        "score_by_package": by_package,
        "equivalent": {name: equivalent[name] for name in not_killed if name in equivalent},
        "not_killed": {name: by_mutant[name] for name in unexplained},
        # each mutant neither killed nor survived (timeout, no tests, suspicious): what a later recheck keeps
        "other_statuses": {name: status for name, status in sorted(by_mutant.items())
                           if status not in ("killed", "survived")},
        # how many mutants each function has: a later recheck reruns only the changed functions' mutants
        "mutants_by_function": dict(sorted(Counter(function_of(name) for name in by_mutant).items())),
    }


def stale_judgements(equivalent: dict[str, str], changed: frozenset[str]) -> list[str]:
    """The judgements of `equivalent` about mutants of a changed function: mutmut numbers a function's
    mutants from its source, so after a change the same name may be another mutation."""
    return sorted(name for name in equivalent if function_of(name) in changed)


def main(argv: list[str]) -> None:
    """score.py RESULTS EQUIVALENT SECONDS COMMIT                 -> score.json of a full run, on stdout
    score.py --recheck-names SCORE CHANGED [--not-equivalent]     -> the mutants to rerun, one a line
    score.py --after-recheck SCORE RESULTS EQUIVALENT SECONDS TESTS_COMMIT [CHANGED]
                                  -> score.json after a recheck (CHANGED: a file of changed functions)
    score.py --withdraw-stale EQUIVALENT CHANGED  -> before a recheck: judgements of the changed
                                                     functions' mutants taken out of EQUIVALENT"""
    read_json = lambda path: json.loads(Path(path).read_text(encoding="utf-8"))  # noqa: E731
    if argv[0] == "--withdraw-stale":  # before a recheck: judgements of changed functions' old mutants
        equivalent, changed = read_json(argv[1]), frozenset(Path(argv[2]).read_text().split())
        stale = stale_judgements(equivalent, changed)
        kept = {name: why for name, why in equivalent.items() if name not in stale}
        Path(argv[1]).write_text(json.dumps(kept, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{len(stale)} judgements of changed functions' mutants taken out of {argv[1]}", file=sys.stderr)
        return
    if argv[0] == "--recheck-names":
        changed = frozenset(Path(argv[2]).read_text().split())
        print("\n".join(recheck_names(read_json(argv[1]), changed, "--not-equivalent" not in argv)))
        return
    if argv[0] == "--after-recheck":
        previous = read_json(argv[1])
        changed = frozenset(Path(argv[6]).read_text().split()) if len(argv) > 6 else frozenset()
        by_mutant, counts = after_recheck(previous, statuses(Path(argv[2]).read_text()), changed)
        seconds = previous["seconds"] + int(argv[4])
        commit = argv[5] if changed else previous["commit"]  # the code mutated: today's once a function changed
        equivalent = read_json(argv[3])
        report = summarise(by_mutant, equivalent, seconds, commit, argv[5])
        report["counts"] = dict(sorted(counts.items()))
        if unnamed_timeouts(previous):
            report["unnamed_timeouts"] = unnamed_timeouts(previous)
    else:
        results, equivalent_file, seconds, commit = argv[:4]
        report = summarise(statuses(Path(results).read_text()), read_json(equivalent_file), int(seconds), commit)
    print(json.dumps(report, indent=2, sort_keys=False))


if __name__ == "__main__":
    main(sys.argv[1:])
