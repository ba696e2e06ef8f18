#!/usr/bin/env bash
# The Go module's figures, in one run: kernel extraction through cgo,
# through the pure-Go path and as a user's own code (xz.NewReader +
# os.WriteFile) with the ratios of the first two to the third; the module
# zip size; the bytes the package adds to a hello-world binary.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
export GOWORK=off
cd "$repo/bindings/go"
out=$(CGO_ENABLED=1 go test -run '^$' -bench 'ExtractKernel' -benchtime "${BENCHTIME:-20x}" -count 1 .)
echo "$out" | grep -E '^Benchmark'
echo "$out" | awk '
    /^BenchmarkExtractKernel\// { split($1, n, "/"); sub(/-[0-9]+$/, "", n[2]); ns[n[2]] = $3 }
    END {
        if (ns["user-code"] > 0)
            printf "ratios to the user'"'"'s own code: cgo %.2fx (target <= 0.5), pure-go %.2fx (target <= 1.1)\n",
                ns["cgo"] / ns["user-code"], ns["pure-go"] / ns["user-code"]
    }'
cd "$repo/tests/go"
go test -run 'OutsideConsumer' -v -count 1 . | grep 'module zip' || true
go test -run '^$' -bench 'Sizes' -benchtime 1x -count 1 . | grep -E '^Benchmark'
