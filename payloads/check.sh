#!/usr/bin/env bash
# Prove the committed payloads come from their recipes.
#
#   payloads/check.sh          committed .xz files match manifest.json and
#                              decode to the recorded bytes; init-oci and the
#                              agent rebuild bit for bit (seconds; CI runs this)
#   payloads/check.sh --full   the same, plus two kernel builds in different
#                              directories, both equal to the manifest (~20 min)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pins.sh"
full=0
[ "${1:-}" = --full ] && full=1

python3 "$here/manifest.py" verify

work=$(mktemp -d "${TMPDIR:-/tmp}/smk-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A rebuilt artifact must match the manifest raw, and recompressing it must
# give the committed .xz byte for byte.
compare() { # file
    python3 "$here/manifest.py" check "$work" "$1"
    xz $XZ_FLAGS -c "$work/$1" | cmp -s - "$here/$1.xz" ||
        { echo "$1: recompressed .xz differs from committed $1.xz" >&2; return 1; }
}
"$here/init-oci/build.sh" "$work/init-oci"
compare init-oci
"$here/agent/build.sh" "$work/supermachine-agent"
compare supermachine-agent

if [ "$full" = 1 ]; then
    "$here/kernel/build.sh" "$work/kernel" "$work/tree-a"
    rm -rf "$work/tree-a"
    mkdir -p "$work/second/elsewhere"
    "$here/kernel/build.sh" "$work/kernel-b" "$work/second/elsewhere"
    cmp "$work/kernel" "$work/kernel-b" ||
        { echo "kernel: two builds in different directories differ" >&2; exit 1; }
    echo "kernel: two builds in different directories are identical"
    compare kernel
fi
echo "payloads: all checks passed"
