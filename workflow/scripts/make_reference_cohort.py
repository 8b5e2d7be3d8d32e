#!/usr/bin/env python
"""Write the SYNTHETIC reference registry export (the default input of the pipeline).

    python workflow/scripts/make_reference_cohort.py --out data/synthetic/ino_registry_export_SYNTHETIC.xlsx

The clinical facts are fixed (``ino_study.synthetic.REFERENCE_PATIENTS``); the seed only decides how the
cells are formatted (text vs. date cells, decimal commas, codes). Output is byte-identical for a seed.
With ``--messiness-log FILE`` the list of deliberate irregularities (cell by cell) is written as markdown;
with ``--update-readme data/synthetic/README.md`` the same list replaces the block between the
``<!-- messiness:begin -->`` and ``<!-- messiness:end -->`` markers of that README.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ino_study.synthetic import build_reference_cohort, messiness_markdown, write_registry_workbook  # noqa: E402

DEFAULT_OUT = "data/synthetic/ino_registry_export_SYNTHETIC.xlsx"
DEFAULT_SEED = 20230201


BEGIN, END = "<!-- messiness:begin -->", "<!-- messiness:end -->"


def update_readme(path: Path, block: str) -> None:
    """Replace the text between the BEGIN and END markers of ``path`` with ``block``."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{block}{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help=f"output .xlsx (default {DEFAULT_OUT})")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"formatting seed (default {DEFAULT_SEED})")
    ap.add_argument("--messiness-log", default=None, help="also write the cell-by-cell irregularity list (markdown)")
    ap.add_argument("--update-readme", default=None, help="rewrite the generated messiness block of this README")
    args = ap.parse_args(argv)
    log = write_registry_workbook(build_reference_cohort(), args.out, seed=args.seed)
    if args.messiness_log:
        Path(args.messiness_log).write_text(messiness_markdown(log), encoding="utf-8")
    if args.update_readme:
        update_readme(Path(args.update_readme), messiness_markdown(log))
    print(f"wrote {args.out} (SYNTHETIC, seed {args.seed}, {len(log)} deliberate irregularities)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
