#!/usr/bin/env bash
# Upgrade check: installs the newest releases that requirements.in allows into a throw-away
# environment and runs the default pipeline and the fast tests there, so that a new release of a
# dependency that breaks us is caught here before a user meets it. Called by .ci/run after the
# README's test command; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --upgrade pip
"$work/venv/bin/pip" install -q --upgrade -r requirements.in
echo "CI (newest releases): installed"
"$work/venv/bin/pip" list --format=freeze 2>/dev/null \
  | grep -iE '^(snakemake|pandas|numpy|scipy|lifelines|matplotlib|seaborn|pyyaml|pandera|openpyxl|python-docx|pyarrow)==' \
  | sed 's/^/  /'

# the default pipeline, in a copy of the project (the checkout's results/ are left alone)
mkdir "$work/run"
cp -r Snakefile config.yaml workflow data profiles "$work/run/"
(cd "$work/run" && "$work/venv/bin/snakemake" --cores 4 --quiet)
for file in summary.json summary.md tables/survival_estimates.csv tables/cox.csv tables/response.csv; do
  if ! cmp -s "results/$file" "$work/run/results/$file"; then
    echo "CI (newest releases): results/$file differs from the committed one:" >&2
    diff "results/$file" "$work/run/results/$file" | head -40 >&2 || true
    exit 1
  fi
done
echo "CI (newest releases): default pipeline reproduces the committed summary and tables"

"$work/venv/bin/python" -m pytest -q -m "not slow" -p no:cacheprovider
