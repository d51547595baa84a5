#!/usr/bin/env bash
# What an open circuit breaker saves: a primary that never answers (its first
# token times out after 500 ms) and a healthy fallback. With a fresh state
# database every run pays the timeout; once five failures have opened the
# breaker, a request goes straight to the fallback and sends nothing to the
# dead provider. Writes bench-results/breaker.md and prints it.
source "$(dirname "$0")/bench-lib.sh"
runs=${RUNS:-20}

cat > "$work/fake.json" <<'JSON'
{"providers": {"dead": {"first_token_delay_ms": 60000}, "up": {"text": "Hello from the fallback."}}}
JSON
start_fake "$work/fake.json"
cat > "$work/config.yaml" <<YAML
providers:
  dead: {api: openai, base_url: http://127.0.0.1:$port/dead/v1, first_token_timeout: 500ms}
  up:   {api: openai, base_url: http://127.0.0.1:$port/up/v1}
models:
  dead: {provider: dead, id: m}
  up:   {provider: up, id: m}
routes:
  default: {retries: 0, targets: [dead], fallback: [up]}
breaker: {failures: 5, window: 60s, open_for: 300s}
YAML
ask="$bin/llmr ask --no-stdin --config $work/config.yaml hi"
export LLMR_STATE_DIR="$work/state"

hyperfine -N --runs "$runs" --prepare "rm -rf $work/state" --export-json "$work/closed.json" -n closed "$ask" >/dev/null 2>&1
rm -rf "$work/state"
for _ in 1 2 3 4 5; do $ask >/dev/null; done   # five failures open the breaker
sent_before=$($bin/llmr ask --no-stdin --config "$work/config.yaml" --json hi | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["attempts"]))')
hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/open.json" -n open "$ask" >/dev/null 2>&1
trace=$($ask -v 2>&1 >/dev/null | grep -c 'dead/m skipped: breaker open' || true)

python3 - "$work/closed.json" "$work/open.json" "$trace" "$sent_before" <<'PY' | tee bench-results/breaker.md
import json, sys
closed = json.load(open(sys.argv[1]))["results"][0]["median"] * 1000
opened = json.load(open(sys.argv[2]))["results"][0]["median"] * 1000
print("| breaker | median wall time | attempts on the dead provider |")
print("|---|---|---|")
print(f"| closed (fresh state each run) | {closed:.0f} ms | 1 (times out after 500 ms) |")
print(f"| open (after five failures) | {opened:.1f} ms | 0 (skipped, -v says so: {sys.argv[3]} line) |")
print()
print(f"- with the breaker open, a request makes {sys.argv[4]} attempt(s) in all, on the fallback only")
PY
