#!/usr/bin/env bash
# Compile and link one static musl executable, reproducibly.
#
#   payloads/musl-build.sh [--arch aarch64|x86_64] OUT SOURCE.c... [-- EXTRA_CFLAGS...]
#
# The architecture defaults to aarch64. Debian's musl-dev for the target
# (musl-dev:arm64, musl-dev:amd64) provides the C library and the
# <triple>-linux-musl-gcc wrapper around that target's gcc
# (gcc-aarch64-linux-gnu; on an amd64 machine the native gcc). musl ships no
# Linux uapi headers, so <linux/*.h> and <asm/*.h> come from Debian's
# linux-libc-dev-<arch>-cross through a private include directory (adding
# the whole glibc include directory would let glibc headers leak in; the
# cross package, not the host's linux-libc-dev, also for x86_64, so both
# architectures use the same header release and an amd64 kernel update
# cannot change the bytes).
# Paths are recorded relative to the repository, there is no build id, and
# the result is stripped: the output depends only on the sources and the
# pinned toolchain.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/pins.sh"

usage='usage: musl-build.sh [--arch aarch64|x86_64] OUT SOURCE.c... [-- EXTRA_CFLAGS...]'
arch=aarch64
if [ "${1:-}" = --arch ]; then
    arch=${2:?$usage}
    shift 2
fi
case $arch in
    aarch64) debarch=arm64 ;;
    x86_64) debarch=amd64 ;;
    *) echo "musl-build: unknown architecture '$arch' (aarch64, x86_64)" >&2; exit 2 ;;
esac
cc=$arch-linux-musl-gcc

out=${1:?$usage}
shift
sources=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do sources+=("$1"); shift; done
[ "${1:-}" = -- ] && shift

uapi=/usr/$arch-linux-gnu/include
for d in linux asm asm-generic; do
    [ -d "$uapi/$d" ] || { echo "musl-build: $uapi/$d missing (install linux-libc-dev-$debarch-cross)" >&2; exit 1; }
done
command -v "$cc" >/dev/null ||
    { echo "musl-build: $cc missing (install musl-dev:$debarch)" >&2; exit 1; }

inc=$(mktemp -d "${TMPDIR:-/tmp}/smk-uapi.XXXXXX")
trap 'rm -rf "$inc"' EXIT
for d in linux asm asm-generic; do ln -s "$uapi/$d" "$inc/$d"; done

"$cc" -std=c11 -D_GNU_SOURCE -Os -static \
    -Wall -Wextra -Werror \
    -ffile-prefix-map="$repo"=. -ffile-prefix-map="$inc"=uapi \
    -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections \
    -idirafter "$inc" "$@" "${sources[@]}" \
    -Wl,--gc-sections -Wl,--build-id=none -s \
    -o "$out"
