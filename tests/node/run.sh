#!/usr/bin/env bash
# The Node suite: build and pack the npm package (scripts/build-node-package),
# install the suite's pinned tools (typescript, @types/node) without install
# scripts, then `node --test` on tests/node/*.test.{js,mjs} against the staged
# package.  Exit status: node --test's, and a failure too if no test ran.
#
#   tests/node/run.sh [C_CLI]    (C_CLI: the C supermachine-kernel, compared
#                                 byte for byte with the Node CLI)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
out=$repo/build/node

printf '\n==> build the npm package\n'
tarball=$(scripts/build-node-package "$out" | tail -n 1)
ls -l "$tarball"

printf '\n==> test tools (tests/node/package-lock.json)\n'
(cd tests/node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

printf '\n==> node --test tests/node (%s)\n' "$(node --version)"
export SMK_NODE_PACKAGE=$out/package
export SMK_NODE_TARBALL=$tarball
if [ -n "${1:-}" ]; then export SMK_C_CLI=$1; fi
tap=$out/node-test.tap
shopt -s nullglob
files=(tests/node/*.test.js tests/node/*.test.mjs)
if [ ${#files[@]} -eq 0 ]; then
    echo "tests/node: no test files" >&2
    exit 1
fi
status=0
node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}" || status=$?
passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
if [ "$status" -eq 0 ] && [ "${passed:-0}" -eq 0 ]; then
    echo "tests/node: no test passed (none ran?)" >&2
    exit 1
fi
exit "$status"
