#!/usr/bin/env bash
# Compile and link one static aarch64 musl executable, reproducibly.
#
#   payloads/musl-build.sh OUT SOURCE.c... [-- EXTRA_CFLAGS...]
#
# Debian's musl-dev:arm64 provides the C library and the
# aarch64-linux-musl-gcc wrapper around gcc-aarch64-linux-gnu. musl ships no
# Linux uapi headers, so <linux/*.h> and <asm/*.h> come from Debian's
# linux-libc-dev-arm64-cross through a private include directory (adding the
# whole glibc include directory would let glibc headers leak in).
# Paths are recorded relative to the repository, there is no build id, and
# the result is stripped: the output depends only on the sources and the
# pinned toolchain.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/pins.sh"

out=${1:?usage: musl-build.sh OUT SOURCE.c... [-- EXTRA_CFLAGS...]}
shift
sources=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do sources+=("$1"); shift; done
[ "${1:-}" = -- ] && shift

uapi=/usr/aarch64-linux-gnu/include
for d in linux asm asm-generic; do
    [ -d "$uapi/$d" ] || { echo "musl-build: $uapi/$d missing (install linux-libc-dev-arm64-cross)" >&2; exit 1; }
done
command -v aarch64-linux-musl-gcc >/dev/null ||
    { echo "musl-build: aarch64-linux-musl-gcc missing (install musl-dev:arm64)" >&2; exit 1; }

inc=$(mktemp -d "${TMPDIR:-/tmp}/smk-uapi.XXXXXX")
trap 'rm -rf "$inc"' EXIT
for d in linux asm asm-generic; do ln -s "$uapi/$d" "$inc/$d"; done

aarch64-linux-musl-gcc -std=c11 -D_GNU_SOURCE -Os -static \
    -Wall -Wextra -Werror \
    -ffile-prefix-map="$repo"=. -ffile-prefix-map="$inc"=uapi \
    -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections \
    -idirafter "$inc" "$@" "${sources[@]}" \
    -Wl,--gc-sections -Wl,--build-id=none -s \
    -o "$out"
