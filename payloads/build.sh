#!/usr/bin/env bash
# Rebuild guest artifacts from their recipes, compress them and rewrite
# payloads/manifest.json.
#
#   payloads/build.sh                         rebuild every asset of both
#                                             architectures (~10 min per kernel)
#   payloads/build.sh init-oci agent          rebuild these, for both architectures
#   payloads/build.sh --arch x86_64 [ASSET...]  rebuild only that architecture's
#
# ASSET is kernel, init-oci or agent; ARCH aarch64 or x86_64. What is not
# rebuilt is decoded from its committed .xz, checked against the manifest
# and kept; it is recompressed only when its manifest entry records other
# xz flags than pins.sh's (its raw bytes stay the same). The .xz files are
# payloads/<file>.xz for aarch64, payloads/<arch>/<file>.xz for the others.
#
# Raw builds land in build/payloads/raw/<arch>/<file> (override the raw
# directory with SMK_RAW_DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pins.sh"
archs=(aarch64 x86_64)
usage="usage: build.sh [--arch aarch64|x86_64] [kernel|init-oci|agent...]"

want_archs=("${archs[@]}")
case ${1:-} in
    --arch) want_archs=("${2:?$usage}"); shift 2 ;;
    --arch=*) want_archs=("${1#--arch=}"); shift ;;
esac
case ${want_archs[0]} in
    aarch64|x86_64) ;;
    *) echo "build: unknown architecture '${want_archs[0]}' (aarch64, x86_64)" >&2; exit 2 ;;
esac
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(kernel init-oci agent)

file_of() { case $1 in kernel) echo kernel ;; init-oci) echo init-oci ;; agent) echo supermachine-agent ;;
            *) echo "build: unknown asset '$1' (kernel, init-oci, agent)" >&2; exit 2 ;; esac; }
name_of() { case $1 in kernel) echo kernel ;; init-oci) echo init_oci ;; agent) echo supermachine_agent ;; esac; }
# The .xz of ARCH's FILE, relative to payloads/ (as manifest.py's xz_path).
xz_of() { if [ "$1" = aarch64 ]; then echo "$2.xz"; else echo "$1/$2.xz"; fi; }
for asset in "${want[@]}"; do file_of "$asset" >/dev/null; done

raw=${SMK_RAW_DIR:-$here/../build/payloads/raw}
mkdir -p "$raw"
raw=$(cd "$raw" && pwd)

# compress RAW XZ FLAGS: xz writes to stdout; replace XZ only when complete.
compress() {
    mkdir -p "$(dirname "$2")"
    # shellcheck disable=SC2086  # FLAGS is a list of options
    xz $3 -c "$1" > "$2.new"
    mv "$2.new" "$2"
}

for arch in "${archs[@]}"; do
    flags_var=XZ_FLAGS_$arch
    flags=${!flags_var:?build: payloads/pins.sh sets no $flags_var}
    mkdir -p "$raw/$arch"
    for asset in kernel init-oci agent; do
        file=$(file_of "$asset")
        xz=$here/$(xz_of "$arch" "$file")
        if [[ " ${want_archs[*]} " == *" $arch "* && " ${want[*]} " == *" $asset "* ]]; then
            echo "build: $arch $asset" >&2
            "$here/$asset/build.sh" --arch "$arch" "$raw/$arch/$file.new"
            mv "$raw/$arch/$file.new" "$raw/$arch/$file"
            compress "$raw/$arch/$file" "$xz" "$flags"
        else
            [ -f "$xz" ] || { echo "build: $(xz_of "$arch" "$file") not committed; build $arch $asset too" >&2; exit 1; }
            xz -dc "$xz" > "$raw/$arch/$file"
            python3 "$here/manifest.py" check "$raw" "$arch/$file" >/dev/null
            recorded=$(python3 "$here/manifest.py" compression "$arch/$file")
            if [ "$recorded" != "$flags" ]; then
                echo "build: $arch $asset kept, recompressed with $flags_var" >&2
                compress "$raw/$arch/$file" "$xz" "$flags"
            fi
        fi
    done
done
python3 "$here/manifest.py" write "$raw"
python3 "$here/manifest.py" verify
