#!/usr/bin/env bash
# Build the aarch64 agent twice, once from a copy of the recipe in another
# directory, and require identical bytes: no path, time or host may leak in.
#
#   tests/agent/check_reproducible.sh WORKDIR
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:?usage: check_reproducible.sh WORKDIR}
rm -rf "$work"
mkdir -p "$work/elsewhere/payloads"
cp -R "$repo/payloads/agent" "$repo/payloads/musl-build.sh" "$repo/payloads/pins.sh" \
    "$work/elsewhere/payloads/"
"$repo/payloads/agent/build.sh" "$work/a"
(cd "$work" && TZ=Pacific/Auckland LC_ALL=C elsewhere/payloads/agent/build.sh "$work/b")
sha_a=$(sha256sum < "$work/a" | cut -d' ' -f1)
sha_b=$(sha256sum < "$work/b" | cut -d' ' -f1)
echo "build 1: $sha_a  $(stat -c %s "$work/a") bytes"
echo "build 2: $sha_b  $(stat -c %s "$work/b") bytes"
# ELF e_machine 0xb7 is EM_AARCH64.
[ "$(od -An -tx1 -j18 -N2 "$work/a" | tr -d ' ')" = b700 ] ||
    { echo "not an aarch64 executable" >&2; exit 1; }
if command -v file >/dev/null; then
    file "$work/a" | grep -q 'statically linked' || { echo "not static" >&2; exit 1; }
fi
[ "$sha_a" = "$sha_b" ] || { echo "agent build is not reproducible" >&2; exit 1; }
echo "1 passed, 0 failed"
