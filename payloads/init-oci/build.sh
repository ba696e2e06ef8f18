#!/usr/bin/env bash
# Build init-oci: a static aarch64 musl executable, reproducibly.
#
#   payloads/init-oci/build.sh OUT
#
# Compiles every .c in this directory (main.c included) through
# ../musl-build.sh; the output depends only on these sources and the
# toolchain pinned there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT}

# A fixed order: the glob's order must not depend on the locale.
sources=()
while IFS= read -r f; do sources+=("$here/$f"); done < <(cd "$here" && LC_ALL=C ls -1 -- *.c)

exec "$here/../musl-build.sh" "$out" "${sources[@]}"
