#!/usr/bin/env bash
# Build the microVM kernel from Debian's pinned linux-source package.
#
#   payloads/kernel/build.sh [--arch aarch64|x86_64] OUT [WORKDIR]
#
# aarch64 (the default) gives the arm64 `Image`; x86_64 gives `vmlinux`,
# stripped of symbols, the ELF that QEMU (`-M microvm`, `-M q35`),
# Firecracker and Cloud Hypervisor load and enter through its PVH note.
# Both use the same compiler prefix on every host (aarch64-linux-gnu-,
# x86_64-linux-gnu-): the compiler's name is part of the kernel banner.
#
# The configuration is common.config followed by the architecture's
# fragment (arm64.config, x86_64.config), applied on top of allnoconfig.
# The source tree is unpacked into WORKDIR (default: a fresh temporary
# directory, removed afterwards) and built in-tree, so every path the build
# records is relative and two builds in different directories give the same
# bytes. The build identity (timestamp, user, host, version) is pinned in
# payloads/pins.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../pins.sh"

usage="usage: build.sh [--arch aarch64|x86_64] OUT [WORKDIR]"
arch=aarch64
case ${1:-} in
    --arch) arch=${2:?$usage}; shift 2 ;;
    --arch=*) arch=${1#--arch=}; shift ;;
esac
case $arch in
    aarch64) karch=arm64 cross=aarch64-linux-gnu- target=Image image=arch/arm64/boot/Image ;;
    x86_64) karch=x86_64 cross=x86_64-linux-gnu- target=vmlinux image=vmlinux ;;
    *) echo "kernel: unknown architecture '$arch' (aarch64, x86_64)" >&2; exit 2 ;;
esac
out=${1:?$usage}
case $out in /*) ;; *) out=$PWD/$out ;; esac
command -v "${cross}gcc" >/dev/null ||
    { echo "kernel: ${cross}gcc not found (scripts/install-deps installs it)" >&2; exit 1; }

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
fragment=$work/$karch.fragment
cat "$here/common.config" "$here/$karch.config" > "$fragment"

kmake() {
    make -C "$src" -s ARCH="$karch" CROSS_COMPILE="$cross" \
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

kmake -j"$(nproc)" "$target"
release=$(kmake kernelrelease)
if [ "$arch" = x86_64 ]; then
    # Symbols and debug sections go; the loadable segments and the notes
    # (among them the PVH entry) stay.
    "${cross}objcopy" --strip-all "$src/$image" "$out.tmp"
    if ! "${cross}readelf" -W -n "$out.tmp" | grep -q 'Xen.*0x00000012'; then
        echo "kernel: $out has no PVH entry note (Xen note 18, XEN_ELFNOTE_PHYS32_ENTRY)" >&2
        rm -f "$out.tmp"; exit 1
    fi
    chmod 0644 "$out.tmp"
    mv "$out.tmp" "$out"
else
    install -m 0644 "$src/$image" "$out"
fi
echo "kernel: built $release, $(stat -c %s "$out") bytes" >&2
