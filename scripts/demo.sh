#!/usr/bin/env bash
# Starts the fake provider on loopback and routes one prompt through a chain
# whose primary answers 503 and whose second target refuses connections.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build/debug}
work=$(mktemp -d)
trap 'kill "$fake" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/llmr-fake" --script demo/fake.json --port-file "$work/port" --for 120 2>/dev/null &
fake=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
sed "s/FAKE_PORT/$port/g" demo/config.yaml > "$work/config.yaml"
# The demo keeps its attempt log to itself, out of your real state database.
export LLMR_STATE_DIR="$work/state"
echo "\$ llmr ask -v --config demo/config.yaml \"What does a circuit breaker do?\""
"$bin/llmr" ask -v --config "$work/config.yaml" "What does a circuit breaker do?"
echo
echo "\$ llmr ask --json ... | (the record scripts read)"
"$bin/llmr" ask --json --config "$work/config.yaml" "What does a circuit breaker do?"
