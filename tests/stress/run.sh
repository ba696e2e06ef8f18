#!/usr/bin/env bash
# The stress suites against the CLI of every language: crash safety (kill -9
# at random moments), fault injection (strace, aimed at the extractor's own
# calls), and concurrency
# (all CLIs on one directory at once, with a checking reader), full,
# read-only and append-only file systems (tmpfs mounts; needs root), and
# hostile paths planted by a second user in a sticky directory (needs root).
#
#   tests/stress/run.sh            bounded, as CI runs it (a few minutes)
#   tests/stress/run.sh --long     the long form: hundreds of kills per CLI,
#                                  faults at the first 4 calls of each,
#                                  with every error,
#                                  every hostile case for every CLI
#
# Needs the builds of the other suites: the C CLI (build/test), the Python
# venv (build/python/venv, bindings/python/run-tests.sh) and the staged Node
# package (build/node/package, tests/node/run.sh); builds the Go CLI itself,
# with cgo and without.  Prints FIGURE lines (see RELIABILITY.md).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
long=0
[ "${1:-}" = --long ] && long=1

bin=$repo/build/stress
mkdir -p "$bin"
(cd bindings/go && go build -o "$bin/go-cgo" ./cmd/supermachine-kernel &&
    CGO_ENABLED=0 go build -o "$bin/go-pure" ./cmd/supermachine-kernel)

clis="c=$repo/build/test/core/supermachine-kernel"
clis+=";python=$repo/build/python/venv/bin/python -m supermachine_kernel"
clis+=";go-cgo=$bin/go-cgo;go-pure=$bin/go-pure"
clis+=";node=node $repo/build/node/package/bin/supermachine-kernel.js"
for need in build/test/core/supermachine-kernel build/python/venv/bin/python \
            build/node/package/bin/supermachine-kernel.js; do
    [ -e "$need" ] || { echo "tests/stress: $need missing: run the other suites first" >&2; exit 1; }
done

if [ "$long" = 1 ]; then
    kills=200 when=4 errors=4 rounds=20 procs=3
else
    kills=8 when=1 errors=2 rounds=3 procs=2
fi
status=0
printf '\n==> crash safety: %s kills per CLI and command\n' "$kills"
SMK_STRESS_CLIS=$clis python3 tests/stress/crash.py --kills "$kills" || status=1
printf '\n==> fault injection (strace), every CLI: the extractor'"'"'s calls 1..%s of each, %s errors each\n' \
    "$when" "$errors"
SMK_STRESS_CLIS=$clis python3 tests/stress/faults.py --when "$when" --errors "$errors" || status=1
printf '\n==> concurrency: every CLI on one directory, %s rounds\n' "$rounds"
SMK_STRESS_CLIS=$clis python3 tests/stress/concurrency.py --rounds "$rounds" --procs "$procs" || status=1
printf '\n==> full, read-only and append-only file systems: small tmpfs mounts (as root), every CLI\n'
SMK_STRESS_CLIS=$clis python3 tests/stress/limits.py || status=1
printf '\n==> hostile paths: a second user plants in a sticky directory (as root; %s)\n' \
    "$([ "$long" = 1 ] && echo 'every case for every CLI' || echo 'every case for C, a subset for the others')"
hostile=()
[ "$long" = 1 ] && hostile=(--full)
SMK_STRESS_CLIS=$clis python3 tests/stress/hostile.py ${hostile[@]+"${hostile[@]}"} || status=1
exit "$status"
