# Shared by the benchmark scripts: source it, then call start_fake SCRIPT.
# Sets bin (the release build, built if missing), work (a temporary directory
# removed on exit) and, after start_fake, port.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=.build/release
# Always (re)build: a benchmark of a stale binary measures the wrong code.
make release >/dev/null
command -v hyperfine >/dev/null && [ -x /usr/bin/time ] || scripts/install-deps.sh hyperfine time
mkdir -p bench-results
work=$(mktemp -d)
fake=""
trap '[ -n "$fake" ] && kill "$fake" 2>/dev/null; rm -rf "$work"' EXIT

# Starts llmr-fake with the JSON script in $1 (and any further llmr-fake
# options) and waits for its port.
start_fake() {
  "$bin/llmr-fake" --script "$@" --port-file "$work/port" --for 900 2>/dev/null &
  fake=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  port=$(cat "$work/port")
}
