"""The mutation-testing tooling of issue #25 (tests/mutation/): the test selection mutmut runs covers
every test file that calls the mutated packages, and the score is computed as docs/mutation_testing.md
says."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# Test files that import the packages but are left out of the mutation run, and why.
LEFT_OUT = {
    "tests/test_figures.py": "draws whole figures (about 45 s a mutant) and checks drawing, not numbers",
    "tests/test_figure_text_layout.py": "draws 132 figures and checks text placement, not numbers",
    "tests/test_russian_figures.py": "draws every figure in Russian and checks its words and glyphs, not numbers",
}


def load_score_module():
    spec = importlib.util.spec_from_file_location("mutation_score", TESTS / "mutation" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_test_file_of_the_mutated_packages_is_selected_or_left_out_with_a_reason():
    config = tomllib.loads((TESTS / "mutation" / "mutmut.toml").read_text())["tool"]["mutmut"]
    selected = set(config["pytest_add_cli_args_test_selection"])
    importing = {
        f"tests/{path.name}" for path in TESTS.glob("test_*.py")
        if re.search(r"^\s*(from|import) ino_study\.(statistics|endpoints)\b", path.read_text(encoding="utf-8"), re.M)
    }
    assert importing - selected - set(LEFT_OUT) == set()
    assert all((TESTS.parent / name).is_file() for name in selected)
    assert not selected & set(LEFT_OUT)


def test_a_recheck_replaces_only_the_mutants_it_ran():
    score = load_score_module()
    first = {"a": "killed", "b": "survived", "c": "no tests", "d": "survived"}
    recheck = {"a": "not checked", "b": "killed", "c": "survived", "d": "not checked"}
    assert score.combined(first, recheck) == {"a": "killed", "b": "killed", "c": "survived", "d": "survived"}


def test_the_names_to_recheck_are_those_not_killed_and_not_equivalent():
    score = load_score_module()
    statuses = {"x.a": "killed", "x.b": "survived", "x.c": "no tests", "x.d": "timeout", "x.e": "survived"}
    assert score.not_killed(statuses, {"x.e": "a dtype every caller passes"}) == ["x.b", "x.c"]


def test_the_score_leaves_equivalent_mutants_out_and_counts_timeouts_as_killed():
    score = load_score_module()
    statuses = {
        "ino_study.statistics.f__mutmut_1": "killed", "ino_study.statistics.f__mutmut_2": "timeout",
        "ino_study.statistics.f__mutmut_3": "survived", "ino_study.statistics.f__mutmut_4": "survived",
        "ino_study.endpoints.g__mutmut_1": "killed", "ino_study.endpoints.g__mutmut_2": "no tests",
    }
    report = score.summarise(statuses, {"ino_study.statistics.f__mutmut_4": "why"}, 60)
    # statistics: 2 killed of 3 judged (one equivalent left out); endpoints: 1 of 2; all: 3 of 5.
    assert report["score_by_package"] == {"ino_study.statistics": round(2 / 3, 4), "ino_study.endpoints": 0.5}
    assert report["score"] == 0.6
    assert report["not_killed"] == {"ino_study.endpoints.g__mutmut_2": "no tests",
                                    "ino_study.statistics.f__mutmut_3": "survived"}
