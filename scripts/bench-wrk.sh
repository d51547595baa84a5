#!/usr/bin/env bash
# Is llmr bench ever the bottleneck? It and wrk load the same static responder
# (nginx answering every POST with one fixed chat completion) with 64
# connections, on the same machine, one after the other; CPU time per request
# from GNU time. Then 64 concurrent streams from the fake provider, 20 ms
# between chunks: the fake logs when it sent each chunk, so llmr's inter-chunk
# figures are set beside the gaps the server actually left.
# Writes bench-results/wrk.md.
source "$(dirname "$0")/bench-lib.sh"
command -v wrk >/dev/null && command -v nginx >/dev/null || scripts/install-deps.sh wrk nginx-light
n=${REQUESTS:-20000}
port=$(freeport)
start_static_upstream "$port"
trap 'kill $nginx_pid 2>/dev/null; [ -n "$fake" ] && kill "$fake" 2>/dev/null; rm -rf "$work"' EXIT

cat > "$work/config.yaml" <<YAML
providers:
  static: {api: openai, base_url: http://127.0.0.1:$port/v1, stream: false}
models:
  m: {provider: static, id: m, input: 0, output: 0}
YAML
export LLMR_STATE_DIR="$work/state"
printf 'wrk.method = "POST"\nwrk.body = "{\\"model\\":\\"m\\",\\"messages\\":[{\\"role\\":\\"user\\",\\"content\\":\\"hi\\"}]}"\nwrk.headers["Content-Type"] = "application/json"\n' > "$work/post.lua"

# wrk: 64 connections, 2 threads (the machine's cores), 10 s.
wrk_out=$(/usr/bin/time -f '%U %S' -o "$work/wrk.time" wrk -t 2 -c 64 -d 10s -s "$work/post.lua" "http://127.0.0.1:$port/v1/chat/completions")
wrk_rps=$(echo "$wrk_out" | awk '/Requests\/sec/ {print $2}')
wrk_reqs=$(echo "$wrk_out" | awk '/requests in/ {print $1}')
# llmr bench: the same responder, 64 in flight, N requests.
/usr/bin/time -f '%U %S' -o "$work/llmr.time" "$bin/llmr" bench --config "$work/config.yaml" --no-stream -c 64 -n "$n" \
  --json --quiet m > "$work/bench.json"
llmr_rps=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["targets"][0]; print(round(t["requests_per_s"],1))' "$work/bench.json")
# libcurl's own floor: a C program driving the same multi interface with 64
# easy handles kept and reused, doing nothing else; once with one multi handle
# (what llmr bench has for a target), once with two on two threads (as wrk -t2
# splits its 64 connections). llmr cannot beat the first.
cat > "$work/floor.c" <<'C'
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static const char *url;
static int per_thread, handles;
static size_t sink(char *p, size_t s, size_t n, void *u) { (void)p; (void)u; return s * n; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void *drive(void *arg) {
    (void)arg;
    int started = 0, done = 0;
    CURLM *multi = curl_multi_init();
    struct curl_slist *headers = curl_slist_append(0, "Content-Type: application/json");
    for (; started < handles && started < per_thread; started++) {
        CURL *e = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
        curl_multi_add_handle(multi, e);
    }
    while (done < per_thread) {
        int running, left;
        curl_multi_perform(multi, &running);
        for (CURLMsg *m; (m = curl_multi_info_read(multi, &left));) {
            if (m->msg != CURLMSG_DONE) continue;
            CURL *e = m->easy_handle;
            done++;
            curl_multi_remove_handle(multi, e);
            if (started < per_thread) { started++; curl_multi_add_handle(multi, e); }
        }
        if (done < per_thread) curl_multi_poll(multi, 0, 0, 100, 0);
    }
    return 0;
}
int main(int argc, char **argv) {
    url = argv[1];
    int total = atoi(argv[2]), threads = atoi(argv[3]);
    per_thread = total / threads;
    handles = 64 / threads;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_t t[8];
    double t0 = now();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], 0, drive, 0);
    for (int i = 0; i < threads; i++) pthread_join(t[i], 0);
    printf("%.1f\n", per_thread * threads / (now() - t0));
    return 0;
}
C
"$(command -v gcc || command -v clang)" -O2 -o "$work/floor" "$work/floor.c" -lcurl -lpthread
floor_n=100000
floor_rps=$(/usr/bin/time -f '%U %S' -o "$work/floor.time" "$work/floor" "http://127.0.0.1:$port/v1/chat/completions" "$floor_n" 1)
floor2_rps=$(/usr/bin/time -f '%U %S' -o "$work/floor2.time" "$work/floor" "http://127.0.0.1:$port/v1/chat/completions" "$floor_n" 2)

# Streaming: 64 streams at once, 20 ms between chunks.
cat > "$work/fake.json" <<'JSON'
{"providers": {"paced": {"text": "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty", "chunk_delay_ms": 20}}}
JSON
start_fake "$work/fake.json" --send-log "$work/sends.log"
cat > "$work/stream.yaml" <<YAML
providers:
  paced: {api: openai, base_url: http://127.0.0.1:$port/paced/v1}
models:
  p: {provider: paced, id: p}
YAML
"$bin/llmr" bench --config "$work/stream.yaml" -c 64 -n 640 --json --quiet p > "$work/stream.json"

python3 - "$wrk_rps" "$wrk_reqs" "$work/wrk.time" "$llmr_rps" "$n" "$work/llmr.time" "$work/stream.json" "$work/sends.log" \
  "$floor_rps" "$floor_n" "$work/floor.time" "$floor2_rps" "$work/floor2.time" <<'PY' | tee bench-results/wrk.md
import json, sys
wrk_rps, wrk_reqs = float(sys.argv[1]), int(sys.argv[2])
wu, ws = map(float, open(sys.argv[3]).read().split())
llmr_rps, n = float(sys.argv[4]), int(sys.argv[5])
lu, ls = map(float, open(sys.argv[6]).read().split())
s = json.load(open(sys.argv[7]))["targets"][0]["itl_ms"]
print("| client | requests/s | CPU time per request |")
print("|---|---|---|")
print(f"| wrk -t2 -c64 | {wrk_rps:.0f} | {(wu + ws) / wrk_reqs * 1e6:.1f} µs |")
print(f"| llmr bench --no-stream -c 64 | {llmr_rps:.0f} ({llmr_rps / wrk_rps:.2f}x wrk) | {(lu + ls) / n * 1e6:.1f} µs |")
floor_rps, floor_n = float(sys.argv[9]), int(sys.argv[10])
fu, fs = map(float, open(sys.argv[11]).read().split())
print(f"| libcurl alone (C, 64 reused handles, one multi handle) | {floor_rps:.0f} ({floor_rps / wrk_rps:.2f}x wrk) | {(fu + fs) / floor_n * 1e6:.1f} µs |")
floor2_rps = float(sys.argv[12])
f2u, f2s = map(float, open(sys.argv[13]).read().split())
print(f"| libcurl alone (C, two threads of 32 handles, a multi handle each) | {floor2_rps:.0f} ({floor2_rps / wrk_rps:.2f}x wrk) | {(f2u + f2s) / floor_n * 1e6:.1f} µs |")
print()
streams = {}
for line in open(sys.argv[8]):
    stream, chunk, t = line.split()
    streams.setdefault(stream, []).append((int(chunk), float(t)))
gaps = sorted((b[1] - a[1]) * 1000 for times in streams.values() for a, b in zip(sorted(times), sorted(times)[1:]))
def rank(p):  # nearest rank, as llmr reports percentiles
    return gaps[max(0, min(len(gaps) - 1, -(-len(gaps) * p // 100) - 1))]
server = {"p50": rank(50), "p99": rank(99), "max": gaps[-1]}
print("64 concurrent streams from the fake provider, chunks 20 ms apart:")
print()
print("| inter-chunk gap | as the server sent them | as llmr measured them | difference |")
print("|---|---|---|---|")
for k in ["p50", "p99", "max"]:
    print(f"| {k} | {server[k]:.2f} ms | {s[k]:.2f} ms | {s[k] - server[k]:+.2f} ms |")
print(f"| gaps | {len(gaps)} | {s['count']} | |")
PY
