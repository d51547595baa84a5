#!/usr/bin/env bash
# A long streamed answer through `llmr ask --stream` and through `curl -N`,
# whole-process, at two lengths (~20 MB and ~40 MB of OpenAI-format events):
# wall time, and llmr's peak RSS against its RSS for a short answer.
# Uses hyperfine and GNU time (installed when missing). Writes
# bench-results/stream.md and prints it.
source "$(dirname "$0")/bench-lib.sh"
runs=${RUNS:-10}

sentence="lorem ipsum dolor sit amet, consectetur adipiscing elit. "
cat > "$work/fake.json" <<JSON
{"providers": {
  "short": {"text": "$sentence"},
  "s20": {"text": "$sentence", "repeat": 16000},
  "s40": {"text": "$sentence", "repeat": 32000}
}}
JSON
start_fake "$work/fake.json"
export LLMR_STATE_DIR="$work/state"
body='{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}'
curl_cmd() { echo "curl -s -N -X POST -H 'Content-Type: application/json' -d '$body' http://127.0.0.1:$port/$1/v1/chat/completions"; }
llmr_cmd() { echo "$bin/llmr ask --no-stdin --stream --config $work/config.yaml -m f/m hi"; }

rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
# The provider name is the first path segment, so each length is its own base URL.
row() {
  local name=$1
  printf 'providers:\n  f: {api: openai, base_url: http://127.0.0.1:%s/%s/v1}\n' "$port" "$name" > "$work/config.yaml"
  local events text
  events=$(eval "$(curl_cmd "$name")" | wc -c)
  text=$($bin/llmr ask --no-stdin --config "$work/config.yaml" -m f/m hi | wc -c)
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/$name.json" \
    -n curl "$(curl_cmd "$name")" -n llmr "$(llmr_cmd)" >/dev/null 2>&1
  local r
  r=$(rss $bin/llmr ask --no-stdin --stream --config "$work/config.yaml" -m f/m hi)
  python3 - "$work/$name.json" "$events" "$text" "$r" <<'PY'
import json, sys
res = {r["command"]: r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"]}
events, text, rss = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"| {events / 1e6:.1f} MB | {text / 1e6:.2f} MB | {res['curl']:.0f} ms | {res['llmr']:.0f} ms "
      f"| {res['llmr'] / res['curl']:.2f}x | {rss / 1024:.1f} MiB |")
with open(sys.argv[1] + ".row", "w") as f:
    f.write(f"{events} {text} {rss}\n")
PY
}
printf 'providers:\n  f: {api: openai, base_url: http://127.0.0.1:%s/short/v1}\n' "$port" > "$work/config.yaml"
base_rss=$(rss $bin/llmr ask --no-stdin --stream --config "$work/config.yaml" -m f/m hi)
{
  echo "| events | answer | curl -N | llmr --stream | ratio | llmr peak RSS |"
  echo "|---|---|---|---|---|---|"
  row s20
  row s40
  python3 - "$work/s20.json.row" "$work/s40.json.row" "$base_rss" <<'PY'
import sys
e1, t1, r1 = map(int, open(sys.argv[1]).read().split())
e2, t2, r2 = map(int, open(sys.argv[2]).read().split())
base = int(sys.argv[3])
print()
print(f"- a short answer: llmr peak RSS {base / 1024:.1f} MiB")
print(f"- from {e1 / 1e6:.0f} to {e2 / 1e6:.0f} MB of events, the answer grows by {(t2 - t1) / 2**20:.2f} MiB "
      f"and llmr's peak RSS by {(r2 - r1) / 1024:.2f} MiB (a copy per event would add {(e2 - e1) / 2**20:.0f} MiB)")
PY
} | tee bench-results/stream.md
