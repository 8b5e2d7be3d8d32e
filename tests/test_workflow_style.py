"""The workflow stays on Snakemake's road: every rule runs a script with log: and conda:, no run:
blocks; `snakemake --lint` and `snakefmt --check` are clean; the package imports nothing from
Snakemake and no private name of any dependency."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT

RULE_FILES = sorted((PROJECT_ROOT / "workflow" / "rules").glob("*.smk"))
PACKAGE = PROJECT_ROOT / "workflow" / "src" / "ino_study"
DEPENDENCIES = ("snakemake", "pandas", "numpy", "scipy", "lifelines", "matplotlib", "seaborn", "yaml", "pandera",
                "openpyxl", "docx", "pyarrow", "jsonschema")


def rules_of(path: Path) -> dict[str, str]:
    """Rule name -> the text of its body, from a rule file."""
    text = path.read_text(encoding="utf-8")
    starts = [(m.group(1), m.start()) for m in re.finditer(r"^rule (\w+):", text, flags=re.MULTILINE)]
    bodies = {}
    for (name, start), (_, end) in zip(starts, [*starts[1:], ("", len(text))]):
        bodies[name] = text[start:end]
    return bodies


def test_every_rule_runs_a_script_with_log_and_conda():
    rules = {name: body for path in RULE_FILES for name, body in rules_of(path).items()}
    assert len(rules) >= 10
    for name, body in rules.items():
        for directive in ("script:", "log:", "conda:"):
            assert f"    {directive}" in body, f"rule {name} has no {directive}"
        assert "    run:" not in body and "    shell:" not in body, f"rule {name} runs code other than a script"
        script = re.search(r'script:\s*\n\s*"([^"]+)"', body).group(1)
        assert (PROJECT_ROOT / "workflow" / "rules" / script).resolve().is_file(), f"rule {name}: no {script}"


def test_no_rule_file_or_profile_uses_threads_for_jobs():
    texts = [p.read_text() for p in [*RULE_FILES, PROJECT_ROOT / "Snakefile",
                                     *(PROJECT_ROOT / "profiles").rglob("*.yaml")]]
    assert not any("force-use-threads" in t or "force_use_threads" in t for t in texts)


def test_scripts_are_thin():
    """A rule's script binds snakemake.input/output/params/log to one function of the package."""
    for script in (PROJECT_ROOT / "workflow" / "scripts").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        if "snakemake." not in text:
            continue  # a command-line tool (make_reference_cohort.py, simulate_cohort.py)
        assert "run_step(" in text and "snakemake.log[0]" in text, script.name
        code_lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        assert len(code_lines) <= 12, f"{script.name}: {len(code_lines)} lines; the work belongs in the package"


def package_imports() -> list[tuple[Path, str]]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found += [(path, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def test_the_package_imports_nothing_from_snakemake():
    offenders = [f"{p.relative_to(PROJECT_ROOT)}: {name}" for p, name in package_imports()
                 if name.split(".")[0] == "snakemake"]
    assert not offenders, offenders


def test_the_package_imports_no_private_name_of_a_dependency():
    offenders = [f"{p.relative_to(PROJECT_ROOT)}: {name}" for p, name in package_imports()
                 if name.split(".")[0] in DEPENDENCIES and any(part.startswith("_") for part in name.split("."))]
    assert not offenders, offenders


def test_the_package_touches_no_private_attribute_of_a_dependency():
    """No `module._name` or `object._name` of a dependency: only our own names may start with _."""
    pattern = re.compile(r"\b(?:pd|np|plt|mpl|matplotlib|lifelines|sns|seaborn|scipy|snakemake|yaml|openpyxl|docx)"
                         r"(?:\.\w+)*\._[a-z]\w*")
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line.split("#")[0]):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert not offenders, offenders


def test_the_package_reads_no_private_attribute_of_any_object():
    """No `anything._name` outside `self`/`cls` (e.g. matplotlib's Axes._left_title, which the module
    pattern above cannot see): a private attribute of a dependency's object can change in any release."""
    offenders = []
    ours = [*PACKAGE.rglob("*.py"), *(PROJECT_ROOT / "workflow" / "scripts").glob("*.py"),
            *(PROJECT_ROOT / "benchmarks").glob("*.py")]
    for path in ours:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}: .{node.attr}")
    assert not offenders, offenders


def run_tool(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)


def test_snakefmt_check_is_clean():
    result = run_tool(sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow/rules")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_snakemake_lint_is_clean():
    result = run_tool(sys.executable, "-m", "snakemake", "--lint")
    text = result.stdout + result.stderr
    assert result.returncode == 0, text
    assert "Congratulations, your workflow is in a good condition!" in text, text


def test_each_rule_passes_the_settings_of_its_own_step():
    """A rule's params are `step_params("<its step>")`; every step of STEP_SETTINGS is some rule's."""
    from ino_study.config import STEP_SETTINGS

    used = set()
    for path in RULE_FILES:
        for name, body in rules_of(path).items():
            for step in re.findall(r'(?:step_params|scenario_settings)\("(\w+)"\)', body):
                used.add(step)
                # the two figure rules share the figures step's settings; scenario rules their step's
                assert step in (name, "figures" if name.endswith("figures") else name,
                                name.removeprefix("scenario_")), f"rule {name} passes the settings of {step}"
    assert used == set(STEP_SETTINGS)
