#!/usr/bin/env bash
# Fails when the release binary (built first if missing) carries Foundation or
# ICU, in its needed libraries or in its own symbols, or is over 20 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/llmr}
[ -x "$bin" ] || make release >/dev/null
fail=0
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "check-lean: needs $needed"
if grep -qiE 'foundation|icu' <<<"$needed"; then echo "check-lean: links Foundation or ICU"; fail=1; fi
# Swift symbols of the Foundation modules (their names carry the module's
# length-prefixed name) and ICU's, which Foundation renames with a swift_ prefix.
count=$(nm "$bin" | grep -cE '[0-9]+Foundation(Essentials|Internationalization|Networking|XML)?[A-Z_0-9]|_FoundationICU|swift_u[a-z]+_[a-zA-Z]|\bu_[a-z]+_swift|icudt' || true)
echo "check-lean: $count Foundation or ICU symbols"
if [ "$count" -ne 0 ]; then
  nm "$bin" | grep -m 5 -E '[0-9]+Foundation|_FoundationICU|swift_u[a-z]+_' || true
  fail=1
fi
size=$(stat -c %s "$bin")
echo "check-lean: $size bytes"
[ "$size" -le 20000000 ] || { echo "check-lean: over 20 MB"; fail=1; }
exit $fail
