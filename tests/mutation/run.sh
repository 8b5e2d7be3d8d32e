#!/usr/bin/env bash
# Mutation testing of ino_study/statistics/ and ino_study/endpoints/ against their fast tests (issue
# #25), with mutmut. mutmut imports the mutated code from ./src (or ./), so this runs it in a staged
# copy of the project in src layout (.mutation/); the working tree is not touched. Writes
# tests/mutation/score.json (score, counts, survivors). Usage, from the project root:
#   python -m venv .venv-mutation && .venv-mutation/bin/pip install -r requirements.txt mutmut==3.8.1
#   PATH=$PWD/.venv-mutation/bin:$PATH bash tests/mutation/run.sh [max-children]
#   PATH=$PWD/.venv-mutation/bin:$PATH bash tests/mutation/run.sh --resume [max-children]
#   PATH=$PWD/.venv-mutation/bin:$PATH bash tests/mutation/run.sh --recheck [max-children]
#   PATH=$PWD/.venv-mutation/bin:$PATH bash tests/mutation/run.sh --recheck-changed [max-children]
# --resume continues an interrupted run in its stage (mutmut keeps each mutant's result as it comes).
# --recheck reruns the mutants the recorded run (the committed score.json) did not kill, those judged
# equivalent included, with today's tests, test selection (tests/mutation/mutmut.toml) and code outside the
# two mutated packages, in the stage if its code is today's, else in a new stage of today's code (a
# clean clone can recheck). Where a function of statistics/ or endpoints/ changed since the run's commit
# (tests/mutation/changed_functions.py), it reruns all of that function's mutants too. score.json then
# combines the two (tests/mutation/score.py) and names both commits. --recheck-changed: the same, but the
# mutants judged equivalent keep their recorded status (quicker, after a code change).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
stage="$root/.mutation"
mode=full
equivalent=""
case "${1:-}" in
  --recheck) mode=recheck; shift ;;
  --recheck-changed) mode=recheck; equivalent=--not-equivalent; shift ;;
  --resume) mode=resume; shift ;;
esac
children=${1:-2}
MUTATED=(workflow/src/ino_study/statistics workflow/src/ino_study/endpoints)

configure_stage() {  # the project's pytest settings in src layout, plus mutmut's (selection included)
  sed 's|^pythonpath = \["workflow/src"\]|pythonpath = ["src"]|' "$root/pyproject.toml" > "$stage/pyproject.toml"
  # A test file newer than the staged tests (a recheck of an older stage) is left out, and said so.
  while IFS= read -r line; do
    if [[ $line =~ ^\ +\"(tests/[^\"]+)\",$ ]] && [ ! -f "$stage/${BASH_REMATCH[1]}" ]; then
      echo "not in the staged tests, left out: ${BASH_REMATCH[1]}" >&2
      continue
    fi
    echo "$line"
  done < "$root/tests/mutation/mutmut.toml" >> "$stage/pyproject.toml"
  grep -q '^pythonpath = \["src"\]' "$stage/pyproject.toml"
}

write_score() {  # results file, seconds in all
  python "$root/tests/mutation/score.py" "$1" "$root/tests/mutation/equivalent.json" "$2" "$(cat "$stage/commit")" \
    > "$root/tests/mutation/score.json"
  head -20 "$root/tests/mutation/score.json"
}

stage_project() {  # today's code and tests, in src layout
  rm -rf "$stage" && mkdir -p "$stage"
  git -C "$root" rev-parse HEAD > "$stage/commit"  # the code and tests staged (uncommitted changes aside)
  cp -r "$root"/{Snakefile,config.yaml,config,data,docs,README.md,workflow,profiles,benchmarks,tests,results} "$stage"/
  cp -r "$root/workflow/src" "$stage/src"
  find "$stage" -name __pycache__ -prune -exec rm -rf {} +
}

if [ $mode = resume ]; then
  cd "$stage"
  test -f commit || { echo "no run in $stage to resume" >&2; exit 1; }
  start=$(date +%s)
  mutmut run --max-children "$children"
  mutmut results --all true > mutmut-results.txt
  echo $(( $(cat seconds 2>/dev/null || echo 0) + $(date +%s) - start )) > seconds
  write_score mutmut-results.txt "$(cat seconds)"
  exit 0
fi

sync_stage() {  # today's tests, workflow files and unmutated code into the stage of an earlier run
  if ! git -C "$root" diff --quiet "$(cat "$stage/commit")" -- "${MUTATED[@]}"; then
    echo "statistics/ or endpoints/ differ from the staged commit $(cat "$stage/commit"): start a full run" >&2
    exit 1
  fi
  for item in Snakefile config.yaml config data docs README.md workflow profiles benchmarks tests results; do
    rm -rf "${stage:?}/$item" && cp -r "$root/$item" "$stage/"  # mutmut copies these into mutants/ (also_copy)
  done
  for package in "$root"/workflow/src/ino_study/*; do
    case $(basename "$package") in statistics | endpoints | __pycache__) continue ;; esac
    for copy in "$stage/src/ino_study" "$stage/mutants/src/ino_study"; do
      rm -rf "${copy:?}/$(basename "$package")" && cp -r "$package" "$copy/"
    done
  done
  find "$stage" -name __pycache__ -prune -exec rm -rf {} +
}

if [ $mode = recheck ]; then
  recorded="$root/tests/mutation/score.json"
  run_commit=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["commit"])' "$recorded")
  if ! git -C "$root" diff --quiet HEAD -- "${MUTATED[@]}"; then
    echo "statistics/ or endpoints/ have uncommitted changes: commit them first (score.json names the commit)" >&2
    exit 1
  fi
  changed=$(mktemp)
  python "$root/tests/mutation/changed_functions.py" "$run_commit" > "$changed"
  if [ -d "$stage/mutants" ] && git -C "$root" diff --quiet "$(cat "$stage/commit")" -- "${MUTATED[@]}"; then
    sync_stage  # the stage's mutants are today's
  else
    stage_project
  fi
  git -C "$root" rev-parse HEAD > "$stage/tests_commit"
  configure_stage
  cp "$recorded" "$stage/score.recorded.json"  # the run this recheck builds on
  mv "$changed" "$stage/changed_functions.txt"
  # a judgement of a changed function's mutant may name another mutation now: judged again after the recheck
  python "$root/tests/mutation/score.py" --withdraw-stale "$root/tests/mutation/equivalent.json" \
    "$stage/changed_functions.txt"
  # the recorded survivors of unchanged functions, and every mutant of a changed one (mutmut's wildcard)
  mapfile -t names < <(python "$root/tests/mutation/score.py" --recheck-names "$stage/score.recorded.json" \
                         "$stage/changed_functions.txt" $equivalent)
  if [ ${#names[@]} -eq 0 ] || [ -z "${names[0]}" ]; then  # `mutmut run` with no name would run them all
    echo "the recorded run killed every mutant and no function changed: nothing to recheck" >&2
    exit 0
  fi
  echo "rechecking ${#names[@]} mutants and patterns; changed functions: $(wc -l < "$stage/changed_functions.txt")" >&2
  cd "$stage"
  start=$(date +%s)
  mutmut run --max-children "$children" "${names[@]}"
  mutmut results --all true > mutmut-results.recheck.txt
  python "$root/tests/mutation/score.py" --after-recheck score.recorded.json mutmut-results.recheck.txt \
    "$root/tests/mutation/equivalent.json" $(( $(date +%s) - start )) "$(cat tests_commit)" \
    changed_functions.txt > "$recorded"
  head -20 "$recorded"
  exit 0
fi

stage_project
configure_stage

cd "$stage"
start=$(date +%s)
echo 0 > seconds
mutmut run --max-children "$children"
mutmut results --all true > mutmut-results.txt
echo $(( $(date +%s) - start )) > seconds
write_score mutmut-results.txt "$(cat seconds)"
