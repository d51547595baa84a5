#!/usr/bin/env bash
# Installs the Debian packages llmr builds against, when any is missing.
# Quiet and quick when everything is there already.
set -euo pipefail
need=()
for pkg in libcurl4-openssl-dev libedit-dev libsqlite3-dev libyaml-dev libhiredis-dev pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing ${need[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
