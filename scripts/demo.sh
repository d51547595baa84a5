#!/usr/bin/env bash
# Starts the fake provider on loopback and shows llmr at work: the plan for a
# prompt, one prompt routed through a chain whose primary answers 503 and
# whose second target refuses connections, the record scripts read, the
# providers' health, and a short benchmark. The config is demo/config.yaml with
# the fake's port filled in (a copy in a temporary directory, shown as $CONFIG).
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
export CONFIG="$work/config.yaml"
show() { # the command as you would type it, then its output
  { printf '$ llmr'; for a in "$@"; do case "$a" in *[!A-Za-z0-9_./:=-]*) printf ' "%s"' "$a" ;; *) printf ' %s' "$a" ;; esac; done; echo; } |
    sed "s|$CONFIG|\$CONFIG|g"
  "$bin/llmr" "$@"
  echo
}
echo "CONFIG=$CONFIG (demo/config.yaml, with the fake provider's port)"
echo
show route --config "$CONFIG" "What does a circuit breaker do?"
show ask -v --config "$CONFIG" "What does a circuit breaker do?"
show ask --json --config "$CONFIG" "What does a circuit breaker do?"
show providers --config "$CONFIG"
show bench --config "$CONFIG" steady-small flaky-large -n 20 -c 2 -q
