#!/usr/bin/env bash
# Build the microVM kernel Image from Debian's pinned linux-source package.
#
#   payloads/kernel/build.sh OUT_IMAGE [WORKDIR]
#
# The source tree is unpacked into WORKDIR (default: a fresh temporary
# directory, removed afterwards) and built in-tree, so every path the build
# records is relative and two builds in different directories give the same
# bytes. The build identity (timestamp, user, host, version) is pinned in
# payloads/pins.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../pins.sh"

out=${1:?usage: build.sh OUT_IMAGE [WORKDIR]}
case $out in /*) ;; *) out=$PWD/$out ;; esac
fragment=$here/microvm.config

installed=$(dpkg-query -W -f='${Version}' "$LINUX_SOURCE_PACKAGE" 2>/dev/null || true)
if [ "$installed" != "$LINUX_SOURCE_VERSION" ]; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            "$LINUX_SOURCE_PACKAGE=$LINUX_SOURCE_VERSION" >&2 || true
        installed=$(dpkg-query -W -f='${Version}' "$LINUX_SOURCE_PACKAGE" 2>/dev/null || true)
    fi
    if [ "$installed" != "$LINUX_SOURCE_VERSION" ]; then
        available=$(apt-cache policy "$LINUX_SOURCE_PACKAGE" 2>/dev/null | awk '/Candidate:/ {print $2}')
        echo "kernel: need $LINUX_SOURCE_PACKAGE version $LINUX_SOURCE_VERSION;" \
             "installed: ${installed:-none}, available: ${available:-none}" >&2
        exit 1
    fi
fi
tarball=/usr/src/$LINUX_SOURCE_PACKAGE.tar.xz
[ -f "$tarball" ] || { echo "kernel: $tarball missing although $LINUX_SOURCE_PACKAGE is installed" >&2; exit 1; }

if [ -n "${2:-}" ]; then
    work=$2
    mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/smk-kernel.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
src=$work/$LINUX_SOURCE_PACKAGE
rm -rf "$src"
tar -xf "$tarball" -C "$work"

kmake() {
    make -C "$src" -s ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
        KBUILD_BUILD_TIMESTAMP="$BUILD_TIMESTAMP" \
        KBUILD_BUILD_USER="$BUILD_USER" KBUILD_BUILD_HOST="$BUILD_HOST" \
        KBUILD_BUILD_VERSION=1 "$@"
}

# Everything not named in the fragment stays off.
kmake KCONFIG_ALLCONFIG="$fragment" allnoconfig

# Every option of the fragment must have survived Kconfig unchanged.
missing=0
while IFS= read -r line; do
    case $line in
        CONFIG_*=*)
            grep -qxF -- "$line" "$src/.config" || {
                echo "kernel: $line requested but final .config has:" \
                     "$(grep -E "^(# )?${line%%=*}[= ]" "$src/.config" || echo 'nothing')" >&2
                missing=1
            } ;;
        "# CONFIG_"*" is not set")
            name=${line#\# }; name=${name%% *}
            if grep -q "^$name=" "$src/.config"; then
                echo "kernel: $name requested off but final .config has: $(grep "^$name=" "$src/.config")" >&2
                missing=1
            fi ;;
    esac
done < "$fragment"
[ "$missing" = 0 ] || exit 1

kmake -j"$(nproc)" Image
release=$(kmake kernelrelease)
install -m 0644 "$src/arch/arm64/boot/Image" "$out"
echo "kernel: built $release, $(stat -c %s "$out") bytes" >&2
