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
# LZMA2 only: the pure-Go decoder (ulikunitz/xz) supports no BCJ filter.
# The dictionary is capped at the block size: a block cannot reference
# another anyway, and a 64 MiB dictionary would cost each decoding thread
# 64 MiB of memory. Two threads force xz's multi-threaded encoder, whose
# output does not depend on the machine's core count (-T1 would switch to
# the single-threaded encoder and produce different bytes).
#
# One set of flags per architecture (XZ_FLAGS_<arch>, recorded in each
# manifest entry's "compression"); the literal-context/position bits suit
# each instruction set. Measured with xz 5.4.1 at preset 9, 1 MiB blocks,
# on the kernels built at -O2 without EXPERT (before issue 11 cut them)
# (bytes of .xz; kernel, init-oci, supermachine-agent):
#   aarch64 (fixed 4-byte instructions):
#     lc=3,lp=0,pb=2 (xz's default)  3,325,832  42,856  44,880
#     lc=2,lp=2,pb=2  (chosen)       3,259,896  42,324  44,200
#     lc=1,lp=2,pb=2                 3,270,396  42,224  44,108
#     lc=0,lp=2,pb=2                 3,280,832  42,216  44,072
#     lc=2,lp=2,pb=3                 3,264,028
#     lc=0,lp=3,pb=2                 3,291,044
#   x86_64 (variable-length instructions):
#     lc=3,lp=0,pb=2 (xz's default)  3,433,952  39,168  38,912
#     lc=4,lp=0,pb=1  (chosen)       3,426,324  39,212  38,972
#     lc=4,lp=0,pb=2                 3,426,752
#     lc=4,lp=0,pb=0                 3,431,620  39,176  38,940
#     lc=3,lp=0,pb=0                 3,439,260  39,096  38,848
#     lc=3,lp=0,pb=1                 3,433,732  39,132  38,876
#     lc=2,lp=2,pb=2                 3,457,504  39,780  39,540
# The best per-asset choice would save under 250 bytes per architecture
# over these; nice=273 or preset 9e change the kernels by under 1 KB.
XZ_FLAGS_aarch64='--format=xz --check=crc64 --lzma2=preset=9,dict=1MiB,lc=2,lp=2,pb=2 --block-size=1MiB --threads=2'
XZ_FLAGS_x86_64='--format=xz --check=crc64 --lzma2=preset=9,dict=1MiB,lc=4,lp=0,pb=1 --block-size=1MiB --threads=2'

export SOURCE_DATE_EPOCH
