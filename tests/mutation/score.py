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


def combined(first: dict[str, str], recheck: dict[str, str]) -> dict[str, str]:
    """The first run's statuses, with those of a recheck (`run.sh --recheck`) where it ran the mutant.

    A recheck reruns only the mutants the first run did not kill, on the same code, with a test
    selection that contains the first one's; the first run's kills stand (more tests cannot revive a
    mutant), and mutmut lists every mutant the recheck did not run as 'not checked'."""
    return {name: recheck[name] if recheck.get(name, "not checked") != "not checked" else status
            for name, status in first.items()}


def not_killed(by_mutant: dict[str, str], equivalent: dict[str, str]) -> list[str]:
    """The mutants to recheck: not killed and not judged equivalent."""
    return sorted(name for name, status in by_mutant.items() if status in NOT_KILLED and name not in equivalent)


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
    }


if __name__ == "__main__":
    # score.py RESULTS[,RECHECK] EQUIVALENT SECONDS COMMIT [TESTS_COMMIT]   -> score.json on stdout
    # score.py --not-killed RESULTS EQUIVALENT               -> the names to recheck, one a line
    if sys.argv[1] == "--not-killed":
        names = not_killed(statuses(Path(sys.argv[2]).read_text()), json.loads(Path(sys.argv[3]).read_text()))
        print("\n".join(names))
        sys.exit(0)
    results, equivalent_file, seconds, commit = sys.argv[1:5]
    tests_commit = sys.argv[5] if len(sys.argv) > 5 else commit
    runs = [statuses(Path(name).read_text()) for name in results.split(",")]
    by_mutant = combined(*runs) if len(runs) == 2 else runs[0]
    report = summarise(by_mutant, json.loads(Path(equivalent_file).read_text()), int(seconds), commit, tests_commit)
    print(json.dumps(report, indent=2, sort_keys=False))
