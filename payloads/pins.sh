# Pinned inputs of every payload recipe. Sourced by the build scripts; the
# manifest records these values, so a change here is a change of payload.

# Debian source package the kernel is built from.
LINUX_SOURCE_PACKAGE=linux-source-6.12
LINUX_SOURCE_VERSION=6.12.117-1~deb12u1

# Fixed build identity baked into the kernel banner and every binary.
BUILD_TIMESTAMP='2026-11-01 00:00:00 UTC'
SOURCE_DATE_EPOCH=1793491200
BUILD_USER=supermachine
BUILD_HOST=supermachine-build

# Compression: xz with a CRC64 per block and 1 MiB blocks, so liblzma's
# multi-threaded decoder (and a block-parallel decoder) can use every core.
# The dictionary is capped at the block size: a block cannot reference
# another anyway, and a 64 MiB dictionary would cost each decoding thread
# 64 MiB of memory. Two threads force xz's multi-threaded encoder, whose
# output does not depend on the machine's core count (-T1 would switch to
# the single-threaded encoder and produce different bytes).
XZ_FLAGS='--format=xz --check=crc64 --lzma2=preset=9,dict=1MiB --block-size=1MiB --threads=2'

export SOURCE_DATE_EPOCH
