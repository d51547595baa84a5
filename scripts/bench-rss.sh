#!/usr/bin/env bash
# Peak RSS of `llmr bench` (release build) against the fake provider at 5,000
# and 50,000 requests, closed loop (-c 8) and open loop (--rate with
# --max-concurrency 32: on two cores the fake cannot answer 4,000 a second, and
# an uncapped open loop then holds every late request in flight, which is
# queueing, not what a request keeps), --direct, streamed answers, the run
# recorded in the attempt log as usual. Memory must not grow with the number
# of requests. Writes bench-results/rss.md.
source "$(dirname "$0")/bench-lib.sh"
small=${SMALL:-5000}
large=${LARGE:-50000}
rate=${RATE:-4000}

cat > "$work/fake.json" <<'JSON'
{"providers": {"up": {"text": "a short streamed answer of several words"}}}
JSON
start_fake "$work/fake.json"
cat > "$work/config.yaml" <<YAML
providers:
  up: {api: openai, base_url: http://127.0.0.1:$port/up/v1}
models:
  up: {provider: up, id: m, input: 0.1, output: 0.1}
YAML

peak() { # peak RSS in MiB of one bench run: args after the request count
  local n=$1; shift
  export LLMR_STATE_DIR="$work/state-$n-$RANDOM"
  /usr/bin/time -f %M "$bin/llmr" bench --config "$work/config.yaml" up -n "$n" -q --json --yes "$@" 2>&1 >/dev/null | tail -1 |
    awk '{ printf "%.1f", $1 / 1024 }'
}

{
  echo "Peak RSS of \`llmr bench\`, $small and $large requests (MiB):"
  echo
  echo "| loop | $small requests | $large requests |"
  echo "|---|---|---|"
  echo "| closed, -c 8 | $(peak "$small" -c 8) | $(peak "$large" -c 8) |"
  echo "| open, --rate $rate --max-concurrency 32 | $(peak "$small" --rate "$rate" --max-concurrency 32) | $(peak "$large" --rate "$rate" --max-concurrency 32) |"
} | tee bench-results/rss.md
