#!/usr/bin/env bash
# Build init-oci: a static musl executable, reproducibly.
#
#   payloads/init-oci/build.sh [--arch aarch64|x86_64] OUT
#
# Compiles every .c in this directory (main.c included) through
# ../musl-build.sh, for aarch64 unless --arch says otherwise; the output
# depends only on these sources and the toolchain pinned there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage='usage: build.sh [--arch aarch64|x86_64] OUT'
arch=()
if [ "${1:-}" = --arch ]; then
    arch=(--arch "${2:?$usage}")
    shift 2
fi
out=${1:?$usage}

# A fixed order: the glob's order must not depend on the locale.
sources=()
while IFS= read -r f; do sources+=("$here/$f"); done < <(cd "$here" && LC_ALL=C ls -1 -- *.c)

exec "$here/../musl-build.sh" "${arch[@]}" "$out" "${sources[@]}"
