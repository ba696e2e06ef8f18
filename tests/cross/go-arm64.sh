#!/usr/bin/env bash
# The Go module on an aarch64 host, emulated: cross-build for linux/arm64
# both ways a user builds it -- cgo (CC=aarch64-linux-gnu-gcc, liblzma's
# pkg-config file from Debian's liblzma-dev:arm64) and pure Go
# (CGO_ENABLED=0) -- and run each under qemu-user (no binfmt set-up):
#   - the smoke suite, host_test.go (-run '^TestHost': the package-level
#     names are the aarch64 set; extract, ensure, verify, a damaged file,
#     an error), in the arm64 test binary;
#   - the CLI: info, extract DIR (the aarch64 set under the plain names),
#     verify DIR, and a bad argument's error.
#
#   tests/cross/go-arm64.sh [OUT_DIR]     (default: build/cross/go-arm64)
#
# The cgo binaries are dynamically linked against glibc: they run with
# `-L /usr/aarch64-linux-gnu`, the cross toolchain's glibc (one C library
# per process: mixing it with Debian's libc6:arm64 hangs).  The pure-Go
# ones are static.  The whole package suite is not run emulated (about
# 6 minutes, and its unprivileged cases re-exec the test binary directly,
# which needs binfmt); the native run covers it.  Prints the binaries'
# sizes in bytes and the wall time.  Exit status: non-zero on any failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
start=$(date +%s.%N)
out=$(mkdir -p "${1:-$repo/build/cross/go-arm64}" && cd "${1:-$repo/build/cross/go-arm64}" && pwd)
sysroot=/usr/aarch64-linux-gnu
pkgconfig=/usr/lib/aarch64-linux-gnu/pkgconfig

fail() { echo "tests/cross/go-arm64.sh: $*" >&2; exit 1; }
for tool in go qemu-aarch64-static aarch64-linux-gnu-gcc pkg-config readelf cmp; do
    command -v "$tool" >/dev/null || fail "no $tool on PATH (scripts/install-deps)"
done
[ -f "$pkgconfig/liblzma.pc" ] || fail "$pkgconfig/liblzma.pc missing: liblzma-dev:arm64 (scripts/install-deps)"
[ -d "$sysroot/lib" ] || fail "$sysroot/lib missing: libc6-dev-arm64-cross (scripts/install-deps)"

# The emulated process's library path is set through QEMU_SET_ENV, not in
# our environment (where it would point the host's programs at arm64
# libraries); the caller's LD_LIBRARY_PATH is dropped for both.
run_arm64() { # cgo|pure program [args]
    local kind=$1
    shift
    if [ "$kind" = cgo ]; then
        env -u LD_LIBRARY_PATH \
            QEMU_SET_ENV="LD_LIBRARY_PATH=$sysroot/lib:/usr/lib/aarch64-linux-gnu" \
            qemu-aarch64-static -L "$sysroot" "$@"
    else
        env -u LD_LIBRARY_PATH qemu-aarch64-static "$@"
    fi
}

build() { # cgo|pure go-build-args...
    local kind=$1
    shift
    if [ "$kind" = cgo ]; then
        (cd "$repo/bindings/go" && env -u LD_LIBRARY_PATH CGO_ENABLED=1 GOOS=linux GOARCH=arm64 \
            CC=aarch64-linux-gnu-gcc PKG_CONFIG_LIBDIR="$pkgconfig" PKG_CONFIG_PATH= \
            nice -n 19 go "$@")
    else
        (cd "$repo/bindings/go" && env -u LD_LIBRARY_PATH CGO_ENABLED=0 GOOS=linux GOARCH=arm64 \
            nice -n 19 go "$@")
    fi
}

for kind in cgo pure; do
    printf '\n==> linux/arm64, %s: build the smoke test binary and the CLI\n' "$kind"
    test_bin=$out/$kind.test
    cli=$out/supermachine-kernel-$kind
    rm -f "$test_bin" "$cli"
    build "$kind" test -c -o "$test_bin" .
    build "$kind" build -o "$cli" ./cmd/supermachine-kernel
    for f in "$test_bin" "$cli"; do
        readelf -h "$f" | grep -q 'Machine: *AArch64$' || fail "$f: not an AArch64 program"
    done
    if [ "$kind" = cgo ]; then
        # liblzma linked from the sysroot's pkg-config: a dynamic NEEDED.
        readelf -d "$cli" | grep -q 'NEEDED.*liblzma' || fail "$cli: no liblzma (cgo not used?)"
    else
        if readelf -l "$cli" | grep -q INTERP; then fail "$cli: dynamically linked, want a static pure-Go program"; fi
    fi
    printf 'size: %s %s bytes\n' "$(basename "$cli")" "$(stat -c %s "$cli")"

    printf '\n==> linux/arm64, %s: the smoke suite under qemu-user\n' "$kind"
    # The test binary runs in the package directory, as go test runs it.
    smoke=$(cd "$repo/bindings/go" && run_arm64 "$kind" "$test_bin" -test.run '^TestHost' -test.v -test.count=1 2>&1) ||
        { echo "$smoke"; fail "$kind: the smoke suite failed"; }
    echo "$smoke" | grep -E '^(--- |PASS|FAIL|ok)'
    passed=$(echo "$smoke" | grep -c '^--- PASS: TestHost' || true)
    [ "$passed" -ge 3 ] || { echo "$smoke"; fail "$kind: $passed smoke tests passed, want 3 (skipped: no aarch64 set embedded?)"; }

    printf '\n==> linux/arm64, %s: the CLI under qemu-user\n' "$kind"
    info=$(run_arm64 "$kind" "$cli" info --json) || fail "$kind: info failed"
    python3 - "$info" <<'EOF' || fail "$kind: info --json: the default set is not aarch64"
import json, sys
info = json.loads(sys.argv[1])
# The default (host) set of an arm64 build is aarch64's, listed first.
arch = info["default_arch"]
assert arch == "aarch64" and info["assets"][0]["arch"] == arch, info
print("info --json: default arch", arch, "; sets", sorted({a["arch"] for a in info["assets"]}))
EOF
    dir=$out/extract-$kind
    rm -rf "$dir"
    run_arm64 "$kind" "$cli" extract "$dir" || fail "$kind: extract failed"
    run_arm64 "$kind" "$cli" verify "$dir" || fail "$kind: verify failed"
    # The plain names hold the aarch64 set: the same bytes as the
    # aarch64 set extracted by the host's own CLI.
    [ -f "$dir/kernel" ] && [ "$(head -c 60 "$dir/kernel" | tail -c 4)" = $'ARM\x64' ] ||
        fail "$kind: $dir/kernel is not an arm64 Image"
    for f in init-oci supermachine-agent; do
        readelf -h "$dir/$f" | grep -q 'Machine: *AArch64$' || fail "$kind: $dir/$f is not an AArch64 program"
    done
    if err=$(run_arm64 "$kind" "$cli" extract --arch sparc "$dir" 2>&1); then
        fail "$kind: extract --arch sparc succeeded"
    fi
    echo "error, as expected: $err"
    grep -q sparc <<<"$err" || fail "$kind: the error does not name the bad architecture: $err"
done

printf '\ntests/cross/go-arm64.sh: all passed; wall time %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
