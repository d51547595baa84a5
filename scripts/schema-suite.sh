#!/usr/bin/env bash
# The validator against a local copy of the JSON-Schema-Test-Suite (draft
# 2020-12): scripts/schema-suite.sh DIR, where DIR holds the suite's
# tests/draft2020-12 files (or any files in its format). Nothing is fetched.
# Prints how many cases agree; a disagreement fails with the case named.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: scripts/schema-suite.sh DIR (a local copy of JSON-Schema-Test-Suite/tests/draft2020-12)}
[ -d "$dir" ] || { echo "schema-suite: $dir is not a directory"; exit 64; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
code=0
LLMR_SCHEMA_SUITE=$(cd "$dir" && pwd) swift test --filter SchemaSuiteTests > "$log" 2>&1 || code=$?
grep -E "schema suite:|recorded an issue" "$log" || tail -20 "$log"
exit "$code"
