#!/usr/bin/env bash
# Targets measured side by side must not slow each other. A quick target
# (no delay) is benched alone, then beside a slow streaming target (200 ms to
# the first token, 400 chunks 2 ms apart) and one that fails half its
# requests after 300 ms, all on one fake provider host: the quick target's TTFT and
# end-to-end p50/p95 beside the others must stay within 2x (or +5 ms) of its
# figures alone. ROUNDS rounds (default 3), alternating; the medians are
# compared. Writes bench-results/side-by-side.md and prints it; exits 1 when
# the bound does not hold.
source "$(dirname "$0")/bench-lib.sh"
rounds=${ROUNDS:-3}
n=${N:-300}
c=${C:-8}

cat > "$work/fake.json" <<'JSON'
{"providers": {
  "quick": {"text": "a short answer"},
  "slow": {"text": "word ", "repeat": 400, "first_token_delay_ms": 200, "chunk_delay_ms": 2},
  "half": {"cycle": [{"text": "fine", "delay_ms": 300}, {"status": 503, "delay_ms": 300}]}
}}
JSON
start_fake "$work/fake.json"
cat > "$work/config.yaml" <<YAML
providers:
  quick: {api: openai, base_url: http://127.0.0.1:$port/quick/v1}
  slow: {api: openai, base_url: http://127.0.0.1:$port/slow/v1}
  half: {api: openai, base_url: http://127.0.0.1:$port/half/v1}
models:
  quick-model: {provider: quick, id: q, input: 1, output: 1}
  slow-stream: {provider: slow, id: s, input: 1, output: 1}
  half-model: {provider: half, id: h, input: 1, output: 1}
YAML
export LLMR_STATE_DIR="$work/state"
run() {  # run NAME TARGETS... : one bench, its JSON kept
  local name=$1; shift
  $bin/llmr bench --config "$work/config.yaml" -q --yes --json -n "$n" -c "$c" --seed 7 "$@" > "$work/$name.json" 2>/dev/null || true
}
for i in $(seq "$rounds"); do
  run "alone-$i" quick-model
  run "beside-$i" quick-model slow-stream half-model
done
python3 - "$work" "$rounds" "$n" "$c" <<'PY' | tee bench-results/side-by-side.md
import json, statistics, sys
work, rounds, n, c = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def figures(name):
    t = next(t for t in json.load(open(f"{work}/{name}.json"))["targets"] if t["target"] == "quick-model")
    return {k: t[m][p] for k, (m, p) in
            {"ttft p50": ("ttft_ms", "p50"), "ttft p95": ("ttft_ms", "p95"), "e2e p50": ("e2e_ms", "p50"), "e2e p95": ("e2e_ms", "p95")}.items()}
alone = [figures(f"alone-{i}") for i in range(1, rounds + 1)]
beside = [figures(f"beside-{i}") for i in range(1, rounds + 1)]
print(f"quick-model, -n {n} -c {c}, alone and beside slow-stream + half-model (median of {rounds} rounds)\n")
print("| figure | alone | beside | bound (2x or +5 ms) | holds |")
print("|---|---|---|---|---|")
ok = True
for k in alone[0]:
    a = statistics.median(r[k] for r in alone)
    b = statistics.median(r[k] for r in beside)
    bound = max(2 * a, a + 5)
    holds = b <= bound
    ok &= holds
    print(f"| {k} | {a:.2f} ms | {b:.2f} ms | {bound:.2f} ms | {'yes' if holds else 'NO'} |")
sys.exit(0 if ok else 1)
PY
