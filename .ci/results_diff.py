#!/usr/bin/env python3
"""What changed in the results: a run's result files against the committed ones, in Markdown.

Used by CI's results job (.github/workflows/results.yml, .gitlab-ci.yml) for the job summary:

    python .ci/results_diff.py [--ref HEAD] [--results results] [--max-rows 10] [--output FILE]
    python .ci/results_diff.py --old DIR --new DIR       # two result folders, no git

Only the kinds of result file that are committed are compared (ino_study.layout.COMMITTED_PATTERNS, as
.gitignore): summary.json and .md, tables/*.csv and *.md, data_quality/*, and the
data behind the figures, figures/data/*.csv. A file is "changed", "added" (produced, not committed)
or "removed" (committed, no longer produced). Changed CSV tables get a short diff of their values
(the rows that differ, cell by cell); figures are listed by name, through their data (images are
not committed). The comparison, `compare(old_dir, new_dir)`, needs no git; only the command line
reads the committed files from git.
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

# the committed kinds of result file, defined once in the package (ino_study.layout)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "src"))
from ino_study.layout import COMMITTED_PATTERNS, NEVER_COMMITTED, is_committed_kind  # noqa: E402,F401

FIGURE_DATA = "figures/data/"
FIGURE_FORMATS = (".png", ".svg", ".pdf")
NO_CHANGE = "No result changed."
MAX_CELL_CHARS = 60
ROW_CHARS = 160  # a whole added or removed row


def result_files(directory: Path) -> dict[str, Path]:
    """Result files of the committed kinds under `directory`, by path relative to it."""
    if not directory.is_dir():
        return {}
    files = {}
    for path in directory.rglob("*"):
        relative = path.relative_to(directory).as_posix()
        if path.is_file() and is_committed_kind(relative):
            files[relative] = path
    return dict(sorted(files.items()))


def cell(value: object, limit: int = MAX_CELL_CHARS) -> str:
    """A value as a Markdown table cell (code-formatted, cut at `limit` characters)."""
    text = str(value).replace("\r", " ").replace("\n", " ").replace("|", "\\|").replace("`", "'")
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return f"`{text}`" if text else "(empty)"


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def row_name(number: int, row: tuple) -> str:
    """A row by its number in the table (1 = first row under the header) and its leading labels.

    The labels are the row's first cells up to the first number (at most 3): e.g. the endpoint and
    covariate of a Cox table, the element and group of a figure's data."""
    labels = []
    for value in row[:3]:
        if value == "" or is_number(value):
            break
        labels.append(value)
    return f"{number + 1} ({cell(', '.join(labels))})" if labels else str(number + 1)


def read_table(path: Path) -> pd.DataFrame:
    """A CSV file as text, exactly as written (no type conversion, empty cells stay empty)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def table_diff(old_path: Path, new_path: Path, max_rows: int) -> list[str]:
    """Markdown lines: the rows of a CSV table that differ, cell by cell (at most `max_rows` rows)."""
    try:
        old, new = read_table(old_path), read_table(new_path)
    except (ValueError, pd.errors.ParserError) as error:  # EmptyDataError is a ValueError
        return [f"(not comparable as a table: {error})"]
    lines = []
    dropped = [c for c in old.columns if c not in new.columns]
    added = [c for c in new.columns if c not in old.columns]
    if dropped:
        lines.append("Columns removed: " + ", ".join(cell(c) for c in dropped) + ".")
    if added:
        lines.append("Columns added: " + ", ".join(cell(c) for c in added) + ".")
    common = [c for c in new.columns if c in old.columns]
    old_rows = [tuple(row) for row in old[common].itertuples(index=False)]
    new_rows = [tuple(row) for row in new[common].itertuples(index=False)]

    body, shown, differing = [], 0, 0
    matcher = difflib.SequenceMatcher(a=old_rows, b=new_rows, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        entries = [("changed", i1 + k, j1 + k) for k in range(pairs)]
        entries += [("removed", i, None) for i in range(i1 + pairs, i2)]
        entries += [("added", None, j) for j in range(j1 + pairs, j2)]
        for kind, i, j in entries:
            differing += 1
            if shown >= max_rows:
                continue
            shown += 1
            if kind == "changed":
                for column, before, after in zip(common, old_rows[i], new_rows[j]):
                    if before != after:
                        body.append(f"| {row_name(j, new_rows[j])} | {cell(column)} | {cell(before)} "
                                    f"| {cell(after)} |")
            elif kind == "removed":
                values = ", ".join(f"{c}={v}" for c, v in zip(common, old_rows[i]))
                body.append(f"| {row_name(i, old_rows[i])} | (row removed) | {cell(values, ROW_CHARS)} | |")
            else:
                values = ", ".join(f"{c}={v}" for c, v in zip(common, new_rows[j]))
                body.append(f"| {row_name(j, new_rows[j])} | (row added) | | {cell(values, ROW_CHARS)} |")
    if body:
        lines += [""] * bool(lines) + ["| row | column | committed | new |", "|---|---|---|---|", *body]
        if differing > shown:
            lines += ["", f"… and {differing - shown} more row(s) that differ."]
    elif not lines:
        lines.append("Same values; only the layout differs (quoting, line endings, final newline).")
    return lines


def flatten(value: object, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        items = {}
        for key, inner in value.items():
            items.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return items
    return {prefix: value}


def json_diff(old_path: Path, new_path: Path, max_rows: int) -> list[str]:
    """Markdown lines: the keys of a JSON file whose value changed."""
    try:
        old = flatten(json.loads(old_path.read_text(encoding="utf-8")))
        new = flatten(json.loads(new_path.read_text(encoding="utf-8")))
    except (ValueError, UnicodeDecodeError) as error:
        return [f"(not comparable as JSON: {error})"]
    keys = [k for k in sorted(old.keys() | new.keys()) if old.get(k, ...) != new.get(k, ...)]
    if not keys:
        return ["Same values; the file differs only in its layout."]
    body = [f"| {cell(k)} | {cell(json.dumps(old[k])) if k in old else '(absent)'} | "
            f"{cell(json.dumps(new[k])) if k in new else '(absent)'} |" for k in keys[:max_rows]]
    lines = ["| key | committed | new |", "|---|---|---|", *body]
    if len(keys) > max_rows:
        lines += ["", f"… and {len(keys) - max_rows} more key(s)."]
    return lines


def text_diff(old_path: Path, new_path: Path, max_rows: int) -> list[str]:
    """Markdown lines: a unified diff of a text file, cut at 2 x `max_rows` lines."""
    old = old_path.read_text(encoding="utf-8", errors="replace").splitlines()
    new = new_path.read_text(encoding="utf-8", errors="replace").splitlines()
    diff = list(difflib.unified_diff(old, new, "committed", "new", lineterm="", n=1))[2:]
    if not diff:
        return ["Same lines; the file differs only in its line endings or final newline."]
    limit = 2 * max_rows
    lines = ["```diff", *(line.replace("```", "'''") for line in diff[:limit]), "```"]
    if len(diff) > limit:
        lines.append(f"… and {len(diff) - limit} more diff line(s).")
    return lines


def figure_names(paths: list[str]) -> list[str]:
    return [p.removeprefix(FIGURE_DATA).removesuffix(".csv") for p in paths
            if p.startswith(FIGURE_DATA) and p.endswith(".csv")]


def figure_line(name: str, state: str, new_dir: Path) -> str:
    images = [f"`{name}{suffix}`" for suffix in FIGURE_FORMATS
              if (new_dir / "figures" / f"{name}{suffix}").is_file()]
    drawn = f" — {', '.join(images)}" if images else ""
    return f"- `{name}`: data {state}{drawn}"


def compare(old_dir: Path | str, new_dir: Path | str, max_rows: int = 10, title: str | None = None) -> str:
    """Markdown: which result files of `new_dir` changed, were added or removed against `old_dir`.

    Both are results/ folders; only the committed kinds of file are compared. Changed CSV tables
    get the rows that differ (at most `max_rows` per table), changed JSON the keys whose value
    changed, other changed text a short unified diff; figures are named by their data file.
    """
    old_dir, new_dir = Path(old_dir), Path(new_dir)
    old, new = result_files(old_dir), result_files(new_dir)
    removed = [p for p in old if p not in new]
    added = [p for p in new if p not in old]
    changed = [p for p in new if p in old and old[p].read_bytes() != new[p].read_bytes()]
    unchanged = len(old) - len(removed) - len(changed)
    heading = f"## {title or 'Results compared with the committed ones'}"
    if not (removed or added or changed):
        return f"{heading}\n\n{NO_CHANGE} ({len(old)} result files compared.)\n"

    lines = [heading, "",
             f"{len(changed)} changed, {len(added)} added, {len(removed)} removed, {unchanged} unchanged "
             f"(of {len(old)} committed result files).", ""]
    for name, paths in (("Changed", changed), ("Added (produced, not committed)", added),
                        ("Removed (committed, no longer produced)", removed)):
        if paths:
            lines += [f"### {name}", "", *(f"- `results/{p}`" for p in paths), ""]

    figures = ([figure_line(n, "changed", new_dir) for n in figure_names(changed)]
               + [figure_line(n, "added", new_dir) for n in figure_names(added)]
               + [figure_line(n, "removed", new_dir) for n in figure_names(removed)])
    if figures:
        lines += ["### Figures whose data changed", "",
                  "Images are not committed: these figures are named through their data "
                  f"(`results/{FIGURE_DATA}<figure>.csv`); the images are in the artifact.", "", *figures, ""]

    details = sorted(changed, key=lambda p: p.startswith(FIGURE_DATA))  # tables first, figure data last
    if details:
        lines += ["### What changed in each file", ""]
    for relative in details:
        if relative.endswith(".csv"):
            diff = table_diff(old[relative], new[relative], max_rows)
        elif relative.endswith(".json"):
            diff = json_diff(old[relative], new[relative], max_rows)
        else:
            diff = text_diff(old[relative], new[relative], max_rows)
        lines += [f"#### `results/{relative}`", "", *diff, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# ---- command line: the committed results come from git ---------------------------------------------

def git(*args: str, cwd: Path) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout


def committed_results(ref: str, results: Path, destination: Path) -> Path:
    """Write the result files committed at `ref` under `results` into `destination`; return it."""
    top = Path(git("rev-parse", "--show-toplevel", cwd=results.parent).decode().strip())
    prefix = results.resolve().relative_to(top.resolve()).as_posix()
    listed = git("ls-tree", "-r", "-z", "--name-only", ref, "--", prefix, cwd=top).decode()
    for path in filter(None, listed.split("\0")):
        relative = path[len(prefix) + 1:]
        if is_committed_kind(relative):
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(git("show", f"{ref}:{path}", cwd=top))
    return destination


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="the run's results folder, in a git checkout (default: results)")
    parser.add_argument("--ref", default="HEAD", help="the commit to compare with (default: HEAD)")
    parser.add_argument("--old", type=Path, help="compare with this results folder instead of git's")
    parser.add_argument("--new", type=Path, help="with --old: the new results folder (default: --results)")
    parser.add_argument("--max-rows", type=int, default=10, help="rows shown per changed table (default: 10)")
    parser.add_argument("--output", type=Path, help="write the Markdown to this file (default: print it)")
    args = parser.parse_args(argv)
    if args.max_rows < 1:
        parser.error("--max-rows must be at least 1")
    new_dir = args.new or args.results
    if not new_dir.is_dir():
        parser.error(f"no results folder at {new_dir}: run the pipeline first")
    if args.old is not None:
        text = compare(args.old, new_dir, args.max_rows)
    else:
        try:
            short = git("rev-parse", "--short", args.ref, cwd=args.results.resolve().parent).decode().strip()
            with tempfile.TemporaryDirectory() as old_dir:
                old = committed_results(args.ref, args.results, Path(old_dir))
                text = compare(old, new_dir, args.max_rows,
                               title=f"Results compared with the committed ones ({args.ref}, {short})")
        except (OSError, subprocess.CalledProcessError) as error:
            stderr = getattr(error, "stderr", b"") or b""
            print(f"results_diff: cannot read the committed results from git: {error} "
                  f"{stderr.decode(errors='replace').strip()}", file=sys.stderr)
            return 2
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
