#!/usr/bin/env bash
# Rebuild guest artifacts from their recipes, compress them and rewrite
# payloads/manifest.json.
#
#   payloads/build.sh                 rebuild all three (the kernel takes ~10 min)
#   payloads/build.sh init-oci agent  rebuild these; keep the committed others
#
# Raw builds land in build/payloads/raw (override with SMK_RAW_DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pins.sh"
raw=${SMK_RAW_DIR:-$here/../build/payloads/raw}
mkdir -p "$raw"
raw=$(cd "$raw" && pwd)

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(kernel init-oci agent)

file_of() { case $1 in kernel) echo kernel ;; init-oci) echo init-oci ;; agent) echo supermachine-agent ;;
            *) echo "build: unknown asset '$1' (kernel, init-oci, agent)" >&2; exit 2 ;; esac; }

for asset in kernel init-oci agent; do
    file=$(file_of "$asset")
    if [[ " ${want[*]} " == *" $asset "* ]]; then
        echo "build: $asset" >&2
        "$here/$asset/build.sh" "$raw/$file.new"
        mv "$raw/$file.new" "$raw/$file"
        # xz writes to stdout; replace the committed file only when complete.
        xz $XZ_FLAGS -c "$raw/$file" > "$here/$file.xz.new"
        mv "$here/$file.xz.new" "$here/$file.xz"
    else
        [ -f "$here/$file.xz" ] || { echo "build: $file.xz not committed; build $asset too" >&2; exit 1; }
        xz -dc "$here/$file.xz" > "$raw/$file"
    fi
done
python3 "$here/manifest.py" write "$raw"
python3 "$here/manifest.py" verify
