#!/usr/bin/env bash
# The Python client libraries the gateway's tests talk through: the openai and
# anthropic SDKs and prometheus_client, from PyPI, installed once into a cache
# directory (LLMR_SDK_CACHE, default ~/.cache/llmr-sdk; never into the project).
# Prints the venv's python on stdout; exits non-zero when it cannot be made.
set -euo pipefail
cache=${LLMR_SDK_CACHE:-$HOME/.cache/llmr-sdk}
py=$cache/venv/bin/python
if ! "$py" -c 'import openai, anthropic, prometheus_client' 2>/dev/null; then
  echo "sdk: installing openai, anthropic and prometheus_client into $cache (once)" >&2
  mkdir -p "$cache"
  if [ ! -x "$py" ]; then
    # Debian's python3 makes a venv only with python3-venv.
    python3 -m venv "$cache/venv" >/dev/null 2>&1 || { "$(dirname "$0")/install-deps.sh" python3-venv >&2 && python3 -m venv "$cache/venv"; }
  fi
  "$cache/venv/bin/pip" install -q --disable-pip-version-check openai anthropic prometheus_client >&2
fi
echo "$py"
