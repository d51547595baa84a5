#!/usr/bin/env bash
# Makes DIR hold a link to libstdc++.a, when the C++ compiler that Swift's
# driver links with can find one (Debian: libstdc++-12-dev), so that the release
# link's -lstdc++ takes the archive. Without one, DIR stays empty and the
# shared library is linked as before.
set -euo pipefail
dir=${1:?usage: static-libs.sh DIR}
mkdir -p "$dir"
for cc in clang gcc cc; do
  command -v "$cc" >/dev/null || continue
  archive=$("$cc" -print-file-name=libstdc++.a)
  if [ "$archive" != libstdc++.a ] && [ -f "$archive" ]; then
    ln -sf "$(readlink -f "$archive")" "$dir/libstdc++.a"
    exit 0
  fi
done
rm -f "$dir/libstdc++.a"
