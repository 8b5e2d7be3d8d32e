"""Exact rerun semantics, read from Snakemake's own dry-run job lists.

After a complete run, a change must rerun exactly the jobs it can affect, no more and no fewer:

- nothing, when nothing changed;
- ``mrd_threshold_percent``: ``derive_endpoints`` and everything downstream of it, never
  ``clean_records``;
- a figure-only setting (``figures.dpi``, ``figures.formats``): only figure rules and what is
  downstream of them (the report);
- an edit of one rule's script: that rule and its descendants only; so does an edit of a package
  module the rule runs (its ``code`` inputs); a comment in a rule file: nothing.

"Downstream" is read from Snakemake's own rule graph (``--rulegraph``), so the tests keep covering
rules added later (figures, tables, report) without being edited. Rules pass only the config keys
they use as ``params`` (``step_params`` in workflow/rules/common.smk, from ``ino_study.config.STEP_SETTINGS``), and Snakemake's default
rerun triggers (mtime, params, input, software-env, code) do the rest.

Every dry run here is read-only; the code-edit test works on its own copy of the finished run.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import run_snakemake

pytestmark = pytest.mark.slow

FIGURE_OUTPUT_PREFIX = "results/figures/"
# provenance.json records the whole configuration: any config change rewrites it, by design.
RECORDS_WHOLE_CONFIG = {"provenance"}


def check_exact(jobs: dict[str, int], expected: set[str], allowed: set[str] | None = None) -> None:
    """Scheduled rules == expected (plus RECORDS_WHOLE_CONFIG)."""
    allowed = expected if allowed is None else allowed
    scheduled = set(jobs) - RECORDS_WHOLE_CONFIG
    missing = expected - set(jobs) if allowed is expected else set()
    extra = scheduled - allowed
    assert not missing, f"not rerun: {sorted(missing)} (scheduled {sorted(jobs)})"
    assert not extra, f"rerun although unaffected: {sorted(extra)} (expected {sorted(expected)})"
_TABLE_ROW = re.compile(r"^(\S+)\s+(\d+)\s*$")
_NODE = re.compile(r'^\s*(\d+)\[label = "([^"]+)"')
_EDGE = re.compile(r"^\s*(\d+) -> (\d+)")


def scheduled_jobs(workdir: Path, *args: str) -> dict[str, int]:
    """Rule -> number of jobs Snakemake would run now (from ``snakemake -n --quiet rules``)."""
    result = run_snakemake(workdir, "--dry-run", "--quiet", "rules", *args)
    text = result.stdout + "\n" + result.stderr
    if "Nothing to be done" in text:
        return {}
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if re.match(r"^job\s+count\s*$", line.strip()))
    except StopIteration:
        raise AssertionError(f"no job table in the dry run's output:\n{text[-4000:]}") from None
    jobs: dict[str, int] = {}
    for line in lines[start + 2:]:
        match = _TABLE_ROW.match(line.strip())
        if not match:
            break
        if match.group(1) == "total":
            break
        jobs[match.group(1)] = int(match.group(2))
    assert jobs, f"empty job table:\n{text[-4000:]}"
    return jobs


def rule_graph(workdir: Path) -> dict[str, set[str]]:
    """Rule -> the rules that consume its outputs directly (from ``snakemake --rulegraph``)."""
    result = run_snakemake(workdir, "--rulegraph")
    names: dict[str, str] = {}
    children: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        if node := _NODE.match(line):
            names[node.group(1)] = node.group(2)
            children.setdefault(node.group(2), set())
    for line in result.stdout.splitlines():
        if edge := _EDGE.match(line):
            children[names[edge.group(1)]].add(names[edge.group(2)])
    assert names, f"no rule graph in:\n{result.stdout[-2000:]}"
    return children


def with_descendants(graph: dict[str, set[str]], roots: set[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        rule = stack.pop()
        if rule not in seen:
            seen.add(rule)
            stack.extend(graph.get(rule, ()))
    return seen


def rules_of_outputs(workdir: Path) -> dict[str, set[str]]:
    """Rule -> its output files, from ``snakemake --summary`` (one row per output file)."""
    result = run_snakemake(workdir, "--summary")
    outputs: dict[str, set[str]] = {}
    for line in result.stdout.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) >= 3:
            outputs.setdefault(fields[2], set()).add(fields[0])
    return outputs


def figure_rules(workdir: Path) -> set[str]:
    """Rules that draw figures: an output under results/figures/ or 'figure'/'plot' in the name."""
    by_outputs = {rule for rule, files in rules_of_outputs(workdir).items()
                  if any(f.startswith(FIGURE_OUTPUT_PREFIX) for f in files)}
    by_name = {rule for rule in rule_graph(workdir) if "figure" in rule or "plot" in rule}
    return by_outputs | by_name


def test_complete_run_schedules_nothing(default_run):
    assert scheduled_jobs(default_run) == {}


def test_complete_run_is_fully_recorded(default_run):
    """Every output has metadata and is up to date (``--summary`` plans no update anywhere)."""
    result = run_snakemake(default_run, "--summary")
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:] if line.strip()]
    assert rows
    stale = [row for row in rows if len(row) >= 6 and row[5] != "no update"]
    assert not stale, stale


def test_mrd_threshold_reruns_derive_endpoints_and_downstream_only(default_run):
    graph = rule_graph(default_run)
    # the sensitivity scenarios inherit the main threshold unless they override it, so their
    # analysis reruns too; nobody's reading and cleaning does
    expected = with_descendants(graph, {"derive_endpoints", "scenario_analysis"})
    jobs = scheduled_jobs(default_run, "--config", "mrd_threshold_percent=0.1")
    assert "clean_records" not in jobs and "scenario_clean_records" not in jobs
    check_exact(jobs, expected)


def _figure_setting_change(workdir: Path, setting: str) -> dict:
    """A config override changing one figure-only setting to a value other than the current one."""
    figures = yaml.safe_load((workdir / "config.yaml").read_text()).get("figures", {})
    if setting == "dpi":
        return {"figures": {"dpi": int(figures.get("dpi", 300)) // 2}}
    formats = list(figures.get("formats", ["png"]))
    return {"figures": {"formats": formats[:-1] if len(formats) > 1 else formats + ["svg" if "svg" not in formats else "pdf"]}}


@pytest.mark.parametrize("setting", ["dpi", "formats"])
def test_figure_only_setting_reruns_figures_and_report_only(default_run, tmp_path, setting):
    figures = figure_rules(default_run)
    assert {"cohort_figures", "figures"} <= figures, f"figure rules found: {sorted(figures)}"
    graph = rule_graph(default_run)
    allowed = with_descendants(graph, figures)
    override = tmp_path / f"figures_{setting}.yaml"
    override.write_text(yaml.safe_dump(_figure_setting_change(default_run, setting)))
    # --configfile merges into config.yaml key by key (the README's "your own settings file").
    jobs = scheduled_jobs(default_run, "--configfile", str(override))
    assert jobs, "a figure-only setting changed and nothing is scheduled: figure rules must pass it as params"
    assert set(jobs) & figures, f"no figure rule reruns: {sorted(jobs)}"
    for upstream in ("clean_records", "derive_endpoints", "survival_statistics"):
        assert upstream not in jobs
    check_exact(jobs, figures, allowed=allowed)


def test_table1_setting_reruns_the_tables_only(default_run):
    """`table1_by` is a Table 1 setting: the tables rule (and what reads its files) reruns, nothing else."""
    graph = rule_graph(default_run)
    jobs = scheduled_jobs(default_run, "--config", "table1_by=sex")
    assert "tables" in jobs
    check_exact(jobs, {"tables"}, allowed=with_descendants(graph, {"tables"}))


@pytest.fixture()
def edited_run(default_run, tmp_path) -> Path:
    """A copy of the finished default run (outputs, metadata, mtimes) in which a rule can be edited."""
    copy = tmp_path / "edited"
    shutil.copytree(default_run, copy, symlinks=True, ignore=shutil.ignore_patterns("locks", "incomplete"))
    return copy


def test_copy_of_finished_run_schedules_nothing(edited_run):
    assert scheduled_jobs(edited_run) == {}


def test_edit_of_a_rule_script_reruns_that_rule_and_descendants_only(edited_run):
    graph = rule_graph(edited_run)
    expected = with_descendants(graph, {"survival_statistics"})
    script = edited_run / "workflow/scripts/survival_statistics.py"
    script.write_text(script.read_text() + "_no_op = None  # changes the rule's code, not its results\n")
    jobs = scheduled_jobs(edited_run)
    assert set(jobs) == expected, f"scheduled {sorted(jobs)}, expected {sorted(expected)}"
    assert not {"clean_records", "derive_endpoints"} & set(jobs)


def rules_given_file(workdir: Path, path: str) -> set[str]:
    """The rules that take `path` as an input, read from a dry run of every job (``--forceall``)."""
    result = run_snakemake(workdir, "--dry-run", "--forceall")
    rules, current = set(), None
    for line in result.stdout.splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):$", line.strip()):
            current = match.group(1)
        elif current and line.strip().startswith("input:") and path in line:
            rules.add(current)
    return rules


def test_edit_of_a_package_module_reruns_the_rules_that_run_it(edited_run):
    """statistics/kaplan_meier.py is a `code` input of the statistics, figures and scenario rules:
    exactly those rerun, with what depends on them, never the records or the endpoints."""
    graph = rule_graph(edited_run)
    relative = "workflow/src/ino_study/statistics/kaplan_meier.py"
    roots = rules_given_file(edited_run, relative)
    assert {"survival_statistics", "transplant_and_competing_risks", "cohort_figures", "figures",
            "scenario_analysis"} <= roots, sorted(roots)
    module = edited_run / relative
    module.write_text(module.read_text() + "\n# edited\n")
    jobs = scheduled_jobs(edited_run)
    assert roots <= set(jobs), sorted(jobs)
    check_exact(jobs, roots, allowed=with_descendants(graph, roots))
    assert not {"clean_records", "derive_endpoints"} & set(jobs)


def test_comment_in_a_rule_file_reruns_nothing(edited_run):
    """Comments are not code: Snakemake compares the rules' code, not the text of their files."""
    rule_file = edited_run / "workflow/rules/statistics.smk"
    rule_file.write_text(rule_file.read_text() + "\n# a comment only\n")
    assert scheduled_jobs(edited_run) == {}


def test_every_rule_writing_in_the_configured_language_takes_the_catalogue_as_code(edited_run):
    """A step that reads config `language` writes reader text through the translation catalogue: a
    corrected term must rerun it (clean_records and tables once did not list the catalogue)."""
    from ino_study.config import STEP_SETTINGS

    writers = {step for step, keys in STEP_SETTINGS.items() if "language" in keys}
    given = rules_given_file(edited_run, "workflow/src/ino_study/outputs/translations/ru.csv")
    assert writers and writers - given == set(), sorted(writers - given)
