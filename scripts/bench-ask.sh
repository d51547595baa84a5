#!/usr/bin/env bash
# Whole-process cost of `llmr ask` (release, static stdlib) against curl posting
# the same request to the fake provider on loopback, plus what a failover adds.
# Uses hyperfine and GNU time (installed when missing). Writes
# bench-results/ask.md and prints it.
source "$(dirname "$0")/bench-lib.sh"
runs=${RUNS:-300}

cat > "$work/fake.json" <<'JSON'
{"providers": {"up": {"text": "Hello from the fake provider."}, "down": {"status": 503}}}
JSON
start_fake "$work/fake.json"
cat > "$work/config.yaml" <<YAML
providers:
  up:      {api: openai, base_url: http://127.0.0.1:$port/up/v1}
  down:    {api: openai, base_url: http://127.0.0.1:$port/down/v1}
  refused: {api: openai, base_url: http://127.0.0.1:1/v1}
models:
  up:      {provider: up, id: m}
  down:    {provider: down, id: m}
  refused: {provider: refused, id: m}
routes:
  direct:   {targets: [up]}
  after503: {retries: 0, targets: [down], fallback: [up]}
  refused:  {targets: [refused], fallback: [up]}
YAML
body='{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}'
export LLMR_STATE_DIR="$work/state"   # its own attempt log, written as in real use
ask="$bin/llmr ask --no-stdin --config $work/config.yaml"

hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/h.json" \
  -n curl "curl -s -N -X POST -H 'Content-Type: application/json' -H 'Accept: text/event-stream' -d '$body' http://127.0.0.1:$port/up/v1/chat/completions" \
  -n direct "$ask -r direct hi" \
  -n after503 "$ask -r after503 hi" \
  -n refused "$ask -r refused hi" >/dev/null 2>&1

rss() { # peak RSS in KiB, the largest of 20 runs
  local max=0 v
  for _ in $(seq 20); do
    v=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)
    [ "$v" -gt "$max" ] && max=$v
  done
  echo "$max"
}
rss_curl=$(rss curl -s -N -X POST -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/up/v1/chat/completions")
rss_llmr=$(rss $ask -r direct hi)

python3 - "$work/h.json" "$rss_curl" "$rss_llmr" <<'PY' | tee bench-results/ask.md
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in res.items()}
p95 = {k: sorted(v["times"])[int(len(v["times"]) * 0.95)] * 1000 for k, v in res.items()}
print("| case | median | p95 | vs curl |")
print("|---|---|---|---|")
for k in ["curl", "direct", "after503", "refused"]:
    print(f"| {k} | {med[k]:.2f} ms | {p95[k]:.2f} ms | {med[k] / med['curl']:.2f}x |")
print()
print(f"- failover after a 503 adds {med['after503'] - med['direct']:.2f} ms over a direct success (median)")
print(f"- failover after a refused connection adds {med['refused'] - med['direct']:.2f} ms (median)")
print(f"- peak RSS: llmr {int(sys.argv[3]) / 1024:.1f} MiB, curl {int(sys.argv[2]) / 1024:.1f} MiB")
PY
