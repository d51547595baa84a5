#!/usr/bin/env bash
# llmr serve against the upstream it fronts and against the LiteLLM proxy over
# the same upstream: nginx answering every POST with one fixed chat completion
# on loopback. Added latency (one connection, wrk's percentiles), requests/s
# with 64 keep-alive connections and CPU seconds per request of the gateway
# process, and serve's RSS after 1,000 and after REQUESTS requests (default
# 100,000). LiteLLM comes from make compat's cache (LLMR_COMPAT_CACHE,
# default ~/.cache/llmr-compat); without it that column is left out.
# Writes bench-results/serve.md.
source "$(dirname "$0")/bench-lib.sh"
command -v wrk >/dev/null && command -v nginx >/dev/null || scripts/install-deps.sh wrk nginx-light
total=${REQUESTS:-100000}
secs=${SECONDS_EACH:-10}
up=$(freeport); gw=$(freeport); ll=$(freeport)
pids=()
start_static_upstream "$up"
pids+=($nginx_pid)
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT

cat > "$work/config.yaml" <<YAML
providers:
  static: {api: openai, base_url: http://127.0.0.1:$up/v1, stream: false}
models:
  static: {provider: static, id: m, input: 1, output: 2}
routes:
  default: {retries: 0, targets: [static]}
serve: {listen: "127.0.0.1:$gw", max_concurrency: 1024}
YAML
# serve asks no key on loopback; the one header LiteLLM needs is sent to both.
LLMR_STATE_DIR=$work/state "$bin/llmr" serve --config "$work/config.yaml" 2>/dev/null & pids+=($!)
serve_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$gw/healthz" && break; sleep 0.1; done

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench-litellm-0000"
wrk.body = '{"model":"default","messages":[{"role":"user","content":"hi"}]}'
LUA
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, in clock ticks
tick=$(getconf CLK_TCK)
# NAME URL PID: one connection for latency, then 64 for throughput.
run() {
  local name=$1 url=$2 pid=$3
  wrk -t1 -c1 -d"${secs}s" --latency -s "$work/post.lua" "$url" > "$work/$name-lat.txt"
  local before=0 after=0
  [ -n "$pid" ] && before=$(cpu "$pid")
  wrk -t2 -c64 -d"${secs}s" -s "$work/post.lua" "$url" > "$work/$name-tput.txt"
  [ -n "$pid" ] && after=$(cpu "$pid")
  echo "$((after - before))" > "$work/$name-cpu.txt"
}
run upstream "http://127.0.0.1:$up/v1/chat/completions" ""
run serve "http://127.0.0.1:$gw/v1/chat/completions" "$serve_pid"
# LiteLLM starts only now: an idle Python proxy still wakes up now and then,
# and its wake-ups would land in the others' latency tails.
cache=${LLMR_COMPAT_CACHE:-$HOME/.cache/llmr-compat}
litellm=""
if [ -x "$cache/venv/bin/litellm" ]; then
  cat > "$work/litellm.yaml" <<YAML
model_list:
  - model_name: default
    litellm_params: {model: openai/m, api_base: "http://127.0.0.1:$up/v1", api_key: unused}
litellm_settings:
  num_retries: 0
general_settings:
  master_key: sk-bench-litellm-0000
YAML
  LITELLM_LOCAL_MODEL_COST_MAP=True "$cache/venv/bin/litellm" --config "$work/litellm.yaml" --host 127.0.0.1 --port "$ll" \
    > "$work/litellm.log" 2>&1 & pids+=($!)
  litellm_pid=$!
  for _ in $(seq 240); do curl -s -o /dev/null "http://127.0.0.1:$ll/health/liveliness" && { litellm=yes; break; }; sleep 0.5; done
fi

[ -n "$litellm" ] && run litellm "http://127.0.0.1:$ll/v1/chat/completions" "$litellm_pid"

# Memory: RSS after 1,000 requests and after $total.
rss() { awk '/VmRSS/ {print $2}' "/proc/$serve_pid/status"; }
wrk -t1 -c8 -d3600s -s "$work/post.lua" "http://127.0.0.1:$gw/v1/chat/completions" >/dev/null &
w=$!
# wrk has no request count: sample RSS by the metrics' request counter.
count() { curl -s "http://127.0.0.1:$gw/metrics" | awk '/^llmr_serve_requests_total\{endpoint="\/v1\/chat\/completions",status="200"\}/ {print $2}'; }
start=$(count); rss_1k=""
while kill -0 "$w" 2>/dev/null; do
  n=$(( $(count) - start ))
  [ -z "$rss_1k" ] && [ "$n" -ge 1000 ] && rss_1k=$(rss)
  [ "$n" -ge "$total" ] && { kill "$w"; break; }
  sleep 0.5
done
served=$(( $(count) - start )); rss_end=$(rss)

python3 - "$work" "$tick" "$litellm" "$rss_1k" "$rss_end" "$served" <<'PY' | tee bench-results/serve.md
import re, sys
work, tick, litellm, rss1k, rssend, served = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
def ms(v):
    n, u = float(re.match(r"([\d.]+)", v).group(1)), re.search(r"[a-z]+$", v).group(0)
    return n * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u]
def lat(name):
    t = open(f"{work}/{name}-lat.txt").read()
    return {p: ms(re.search(rf"^\s+{p}%\s+(\S+)", t, re.M).group(1)) for p in ("50", "99")}
def rps(name):
    t = open(f"{work}/{name}-tput.txt").read()
    r = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    n = int(re.search(r"(\d+) requests in", t).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    return r, n, int(errors.group(1)) if errors else 0
names = ["upstream", "serve"] + (["litellm"] if litellm else [])
L = {n: lat(n) for n in names}
T = {n: rps(n) for n in names}
cpu = {n: int(open(f"{work}/{n}-cpu.txt").read()) / tick for n in names if n != "upstream"}
print("| | p50 | p99 | added p50 | added p99 | requests/s (64 conns) | non-2xx | CPU s/request |")
print("|---|---|---|---|---|---|---|---|")
for n in names:
    add50 = L[n]["50"] - L["upstream"]["50"]; add99 = L[n]["99"] - L["upstream"]["99"]
    c = f"{cpu[n] / T[n][1] * 1000:.3f} ms" if n in cpu and T[n][1] else "-"
    print(f"| {n} | {L[n]['50']:.2f} ms | {L[n]['99']:.2f} ms | {'-' if n == 'upstream' else f'{add50:.2f} ms'} | {'-' if n == 'upstream' else f'{add99:.2f} ms'} | {T[n][0]:.0f} | {T[n][2]} | {c} |")
if litellm:
    print(f"\nserve / LiteLLM requests/s: {T['serve'][0] / T['litellm'][0]:.1f}x")
print(f"\nserve RSS after 1,000 requests: {int(rss1k or 0) / 1024:.1f} MiB; after {served:,}: {int(rssend or 0) / 1024:.1f} MiB")
PY
