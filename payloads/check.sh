#!/usr/bin/env bash
# Prove the committed payloads come from their recipes.
#
#   payloads/check.sh          committed .xz files match manifest.json and
#                              decode to the recorded bytes; init-oci and the
#                              agent of both architectures rebuild bit for bit
#                              (seconds; CI runs this)
#   payloads/check.sh --full   the same, plus, for each architecture, two
#                              kernel builds in different directories, both
#                              equal to the manifest (~40 min on 2 cores)
#   payloads/check.sh [--full] --arch aarch64|x86_64
#                              rebuild and compare only that architecture's
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pins.sh"
usage="usage: check.sh [--full] [--arch aarch64|x86_64]"
full=0
archs=(aarch64 x86_64)
while [ $# -gt 0 ]; do
    case $1 in
        --full) full=1; shift ;;
        --arch) archs=("${2:?$usage}"); shift 2 ;;
        --arch=*) archs=("${1#--arch=}"); shift ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
case ${archs[*]} in
    "aarch64 x86_64"|aarch64|x86_64) ;;
    *) echo "check: unknown architecture '${archs[*]}' (aarch64, x86_64)" >&2; exit 2 ;;
esac

python3 "$here/manifest.py" verify

work=$(mktemp -d "${TMPDIR:-/tmp}/smk-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The .xz of ARCH's FILE, relative to payloads/ (as manifest.py's xz_path).
xz_of() { if [ "$1" = aarch64 ]; then echo "$2.xz"; else echo "$1/$2.xz"; fi; }

# A rebuilt artifact must match the manifest raw, and recompressing it with
# the architecture's flags must give the committed .xz byte for byte.
compare() { # arch file
    local flags_var=XZ_FLAGS_$1 xz
    xz=$(xz_of "$1" "$2")
    python3 "$here/manifest.py" check "$work" "$1/$2"
    # shellcheck disable=SC2086  # the flags are a list of options
    xz ${!flags_var} -c "$work/$1/$2" | cmp -s - "$here/$xz" ||
        { echo "$1/$2: recompressed .xz differs from committed $xz" >&2; return 1; }
}

for arch in "${archs[@]}"; do
    mkdir -p "$work/$arch"
    "$here/init-oci/build.sh" --arch "$arch" "$work/$arch/init-oci"
    compare "$arch" init-oci
    "$here/agent/build.sh" --arch "$arch" "$work/$arch/supermachine-agent"
    compare "$arch" supermachine-agent
done

if [ "$full" = 1 ]; then
    for arch in "${archs[@]}"; do
        "$here/kernel/build.sh" --arch "$arch" "$work/$arch/kernel" "$work/tree-a"
        rm -rf "$work/tree-a"
        mkdir -p "$work/second/elsewhere"
        "$here/kernel/build.sh" --arch "$arch" "$work/$arch/kernel-b" "$work/second/elsewhere"
        rm -rf "$work/second"
        cmp "$work/$arch/kernel" "$work/$arch/kernel-b" ||
            { echo "$arch/kernel: two builds in different directories differ" >&2; exit 1; }
        echo "$arch/kernel: two builds in different directories are identical"
        compare "$arch" kernel
    done
fi
echo "payloads: all checks passed (${archs[*]}$([ "$full" = 1 ] && echo ', kernels included'))"
