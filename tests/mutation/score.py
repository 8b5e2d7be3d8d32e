"""Summarise a mutmut run as tests/mutation/score.json (called by tests/mutation/run.sh)."""

import json
import sys
from pathlib import Path


def summarise(stats: dict, results_text: str, equivalent: dict, seconds: int) -> dict:
    """The score over non-equivalent mutants, with every survivor listed (and why, if equivalent)."""
    survivors = sorted(
        line.split(":")[0].strip()
        for line in results_text.splitlines()
        if line.strip().endswith(": survived")
    )
    unexplained = [name for name in survivors if name not in equivalent]
    judged = stats["killed"] + len(unexplained)
    return {
        "tool": "mutmut 3.8.1",
        "packages": ["ino_study.statistics", "ino_study.endpoints"],
        "seconds": seconds,
        "counts": stats,
        "equivalent": {name: equivalent[name] for name in survivors if name in equivalent},
        "survivors_not_equivalent": unexplained,
        "score": round(stats["killed"] / judged, 4) if judged else None,
    }


if __name__ == "__main__":
    stats = json.loads(Path(sys.argv[1]).read_text())
    report = summarise(stats, Path(sys.argv[2]).read_text(), json.loads(Path(sys.argv[3]).read_text()), int(sys.argv[4]))
    print(json.dumps(report, indent=2, sort_keys=True))
