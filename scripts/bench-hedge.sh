#!/usr/bin/env bash
# Hedged requests. (1) A primary whose first token comes after 2 s, a quick
# backup, hedge.after 200ms: the answer should arrive within 200 ms plus twice
# the backup's own latency. (2) 200 requests to a primary that is slow one
# time in ten: p50, p99 and max with and without hedging.
# Writes bench-results/hedge.md and prints it.
source "$(dirname "$0")/bench-lib.sh"
runs=${RUNS:-200}

cat > "$work/fake.json" <<'JSON'
{"providers": {
  "stuck": {"text": "late answer", "first_token_delay_ms": 2000},
  "flaky": {"cycle": [{"text": "slow answer", "first_token_delay_ms": 2000},
                      {"text": "fast answer"}, {"text": "fast answer"}, {"text": "fast answer"}, {"text": "fast answer"},
                      {"text": "fast answer"}, {"text": "fast answer"}, {"text": "fast answer"}, {"text": "fast answer"},
                      {"text": "fast answer"}]},
  "backup": {"text": "backup answer"}
}}
JSON
start_fake "$work/fake.json"
cat > "$work/config.yaml" <<YAML
providers:
  stuck:  {api: openai, base_url: http://127.0.0.1:$port/stuck/v1}
  flaky:  {api: openai, base_url: http://127.0.0.1:$port/flaky/v1}
  backup: {api: anthropic, base_url: http://127.0.0.1:$port/backup, key_env: FAKE_KEY}
models:
  stuck: {provider: stuck, id: m}
  flaky: {provider: flaky, id: m}
  backup: {provider: backup, id: m}
routes:
  stuck:    {retries: 0, targets: [stuck, backup], hedge: {after: 200ms, max_share: 100%}}
  plain:    {retries: 0, targets: [flaky, backup]}
  hedged:   {retries: 0, targets: [flaky, backup], hedge: {after: 200ms, max_share: 20%}}
YAML
export FAKE_KEY=k
ask="$bin/llmr ask --no-stdin --config $work/config.yaml"

hyperfine -N --warmup 3 --runs 30 --export-json "$work/backup.json" -n backup "$ask -m backup hi" >/dev/null 2>&1
hyperfine -N --runs 10 --prepare "rm -rf $work/s1" --export-json "$work/stuck.json" -n stuck "env LLMR_STATE_DIR=$work/s1 $ask -r stuck hi" >/dev/null 2>&1
LLMR_STATE_DIR="$work/s2" hyperfine -N --runs "$runs" --export-json "$work/plain.json" -n plain "$ask -r plain hi" >/dev/null 2>&1
LLMR_STATE_DIR="$work/s3" hyperfine -N --runs "$runs" --export-json "$work/hedged.json" -n hedged "$ask -r hedged hi" >/dev/null 2>&1

python3 - "$work" "$runs" <<'PY' | tee bench-results/hedge.md
import json, sys
w, runs = sys.argv[1], sys.argv[2]
def times(name):
    return sorted(t * 1000 for t in json.load(open(f"{w}/{name}.json"))["results"][0]["times"])
def pct(ts, p):
    return ts[min(len(ts) - 1, int(len(ts) * p))]
backup, stuck = times("backup"), times("stuck")
b50, s50, smax = pct(backup, 0.5), pct(stuck, 0.5), stuck[-1]
print(f"Primary stuck 2 s, hedge.after 200 ms: median {s50:.0f} ms, worst {smax:.0f} ms; the backup alone takes {b50:.1f} ms,")
print(f"so the budget of 200 ms + 2 x backup is {200 + 2 * b50:.0f} ms.")
print()
print(f"{runs} requests, primary slow (2 s to first token) one time in ten:")
print()
print("| | p50 | p99 | max |")
print("|---|---|---|---|")
for name, label in [("plain", "without hedging"), ("hedged", "hedge.after 200 ms, max_share 20%")]:
    ts = times(name)
    print(f"| {label} | {pct(ts, 0.5):.0f} ms | {pct(ts, 0.99):.0f} ms | {ts[-1]:.0f} ms |")
PY
