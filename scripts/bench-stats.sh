#!/usr/bin/env bash
# `llmr providers stats` over one million attempt records: generates them
# (spread over 30 days, five providers, three models each, with errors,
# fallbacks and hedges), times the command with hyperfine, and reports the
# database's size. Writes bench-results/stats.md and prints it.
source "$(dirname "$0")/bench-lib.sh"
n=${RECORDS:-1000000}
export LLMR_STATE_DIR="$work/state"
cat > "$work/config.yaml" <<'YAML'
providers:
  p0: {api: openai, base_url: http://127.0.0.1:9/v1}
  p1: {api: openai, base_url: http://127.0.0.1:9/v1}
  p2: {api: anthropic, base_url: http://127.0.0.1:9}
  p3: {api: gemini, base_url: http://127.0.0.1:9}
  p4: {api: openai, base_url: http://127.0.0.1:9/v1}
YAML
# The schema as llmr makes it.
$bin/llmr providers --config "$work/config.yaml" >/dev/null
python3 - "$work/state/state.sqlite" "$n" <<'PY'
import random, sqlite3, sys, time
path, n = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path)
rng = random.Random(7)
now = time.time()
outcomes = ["ok"] * 96 + ["http_503", "http_429", "timeout", "truncated"]
def rows():
    for i in range(n):
        p = rng.randrange(5)
        out = rng.choice(outcomes)
        lat = int(rng.lognormvariate(6.5, 0.8))
        yield (f"r{i}", now - rng.random() * 30 * 86400, "default", f"p{p}", f"m{p}{rng.randrange(3)}", "id", "primary",
               out, 200 if out == "ok" else 503, lat, lat // 4 if out == "ok" else None, 100, 400,
               rng.random() * 0.01, 1 if rng.random() < 0.03 else 0, 1 if rng.random() < 0.05 else 0,
               0 if out in ("ok", "http_429") else 1)
db.executemany("""INSERT INTO attempts (request_id, at, route, provider, model, model_id, tier, outcome, status,
    latency_ms, ttft_ms, input_tokens, output_tokens, cost_usd, fallback, hedge, failure)
    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", rows())
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
PY
size=$(du -b "$work/state/state.sqlite" | cut -f1)
hyperfine -N --warmup 2 --runs 10 --export-json "$work/stats.json" \
  -n "stats --since 24h" "$bin/llmr providers stats --config $work/config.yaml --since 24h --json" \
  -n "stats --since 30d" "$bin/llmr providers stats --config $work/config.yaml --since 30d --json" >/dev/null 2>&1
python3 - "$work/stats.json" "$n" "$size" <<'PY' | tee bench-results/stats.md
import json, sys
results = json.load(open(sys.argv[1]))["results"]
print(f"{int(sys.argv[2]):,} attempt records over 30 days; database {int(sys.argv[3]) / 2**20:.0f} MiB")
print()
print("| command | median | max |")
print("|---|---|---|")
for r in results:
    print(f"| `llmr providers {r['command']}` | {r['median'] * 1000:.0f} ms | {max(r['times']) * 1000:.0f} ms |")
PY
