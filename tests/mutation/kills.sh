#!/usr/bin/env bash
# Does a test kill a mutant? Runs the given test files against each named mutant of the last run
# (tests/mutation/run.sh), in a copy of its mutated tree (the copy is made once, with mutmut's
# trampolines), with today's versions of those test files. For checking a new test before a recheck.
#   PATH=$PWD/.venv-mutation/bin:$PATH bash tests/mutation/kills.sh TESTS -- MUTANT...
# TESTS: comma-separated test files (paths from the project root). Prints "killed|survived NAME".
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
copy=${MUTATION_COPY:-/tmp/mutation-kills}
IFS=, read -r -a tests <<< "$1"; shift
[ "${1:-}" = "--" ] && shift
if [ ! -d "$copy/src" ]; then  # mutmut's tree in use by a running `mutmut run` is only read
  mkdir -p "$copy" && (cd "$root/.mutation/mutants" && cp -r . "$copy/")
fi
for test in "${tests[@]}"; do cp "$root/$test" "$copy/$test"; done
cd "$copy"
for mutant in "$@"; do
  if MUTANT_UNDER_TEST="$mutant" python -m pytest -x -q -p no:cacheprovider -m "not slow" "${tests[@]}" \
       > /dev/null 2>&1; then
    echo "survived $mutant"
  else
    echo "killed $mutant"
  fi
done
