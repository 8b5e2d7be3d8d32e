#!/usr/bin/env python
"""Simulate a random SYNTHETIC registry export of any size (for scale and robustness tests).

    python workflow/scripts/simulate_cohort.py --patients 1000 --seed 1 --out results/sim [--format csv|xlsx]
        [--centres K] [--encoding utf-8-sig|cp1251]

CSV: one ``<table>.csv`` per table, as Russian-locale Excel writes it (``;``, decimal comma, UTF-8 with BOM).
xlsx: one ``registry_export_SYNTHETIC.xlsx``. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ino_study.synthetic import simulate_cohort, write_raw  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, required=True, help="number of patients")
    ap.add_argument("--seed", type=int, required=True, help="random seed")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    ap.add_argument("--centres", type=int, default=1, help="number of centres (>1 adds a 'centre' column)")
    ap.add_argument("--encoding", choices=("utf-8-sig", "cp1251"), default="utf-8-sig", help="CSV encoding")
    args = ap.parse_args(argv)
    if args.patients < 1 or args.centres < 1:
        ap.error("--patients and --centres must be >= 1")
    t0 = time.perf_counter()
    tables = simulate_cohort(args.patients, args.seed, centres=args.centres)
    paths = write_raw(tables, args.out, fmt=args.format, encoding=args.encoding)
    rows = ", ".join(f"{k}={len(v)}" for k, v in tables.items())
    print(f"wrote {len(paths)} file(s) to {args.out} (SYNTHETIC; {rows}) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
