#!/usr/bin/env bash
# Whole-process cost of `llmr ask` (the release binary, as `make install`
# builds it) against curl posting the same request to the fake provider on
# loopback, plus what a failover adds, where the time goes phase by phase,
# peak RSS and the binary's size.
#
# Runs are interleaved: ROUNDS rounds (default 40), each timing every command
# RUNS times (default 10) with hyperfine, so drift on a busy machine hits all
# of them alike. Medians are over all runs; "vs curl" is the median of the
# per-round ratios. Writes bench-results/ask.md and prints it.
# BASELINE=path/to/an/older/llmr adds that binary's direct ask to every round,
# so a change is measured against the release before it in one run.
source "$(dirname "$0")/bench-lib.sh"
rounds=${ROUNDS:-40}
runs=${RUNS:-10}

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
# The same, with the model priced, a rate limit on its provider and model, and
# two budgets, all with room to spare: what governance costs a request.
sed -e 's|  up:      {provider: up, id: m}|  up:      {provider: up, id: m, input: 1, output: 2, limits: {requests: 100000000, per: 1m}}|' \
    -e 's|^\(  up:      {api: openai, base_url: .*/up/v1\)}|\1, limits: {requests: 100000000, tokens: 1000000000, per: 1m}}|' \
    "$work/config.yaml" > "$work/budgeted.yaml"
cat >> "$work/budgeted.yaml" <<YAML
budgets:
  daily: {usd: 1000000, per: 24h}
  up-only: {usd: 1000000, per: 1h, provider: up}
YAML
body='{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}'
url="http://127.0.0.1:$port/up/v1/chat/completions"

# Two C programs for the phase breakdown: one that only loads libcurl and
# exits, one that makes the same POST through libcurl and prints the body.
cat > "$work/noop.c" <<'C'
#include <curl/curl.h>
int main(void) { return curl_version() == 0; }
C
cat > "$work/post.c" <<'C'
#include <curl/curl.h>
int main(int argc, char **argv) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(0, "Content-Type: application/json");
    hs = curl_slist_append(hs, "Accept: text/event-stream");
    curl_easy_setopt(h, CURLOPT_URL, argv[1]);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, argv[2]);
    int rc = curl_easy_perform(h) != CURLE_OK;
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    return rc;
}
C
cc=$(command -v gcc || command -v clang)
"$cc" -O2 -o "$work/noop" "$work/noop.c" -lcurl
"$cc" -O2 -o "$work/post" "$work/post.c" -lcurl

export LLMR_STATE_DIR="$work/state"   # its own attempt log, written as in real use
ask="$bin/llmr ask --no-stdin --config $work/config.yaml"
names=(curl c-post c-noop version route direct after503 refused budgeted cached)
cmds=(
  "curl -s -N -X POST -H 'Content-Type: application/json' -H 'Accept: text/event-stream' -d '$body' $url"
  "$work/post $url '$body'"
  "$work/noop"
  "$bin/llmr --version"
  "$bin/llmr route --config $work/config.yaml -r direct hi"
  "$ask -r direct hi"
  "$ask -r after503 hi"
  "$ask -r refused hi"
  "$bin/llmr ask --no-stdin --config $work/budgeted.yaml -r direct hi"
  "$ask -r direct --cache read-write a cached question"
)
if [ -n "${BASELINE:-}" ]; then
  names+=(baseline)
  cmds+=("$BASELINE ask --no-stdin --config $work/config.yaml -r direct hi")
fi
args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
$ask -r direct hi >/dev/null   # sets up the state database once
$ask -r direct --cache read-write a cached question >/dev/null   # keeps the answer the cached case replays
for r in $(seq "$rounds"); do
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/round-$r.json" "${args[@]}" >/dev/null 2>&1
done

rss() { # peak RSS in KiB, the largest of 20 runs
  local max=0 v
  for _ in $(seq 20); do
    v=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)
    [ "$v" -gt "$max" ] && max=$v
  done
  echo "$max"
}
rss_curl=$(rss curl -s -N -X POST -H 'Content-Type: application/json' -d "$body" "$url")
rss_llmr=$(rss $ask -r direct hi)
size=$(stat -c %s "$bin/llmr")

python3 - "$work" "$rounds" "$rss_curl" "$rss_llmr" "$size" <<'PY' | tee bench-results/ask.md
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
times, ratios = {}, {}
for r in range(1, rounds + 1):
    res = {x["command"]: x["times"] for x in json.load(open(f"{work}/round-{r}.json"))["results"]}
    for k, v in res.items():
        times.setdefault(k, []).extend(v)
        ratios.setdefault(k, []).append(statistics.median(v) / statistics.median(res["curl"]))
med = {k: statistics.median(v) * 1000 for k, v in times.items()}
p95 = {k: sorted(v)[int(len(v) * 0.95)] * 1000 for k, v in times.items()}
n = len(times["curl"])
print(f"{rounds} interleaved rounds, {n} runs of each command in all.")
print()
print("| case | median | p95 | vs curl (median of rounds) |")
print("|---|---|---|---|")
label = {"curl": "curl", "direct": "`llmr ask`, direct success", "after503": "primary answers 503, fallback succeeds",
         "refused": "primary refuses the connection, fallback succeeds"}
label["baseline"] = "`llmr ask`, direct success, BASELINE binary"
label["budgeted"] = "`llmr ask`, direct success under two budgets and two rate limits"
label["cached"] = "`llmr ask`, a response cache hit (nothing sent)"
for k in ["curl", "direct", "after503", "refused", "budgeted", "cached", "baseline"]:
    if k in med:
        print(f"| {label[k]} | {med[k]:.2f} ms | {p95[k]:.2f} ms | {statistics.median(ratios[k]):.2f}x |")
print()
print("Where the time goes (medians; each phase is the difference between two commands):")
print()
print("| phase | llmr | C with libcurl |")
print("|---|---|---|")
print(f"| start, load libcurl and its libraries, exit | {med['version']:.2f} ms (`llmr --version`) | {med['c-noop']:.2f} ms (a program that only links libcurl) |")
print(f"| read the config, plan the route, read breakers and cooldowns | {med['route'] - med['version']:.2f} ms (`llmr route` − `--version`) | — |")
print(f"| the request, the answer and (llmr) the attempt log | {med['direct'] - med['route']:.2f} ms (`ask` − `route`) | {med['c-post'] - med['c-noop']:.2f} ms (POST − load) |")
print(f"| whole | {med['direct']:.2f} ms | {med['c-post']:.2f} ms; curl itself {med['curl']:.2f} ms |")
print()
print(f"- failover after a 503 adds {med['after503'] - med['direct']:.2f} ms over a direct success (median)")
print(f"- failover after a refused connection adds {med['refused'] - med['direct']:.2f} ms (median)")
print(f"- two budgets and two rate limits (a reservation, a slot, and their settlement in the shared state) cost {statistics.median(ratios['budgeted']) / statistics.median(ratios['direct']):.3f}x a direct success (median of rounds)")
print(f"- a cache hit takes {med['cached']:.2f} ms, {med['cached'] / med['version']:.2f}x `llmr --version` ({med['version']:.2f} ms)")
print(f"- peak RSS, the largest of 20 runs: llmr {int(sys.argv[4]) / 1024:.1f} MiB, curl {int(sys.argv[3]) / 1024:.1f} MiB")
print(f"- the llmr binary: {int(sys.argv[5]) / 1e6:.1f} MB")
PY
