# Shared by the benchmark scripts: source it, then call start_fake SCRIPT.
# Sets bin (the release build, built if missing), work (a temporary directory
# removed on exit) and, after start_fake, port.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=.build/release
# Always (re)build: a benchmark of a stale binary measures the wrong code.
make release >/dev/null
command -v hyperfine >/dev/null && [ -x /usr/bin/time ] || scripts/install-deps.sh hyperfine time
mkdir -p bench-results
work=$(mktemp -d)
fake=""
trap '[ -n "$fake" ] && kill "$fake" 2>/dev/null; rm -rf "$work"' EXIT

# A TCP port free on 127.0.0.1 now.
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts llmr-fake with the JSON script in $1 (and any further llmr-fake
# options) and waits for its port.
start_fake() {
  "$bin/llmr-fake" --script "$@" --port-file "$work/port" --for 900 2>/dev/null &
  fake=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  port=$(cat "$work/port")
}

# Starts nginx on 127.0.0.1:$1 answering every request with one fixed chat
# completion (a static upstream, as fast as a server gets); sets nginx_pid.
start_static_upstream() {
  local body='{"id":"c","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from a static responder."},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":6,"total_tokens":16}}'
  mkdir -p "$work/nginx/logs"
  cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$1;
        location / { default_type application/json; return 200 '$body'; }
    }
}
NGINX
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
  nginx_pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$1/" && break; sleep 0.1; done
}
