"""environment.yml (conda) and requirements.txt (pip) pin the same versions; README and CI agree."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pip_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def conda_pins(path: Path) -> dict[str, str]:
    spec = yaml.safe_load(path.read_text())
    pins = {}
    for item in spec["dependencies"]:
        if isinstance(item, str) and "=" in item:
            name, version = item.split("=", 1)
            pins[name.lower()] = version
        elif isinstance(item, dict):  # what conda installs from PyPI with pip
            for requirement in item["pip"]:
                name, version = requirement.split("==")
                pins[name.lower()] = version
    return pins


def test_environment_yml_matches_requirements():
    conda = conda_pins(ROOT / "environment.yml")
    conda.pop("python")
    assert conda == pip_pins()


def test_rule_environment_matches_requirements():
    conda = conda_pins(ROOT / "workflow/envs/ino-study.yaml")
    conda.pop("python")
    assert conda == pip_pins()


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
