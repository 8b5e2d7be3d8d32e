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


def recheck_names(previous: dict) -> list[str]:
    """The mutants a recheck reruns: every one the recorded run (`previous`, a score.json) did not
    kill, those judged equivalent included (a test written since may kill one: then it was not)."""
    return sorted(set(previous["not_killed"]) | set(previous["equivalent"]))


def after_recheck(previous: dict, recheck: dict[str, str]) -> tuple[dict[str, str], Counter]:
    """Every mutant's status and the counts, from the recorded run (`previous`, a score.json) and a
    recheck's `mutmut results --all true` (`recheck`: every mutant of the same code, 'not checked'
    where the recheck did not run it).

    score.json names every mutant the run did not kill, so any other mutant was killed (or timed out:
    both count as killed; the counts carry the run's split). A kill stands: a recheck reruns only
    mutants not killed, on the same code, with tests that include the run's. A listed mutant the
    recheck did not run keeps the run's count; its status here is the run's, or for one judged
    equivalent (score.json keeps the reason, not the status) a stand-in, "survived". Raises ValueError if the recheck's mutants are not the run's."""
    listed = {name: "survived" for name in previous["equivalent"]} | previous["not_killed"]
    unknown = set(listed) - set(recheck)
    killed_before = sum(previous["counts"].get(status, 0) for status in KILLED)
    if unknown or len(recheck) - len(listed) != killed_before:
        raise ValueError(f"the recheck's mutants are not those of the recorded run ({len(recheck)} mutants, "
                         f"{len(listed)} listed not killed, {killed_before} killed; unknown: {sorted(unknown)[:3]})")
    rerun = {name: status for name, status in recheck.items() if status != "not checked"}
    by_mutant = {name: rerun.get(name, listed.get(name, "killed")) for name in recheck}
    counts = Counter(previous["counts"])
    counts.subtract(listed[name] for name in rerun)
    counts.update(rerun.values())
    return by_mutant, +counts


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


def main(argv: list[str]) -> None:
    """score.py RESULTS EQUIVALENT SECONDS COMMIT                 -> score.json of a full run, on stdout
    score.py --recheck-names SCORE                                -> the mutants to rerun, one a line
    score.py --after-recheck SCORE RESULTS EQUIVALENT SECONDS TESTS_COMMIT -> score.json after a recheck"""
    read_json = lambda path: json.loads(Path(path).read_text(encoding="utf-8"))  # noqa: E731
    if argv[0] == "--recheck-names":
        print("\n".join(recheck_names(read_json(argv[1]))))
        return
    if argv[0] == "--after-recheck":
        previous = read_json(argv[1])
        by_mutant, counts = after_recheck(previous, statuses(Path(argv[2]).read_text()))
        seconds = previous["seconds"] + int(argv[4])
        report = summarise(by_mutant, read_json(argv[3]), seconds, previous["commit"], argv[5])
        report["counts"] = dict(sorted(counts.items()))
    else:
        results, equivalent_file, seconds, commit = argv[:4]
        report = summarise(statuses(Path(results).read_text()), read_json(equivalent_file), int(seconds), commit)
    print(json.dumps(report, indent=2, sort_keys=False))


if __name__ == "__main__":
    main(sys.argv[1:])
