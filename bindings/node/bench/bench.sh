#!/usr/bin/env bash
# Builds the Node package, installs the peers it is compared with (pinned
# by package-lock.json here) and runs bench.mjs on the staged package and
# its tarball, from the repository's root.  Prints figures; exits 0 even
# when a target is missed.
#
#   bindings/node/bench/bench.sh [OUT_DIR]      (default: build/node)
#
# OUT_DIR is scripts/build-node-package's: another directory keeps the
# benchmark's build apart from a build/node that tests are using.
# Needs node and npm, cmake, a C compiler and liblzma-dev (as
# scripts/build-node-package does).  BENCH_REPS, BENCH_CHILDREN and
# BENCH_LOOP_RUNS change how often each figure is measured.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$repo"
out=${1:-build/node}

echo "building the package (scripts/build-node-package $out)..." >&2
tarball=$(scripts/build-node-package "$out" | tail -n 1)

# --ignore-scripts: lzma-native's install script would build it from
# source, yet it ships a prebuilt addon that it loads all the same
# (bench.mjs prints which file it loads).
echo "installing the peers (npm ci in bindings/node/bench)..." >&2
(cd bindings/node/bench && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)

exec node bindings/node/bench/bench.mjs "$out/package" "$tarball"
