#!/usr/bin/env bash
# make test: the whole suite, then a plain summary that names every failing
# test with where its first issue was recorded, so that a failure is not lost
# in a thousand lines of progress. Exits with swift test's status.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The fleet's tests run a redis-server of their own and make hosts of network
# namespaces (iproute2), both Debian packages, installed when missing.
scripts/install-deps.sh redis-server iproute2
# The gateway's tests through the openai and anthropic SDKs need them from PyPI,
# installed once into a cache directory. Offline, they are skipped and said to
# be, except in CI, where a skipped test is a failed one.
if py=$(scripts/sdk-venv.sh); then
    export LLMR_SDK_PYTHON=$py
elif [ -n "${CI:-}" ]; then
    echo "test: the SDKs could not be installed (scripts/sdk-venv.sh)"; exit 1
else
    echo "test: the SDKs could not be installed; ServeSDKEndToEndTests will be skipped"
fi
# The end-to-end tests wait on processes, which blocks a thread of Swift's
# cooperative pool (one a core) until each ends; run beside them, the in-process
# async tests (the router, the transport) can be starved past their bounds. So
# the in-process tests run first, the end-to-end tests in a run of their own.
# With arguments (a --filter), one run as asked.
run() {
    ${SWIFT:-swift} test "$@" 2>&1 | tee -a "$log"
    return "${PIPESTATUS[0]}"
}
if [ $# -gt 0 ]; then
    run "$@"
    status=$?
else
    run --skip '^EndToEndTests\.'
    status=$?
    run --skip-build --filter '^EndToEndTests\.'
    second=$?
    [ "$status" -ne 0 ] || status=$second
fi
# Swift Testing: one "✔ Test NAME passed" or "✘ Test NAME failed" line per test
# (a parameterised test counts once, as in its own closing line), and for each
# run a closing line with how many tests it had, skipped ones included.
lines=$(grep -E '^✔ Test .* passed after' "$log" | grep -cv '^✔ Test run with ')
failed_names=$(grep -v '^✘ Test run with ' "$log" | sed -nE 's/^✘ Test (.*) failed after.*/\1/p' | sed -E 's/ with [0-9]+ test cases?$//' | sort -u)
failed=$(printf '%s' "$failed_names" | grep -c . || true)
skipped=$(grep -c '^➜ Test .* skipped' "$log" || true)
total=$(sed -nE 's/^[✔✘] Test run with ([0-9]+) tests? .*/\1/p' "$log" | awk '{ n += $1 } END { print n + 0 }')
# The tally is Swift Testing's own when every run closed: a CI run once lacked
# 88 of the per-test lines of a run that passed whole.
passed=$lines
if [ "$total" -gt 0 ]; then
    passed=$((total - failed - skipped))
    [ "$passed" -eq "$lines" ] || echo "note: $((passed - lines)) tests that passed have no line of their own above"
fi
echo
if [ "$failed" -gt 0 ]; then
    echo "failing tests:"
    while IFS= read -r name; do
        where=$(grep -F "✘ Test $name recorded an issue " "$log" | head -1 | sed -nE 's/.* at ([^ :]+:[0-9]+):[0-9]+: .*/\1/p')
        echo "  $name${where:+  ($where)}"
    done <<< "$failed_names"
fi
# A crash ends the run without a closing line for the tests in flight: name them.
if grep -qE '^(\*\*\* Program crashed|Backtrace took)' "$log"; then
    echo "the test process crashed (its backtrace is above); tests it had not finished:"
    comm -23 <(grep -v '^◇ Test case ' "$log" | sed -nE 's/^◇ Test (.*) started\.$/\1/p' | sort -u) \
             <(sed -nE 's/^[✔✘] Test (.*) (passed|failed) after.*/\1/p' "$log" | sed -E 's/ with [0-9]+ test cases?$//' | sort -u) |
        sed 's/^/  /'
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "swift test exited $status before any test failed (a build error or a crash: see above)"
    failed=1
fi
echo "$passed passed, $failed failed"
exit "$status"
