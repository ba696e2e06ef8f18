#!/usr/bin/env bash
# The Node package on an aarch64 host, emulated: build the npm package
# (scripts/build-node-package: the linux-x64 and linux-arm64 prebuilt
# addons, the arm64 one cross-compiled), check that the arm64 addon is an
# AArch64 object needing only the C library, install the tarball into a
# fresh project, and run tests/cross/node-smoke.js there with Debian's
# arm64 node under qemu-user (`qemu-aarch64-static -L SYSROOT`, no binfmt).
#
#   tests/cross/node-arm64.sh [OUT_DIR]     (default: build/cross/node-arm64)
#
# The sysroot is Debian's nodejs:arm64 and every package it loads, fetched
# by tests/boot/guest_debs.py into .deps/arm64-node (downloaded and
# unpacked once, never installed).  Prints the sizes in bytes of each
# prebuilt addon and of the tarball, the glibc versions the arm64 addon
# needs, and the wall time.  Exit status: non-zero on any failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
start=$(date +%s.%N)
out=$(mkdir -p "${1:-$repo/build/cross/node-arm64}" && cd "${1:-$repo/build/cross/node-arm64}" && pwd)

# Debian bookworm's nodejs for arm64 and what it loads: its libraries
# (apt-cache depends nodejs libnode108, followed down), and the JavaScript
# it takes from /usr/share/nodejs instead of embedding it (Architecture:
# all, hence ":all"; without cjs-module-lexer node aborts at start).
node_debs=(
    nodejs libnode108 libc6 libgcc-s1 gcc-12-base libstdc++6 libicu72 libssl3 libuv1
    zlib1g libbrotli1 libc-ares2 libnghttp2-14
    node-cjs-module-lexer:all node-acorn:all node-undici:all node-busboy:all node-xtend:all
)

fail() { echo "tests/cross/node-arm64.sh: $*" >&2; exit 1; }
for tool in qemu-aarch64-static aarch64-linux-gnu-gcc readelf python3 npm; do
    command -v "$tool" >/dev/null || fail "no $tool on PATH (scripts/install-deps)"
done

printf '==> build the npm package (linux-x64 and linux-arm64 addons)\n'
tarball=$(nice -n 19 scripts/build-node-package --platform linux-x64,linux-arm64 "$out/pkg" | tail -n 1)
for p in linux-x64 linux-arm64; do
    f=$out/pkg/package/prebuilds/$p/supermachine_kernel.node
    [ -f "$f" ] || fail "$f: not built"
    printf 'size: prebuilds/%s/supermachine_kernel.node %s bytes\n' "$p" "$(stat -c %s "$f")"
done
printf 'size: %s %s bytes\n' "$(basename "$tarball")" "$(stat -c %s "$tarball")"

printf '\n==> the linux-arm64 addon: AArch64, needs only libc\n'
addon=$out/pkg/package/prebuilds/linux-arm64/supermachine_kernel.node
readelf -h "$addon" | grep -q 'Machine: *AArch64$' || fail "$addon: not an AArch64 object"
needed=$(readelf -d "$addon" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | tr '\n' ' ')
echo "NEEDED: $needed"
for lib in $needed; do
    case $lib in
        libc.so.6 | ld-linux-aarch64.so.1) ;;
        *) fail "$addon needs $lib (only libc expected: liblzma.a linked in?)" ;;
    esac
done
echo "glibc versions needed: $(readelf -V "$addon" | sed -n 's/.*Name: \(GLIBC_[0-9.]*\).*/\1/p' | sort -uV | tr '\n' ' ')"

printf '\n==> Debian arm64 node sysroot (.deps/arm64-node)\n'
sysroot=$(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import guest_debs
print(guest_debs.fetch("aarch64", sys.argv[2:], name="node"))
' "$repo/tests/boot" "${node_debs[@]}")
node_arm64=(env -u LD_LIBRARY_PATH -u NODE_OPTIONS -u NODE_PATH qemu-aarch64-static -L "$sysroot" "$sysroot/usr/bin/node")
"${node_arm64[@]}" -p '`node ${process.version} ${process.arch}`'

printf '\n==> npm install of the tarball into a fresh project\n'
project=$out/project
rm -rf "$project"
mkdir -p "$project"
printf '{ "name": "smk-node-arm64-smoke", "version": "0.0.0", "private": true }\n' >"$project/package.json"
(cd "$project" && npm install --offline --ignore-scripts --no-audit --no-fund --loglevel=error "$tarball")
cp tests/cross/node-smoke.js "$project/smoke.js"

printf '\n==> smoke suite on the arm64 node\n'
status=0
(cd "$project" && nice -n 19 "${node_arm64[@]}" smoke.js) || status=$?
awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "wall time: %.1f s\n", b - a }'
[ "$status" -eq 0 ] || fail "the smoke suite failed (exit $status)"
