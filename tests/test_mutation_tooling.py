"""The mutation-testing tooling of issue #25 (tests/mutation/): the test selection mutmut runs covers
every test file that calls the mutated packages, and the score is computed as docs/mutation_testing.md
says."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# Test files that import the packages but are left out of the mutation run, and why.
LEFT_OUT = {
    "tests/test_figures.py": "draws whole figures (about 45 s a mutant) and checks drawing, not numbers",
    "tests/test_figure_text_layout.py": "draws 132 figures and checks text placement, not numbers",
    "tests/test_russian_figures.py": "draws every figure in Russian and checks its words and glyphs, not numbers",
    "tests/test_export_analysis_datasets.py": "checks how the CSV copies are written from the Parquet files "
                                              "(outputs.io, steps, the DAG), not the derivation's numbers",
    "tests/test_output_speed.py": "compares the output steps' columnar helpers (tables, figure reads, XLSX/DOCX) "
                                  "with the code they replaced; statistics and endpoints only as helpers",
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


RECORDED = {  # a score.json: 3 killed (one by timeout), 2 survived (one judged equivalent), 1 no tests
    "commit": "abc", "seconds": 100,
    "counts": {"killed": 2, "timeout": 1, "survived": 2, "no tests": 1},
    "equivalent": {"ino_study.statistics.f__mutmut_4": "why"},
    "not_killed": {"ino_study.statistics.f__mutmut_3": "survived", "ino_study.endpoints.g__mutmut_2": "no tests"},
}
ALL_MUTANTS = ["ino_study.statistics.f__mutmut_1", "ino_study.statistics.f__mutmut_2",
               "ino_study.statistics.f__mutmut_3", "ino_study.statistics.f__mutmut_4",
               "ino_study.endpoints.g__mutmut_1", "ino_study.endpoints.g__mutmut_2"]


def test_a_recheck_reruns_every_mutant_the_recorded_run_did_not_kill():
    score = load_score_module()
    assert score.recheck_names(RECORDED) == ["ino_study.endpoints.g__mutmut_2", "ino_study.statistics.f__mutmut_3",
                                             "ino_study.statistics.f__mutmut_4"]


def test_a_recheck_changes_only_the_mutants_it_ran_and_keeps_the_recorded_counts_of_the_rest():
    score = load_score_module()
    recheck = dict.fromkeys(ALL_MUTANTS, "not checked") | {
        "ino_study.statistics.f__mutmut_3": "killed", "ino_study.endpoints.g__mutmut_2": "survived"}
    by_mutant, counts = score.after_recheck(RECORDED, recheck)
    assert by_mutant == {"ino_study.statistics.f__mutmut_1": "killed", "ino_study.statistics.f__mutmut_2": "killed",
                         "ino_study.statistics.f__mutmut_3": "killed", "ino_study.statistics.f__mutmut_4": "survived",
                         "ino_study.endpoints.g__mutmut_1": "killed", "ino_study.endpoints.g__mutmut_2": "survived"}
    # f_3 survived -> killed; g_2 no tests -> survived; the timeout of the run is still counted as one.
    assert dict(counts) == {"killed": 3, "timeout": 1, "survived": 2}
    report = score.summarise(by_mutant, RECORDED["equivalent"], 1)
    assert report["score_by_package"] == {"ino_study.statistics": 1.0, "ino_study.endpoints": 0.5}


def test_a_recheck_of_other_mutants_than_the_recorded_run_is_refused():
    score = load_score_module()
    with pytest.raises(ValueError, match="not those of the recorded run"):  # one mutant more than the run had
        score.after_recheck(RECORDED, dict.fromkeys([*ALL_MUTANTS, "ino_study.endpoints.g__mutmut_3"], "not checked"))
    with pytest.raises(ValueError, match="unknown"):  # a listed survivor the recheck does not know
        score.after_recheck(RECORDED, dict.fromkeys([*ALL_MUTANTS[:2], *ALL_MUTANTS[3:], "x.y__mutmut_1"], "killed"))


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


def test_the_score_names_the_mutated_code_and_the_tests_that_ran():
    score = load_score_module()
    statuses = {"ino_study.statistics.f__mutmut_1": "killed"}
    assert score.summarise(statuses, {}, 1, "abc")["tests_commit"] == "abc"  # one pass: the same commit
    report = score.summarise(statuses, {}, 1, "abc", "def")  # a recheck with later tests
    assert (report["commit"], report["tests_commit"]) == ("abc", "def")


def load_changed_functions_module():
    spec = importlib.util.spec_from_file_location("changed_functions", TESTS / "mutation" / "changed_functions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODULE_BEFORE = """
LIMIT = 3


def first(x):
    return x + 1  # one


class Rules:
    kind = "a"

    def method(self):
        return 2


def second(y):
    return y * 2
"""


@pytest.mark.parametrize("edit, changed", [
    # comments, blank lines and moving a function do not change its mutants
    (lambda s: s.replace("# one", "# a comment").replace("\n\n\ndef first", "\n\n\n\ndef first"), []),
    # a changed body: that function only
    (lambda s: s.replace("y * 2", "y * 3"), ["m.x_second"]),
    # a method: mutmut's name for it
    (lambda s: s.replace("return 2", "return 3"), ["m.xǁRulesǁmethod"]),
    # code outside the functions (a constant, a class attribute): every function of the module
    (lambda s: s.replace("LIMIT = 3", "LIMIT = 4"), ["m.x_first", "m.x_second", "m.xǁRulesǁmethod"]),
    (lambda s: s.replace('kind = "a"', 'kind = "b"'), ["m.x_first", "m.x_second", "m.xǁRulesǁmethod"]),
    # a new function
    (lambda s: s + "\n\ndef third():\n    return 0\n", ["m.x_third"]),
])
def test_the_functions_a_recheck_reruns_are_those_whose_source_changed(edit, changed):
    module = load_changed_functions_module()
    assert module.changed_functions({"m": MODULE_BEFORE}, {"m": edit(MODULE_BEFORE)}) == changed
    # a new module: all of its functions
    assert module.changed_functions({}, {"m": MODULE_BEFORE}) == ["m.x_first", "m.x_second", "m.xǁRulesǁmethod"]


def test_a_recheck_after_a_change_reruns_every_mutant_of_the_changed_functions():
    score = load_score_module()
    recorded = RECORDED | {"mutants_by_function": {"ino_study.statistics.f": 4, "ino_study.endpoints.g": 2},
                           "other_statuses": {"ino_study.statistics.f__mutmut_2": "timeout"}}
    changed = frozenset({"ino_study.endpoints.g"})
    assert score.recheck_names(recorded, changed) == [
        "ino_study.statistics.f__mutmut_3", "ino_study.statistics.f__mutmut_4", "ino_study.endpoints.g__mutmut_*"]
    # g now has three mutants, all run; f's survivors rerun, its kills and its timeout stand
    recheck = {"ino_study.statistics.f__mutmut_1": "not checked", "ino_study.statistics.f__mutmut_2": "not checked",
               "ino_study.statistics.f__mutmut_3": "survived", "ino_study.statistics.f__mutmut_4": "survived",
               "ino_study.endpoints.g__mutmut_1": "killed", "ino_study.endpoints.g__mutmut_2": "killed",
               "ino_study.endpoints.g__mutmut_3": "survived"}
    by_mutant, counts = score.after_recheck(recorded, recheck, changed)
    assert by_mutant["ino_study.statistics.f__mutmut_2"] == "timeout"
    assert dict(counts) == {"killed": 3, "timeout": 1, "survived": 3}
    report = score.summarise(by_mutant, recorded["equivalent"], 1)
    assert report["mutants_by_function"] == {"ino_study.endpoints.g": 3, "ino_study.statistics.f": 4}
    assert report["other_statuses"] == {"ino_study.statistics.f__mutmut_2": "timeout"}
    # after a code change, a quick recheck may leave the equivalent mutants as they were
    assert score.recheck_names(recorded, changed, equivalent=False) == [
        "ino_study.statistics.f__mutmut_3", "ino_study.endpoints.g__mutmut_*"]
    # a changed function whose mutants did not all run, and an unchanged one with other mutants, are refused
    with pytest.raises(ValueError, match="not run"):
        score.after_recheck(recorded, recheck | {"ino_study.endpoints.g__mutmut_3": "not checked"}, changed)
    with pytest.raises(ValueError, match="other mutants"):
        score.after_recheck(recorded, recheck | {"ino_study.statistics.f__mutmut_5": "not checked"}, changed)
    # a judgement of a changed function's mutant is about a mutation that may no longer bear its name
    assert score.stale_judgements({"ino_study.endpoints.g__mutmut_2": "why", "ino_study.statistics.f__mutmut_4": "why"},
                                  changed) == ["ino_study.endpoints.g__mutmut_2"]
    # a score.json without counts by function cannot say which mutants a change leaves as they were
    with pytest.raises(ValueError, match="full run"):
        score.after_recheck(RECORDED, recheck, changed)


def test_a_recheck_runs_the_changed_functions_of_committed_code():
    """run.sh --recheck compares today's committed packages with the recorded run's commit function by
    function (changed_functions.py) and passes the changed ones to score.py; uncommitted changes in the
    packages are refused (score.json names a commit), and a stage of other code is staged anew."""
    text = (TESTS / "mutation" / "run.sh").read_text(encoding="utf-8")
    assert "MUTATED=(workflow/src/ino_study/statistics workflow/src/ino_study/endpoints)" in text
    recheck = text[text.index("if [ $mode = recheck ]"):]
    assert 'git -C "$root" diff --quiet HEAD -- "${MUTATED[@]}"' in recheck
    assert 'changed_functions.py" "$run_commit"' in recheck
    assert recheck.index("changed_functions.py") < recheck.index("mutmut run") < recheck.index("--after-recheck")
    # the judgements of changed functions' old mutants are withdrawn before the run, not after it (a
    # judgement written after the recheck is of today's mutants)
    assert recheck.index("--withdraw-stale") < recheck.index("mutmut run")
    assert 'git -C "$root" diff --quiet "$(cat "$stage/commit")" -- "${MUTATED[@]}"' in recheck


def test_the_recorded_run_kills_at_least_85_percent_of_each_package():
    """Issue #25's bar, on the committed tests/mutation/score.json: a finished run (every mutant judged)
    in which each package's score, killed / (killed + survivors not judged equivalent), is at least 0.85,
    and every equivalent mutant left out of the score carries its reason."""
    import json

    report = json.loads((TESTS / "mutation" / "score.json").read_text(encoding="utf-8"))
    assert "not checked" not in report["counts"]
    assert set(report["score_by_package"]) == {"ino_study.statistics", "ino_study.endpoints"}
    assert all(score >= 0.85 for score in report["score_by_package"].values()), report["score_by_package"]
    assert all(reason.strip() for reason in report["equivalent"].values())
