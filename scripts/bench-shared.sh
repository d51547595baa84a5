#!/usr/bin/env bash
# What shared state costs `llmr ask`: the release binary against the fake
# provider on loopback, with its state only in this machine's file and with
# state.shared on a redis-server on loopback, both plain and with a budget
# and a rate limit (one more round trip each way). Interleaved: ROUNDS rounds
# (default 20), each timing every command RUNS times (default 10) with
# hyperfine; medians over all runs, "vs local" the median of the per-round
# ratios. Writes bench-results/shared.md and prints it.
source "$(dirname "$0")/bench-lib.sh"
command -v redis-server >/dev/null || scripts/install-deps.sh redis-server
rounds=${ROUNDS:-20}
runs=${RUNS:-10}
cat > "$work/fake.json" <<'JSON'
{"providers": {"up": {"text": "Hello from the fake provider."}}}
JSON
start_fake "$work/fake.json"
rport=$(freeport)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --daemonize no > /dev/null 2>&1 &
redis=$!
trap 'kill $redis 2>/dev/null; [ -n "$fake" ] && kill "$fake" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
cat > "$work/local.yaml" <<YAML
providers:
  up: {api: openai, base_url: http://127.0.0.1:$port/up/v1}
models:
  up: {provider: up, id: m, input: 1, output: 2}
routes:
  default: {targets: [up]}
YAML
sed -e 's|  up: {provider: up, id: m, input: 1, output: 2}|  up: {provider: up, id: m, input: 1, output: 2, limits: {requests: 100000000, per: 1m}}|' "$work/local.yaml" > "$work/governed.yaml"
printf 'budgets:\n  daily: {usd: 1000000, per: 24h}\n' >> "$work/governed.yaml"
for f in local governed; do
  cp "$work/$f.yaml" "$work/$f-shared.yaml"
  printf 'state: {shared: "redis://127.0.0.1:%s/0", namespace: bench}\n' "$rport" >> "$work/$f-shared.yaml"
done
names=(local shared governed governed-shared)
configs=(local local-shared governed governed-shared)
for i in 0 1 2 3; do
  LLMR_STATE_DIR=$work/state-${names[$i]} "$bin/llmr" ask --config "$work/${configs[$i]}.yaml" hi > /dev/null   # warm: the state file exists
done
for r in $(seq "$rounds"); do
  args=()
  for i in 0 1 2 3; do args+=(-n "${names[$i]}" "env LLMR_STATE_DIR=$work/state-${names[$i]} $bin/llmr ask --config $work/${configs[$i]}.yaml hi"); done
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/round-$r.json" "${args[@]}" > /dev/null 2>&1
done
python3 - "$work" "$rounds" <<'PY' | tee bench-results/shared.md
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
times, ratios = {}, {"shared": [], "governed-shared": []}
for r in range(1, rounds + 1):
    res = {x["command"]: x["times"] for x in json.load(open(f"{work}/round-{r}.json"))["results"]}
    for k, v in res.items(): times.setdefault(k, []).extend(v)
    ratios["shared"].append(statistics.median(res["shared"]) / statistics.median(res["local"]))
    ratios["governed-shared"].append(statistics.median(res["governed-shared"]) / statistics.median(res["governed"]))
print("| `llmr ask` | median | vs the same with local state |")
print("|---|---|---|")
for k in ["local", "shared", "governed", "governed-shared"]:
    vs = f"{statistics.median(ratios[k]):.3f}x" if k in ratios else "-"
    print(f"| {k} | {statistics.median(times[k]) * 1000:.2f} ms | {vs} |")
print(f"\n{rounds} interleaved rounds of {len(times['local']) // rounds} runs each; redis-server on loopback.")
PY
