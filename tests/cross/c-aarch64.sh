#!/usr/bin/env bash
# The C suites cross-built for aarch64 Linux and run under qemu-user:
# configure with cmake/toolchain-aarch64-linux-gnu.cmake (Debian's
# aarch64-linux-gnu gcc/g++, the arm64 liblzma of multiarch), build, and
# run every ctest case, each built program through the toolchain's
# CMAKE_CROSSCOMPILING_EMULATOR (cmake/qemu-aarch64-run).
#
#   tests/cross/c-aarch64.sh [BUILD_DIR]     (default build/cross-aarch64)
#
# Not run here: the x86_64 and network QEMU boot tests.  They boot the same
# guests with the host's qemu-system as the native run does; the cross
# build's part in them, the aarch64 CLI's `extract --arch`, is run by
# boot_qemu_guest (kept) and every architecture's core.cli_conformance.
# Exit status: non-zero on any configure, build or test failure, or if no
# test ran.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
build=${1:-build/cross-aarch64}
start=$(date +%s)

for tool in aarch64-linux-gnu-gcc qemu-aarch64-static; do
    command -v "$tool" >/dev/null ||
        { echo "c-aarch64.sh: $tool not found (run scripts/install-deps)" >&2; exit 1; }
done

printf '\n==> configure %s for aarch64 (cmake/toolchain-aarch64-linux-gnu.cmake)\n' "$build"
nice -n 19 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/toolchain-aarch64-linux-gnu.cmake" >"$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
grep -E 'skipp|refused' "$build.configure.log" || true

printf '\n==> build\n'
nice -n 19 cmake --build "$build" -j2

printf '\n==> ctest under qemu-user\n'
echo "not run: boot_qemu_network*, boot_qemu_guest_x86_64_* (the host's qemu-system boots, as in the native run; see the top of this script)"
log=$build/ctest.log
set +e
nice -n 19 ctest --test-dir "$build" --output-on-failure -j2 \
    -E '^boot_qemu_(network|guest_x86_64)' 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^[0-9]+% tests passed' "$log" || true)
total=$(sed -nE 's/.* out of ([0-9]+)$/\1/p' <<<"$summary")
failed=$(sed -nE 's/.* ([0-9]+) tests failed .*/\1/p' <<<"$summary")
skipped=$(grep -cE '\(Skipped\)$' "$log" || true)
elapsed=$(( $(date +%s) - start ))
if [ -z "$total" ] || [ "$total" -eq 0 ]; then
    echo "c-aarch64.sh: no test ran (${elapsed}s)" >&2
    exit 1
fi
echo "c-aarch64.sh: $((total - failed - skipped)) of $total aarch64 ctest cases passed, $failed failed, $skipped skipped under qemu-user; wall time ${elapsed}s"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
