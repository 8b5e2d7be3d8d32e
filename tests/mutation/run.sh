#!/usr/bin/env bash
# Mutation testing of ino_study/statistics/ and ino_study/endpoints/ against their fast tests (issue
# #25), with mutmut. mutmut imports the mutated code from ./src (or ./), so this runs it in a staged
# copy of the project in src layout (.mutation/); the working tree is not touched. Writes
# tests/mutation/score.json (score, counts, survivors). Usage, from the project root:
#   python -m venv .venv-mutation && .venv-mutation/bin/pip install -r requirements.txt mutmut==3.8.1
#   PATH=$PWD/.venv-mutation/bin:$PATH bash tests/mutation/run.sh [max-children]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
stage="$root/.mutation"
children=${1:-2}

rm -rf "$stage" && mkdir -p "$stage"
cp -r "$root"/{Snakefile,config.yaml,config,data,docs,README.md,workflow,profiles,benchmarks,tests} "$stage"/
cp -r "$root/workflow/src" "$stage/src"
find "$stage" -name __pycache__ -prune -exec rm -rf {} +
sed 's|^pythonpath = \["workflow/src"\]|pythonpath = ["src"]|' "$root/pyproject.toml" > "$stage/pyproject.toml"
cat "$root/tests/mutation/mutmut.toml" >> "$stage/pyproject.toml"
grep -q '^pythonpath = \["src"\]' "$stage/pyproject.toml"

cd "$stage"
start=$(date +%s)
mutmut run --max-children "$children"
mutmut results --all true > mutmut-results.txt
python "$root/tests/mutation/score.py" mutmut-results.txt \
  "$root/tests/mutation/equivalent.json" "$(( $(date +%s) - start ))" "$(git -C "$root" rev-parse HEAD)" \
  > "$root/tests/mutation/score.json"
head -20 "$root/tests/mutation/score.json"
