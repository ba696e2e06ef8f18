#!/usr/bin/env bash
# The Go module's suites (run by scripts/test-all):
#   formatting, vet and staticcheck with cgo and without; the drift check of
#   the generated copies; go test with cgo and with CGO_ENABLED=0, each also
#   under -race; the architecture tests of a build embedding one set; then
#   tests/go: an outside consumer through a file-system GOPROXY and
#   vendored, the CLI contract (tests/conformance/cli.json) against both
#   builds of the command and the C CLI, the shared ensure protocol, every
#   combination of the build tags that choose the embedded sets,
#   staticcheck's SA1019 on callers of the deprecated aliases.
#
#   tests/go/run.sh [C_CLI]     C_CLI: the C supermachine-kernel to compare
#                               with (default: build/test/core/supermachine-kernel)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
module=$repo/bindings/go
c_cli=${1:-$repo/build/test/core/supermachine-kernel}
[ -x "$c_cli" ] || { echo "tests/go/run.sh: no C CLI at $c_cli (build it first)" >&2; exit 1; }
export GOWORK=off GOFLAGS=-mod=readonly

step() { printf '\n--> go: %s\n' "$*"; }

# staticcheck from the module proxy, pinned, installed once into .deps/.
staticcheck=$repo/.deps/go-bin/staticcheck
if [ ! -x "$staticcheck" ]; then
    step "install staticcheck"
    GOBIN=$repo/.deps/go-bin GOFLAGS= go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi

cd "$module"
step "gofmt, the drift check of the generated copies"
unformatted=$(gofmt -l . "$repo/tests/go")
[ -z "$unformatted" ] || { echo "gofmt would change: $unformatted" >&2; exit 1; }
go run ./internal/gen -check

# The pure-Go path is tested twice: without cgo, and with -tags purego
# under the race detector (which needs cgo); the cgo path under -race too.
export SMK_C_CLI=$c_cli
for mode in "CGO_ENABLED=1" "CGO_ENABLED=0" "CGO_ENABLED=1 -tags=purego"; do
    env=${mode%% *} tags=
    [ "$mode" = "$env" ] || tags=${mode#* }
    step "$mode: vet, staticcheck"
    env "$env" go vet $tags ./...
    env "$env" "$staticcheck" $tags ./...
done
# internal/ is pure Go whatever CGO_ENABLED says: its tests run once, in
# the build that uses it, with the pure-Go decoder compared against the
# core's on some 15000 damaged payloads of both architectures (SMK_C_DIFF).
step "CGO_ENABLED=1: go test (the package and its command)"
CGO_ENABLED=1 go test -count=1 . ./cmd/...
step "CGO_ENABLED=0: go test, and the pure-Go decoder against the core's"
SMK_C_DIFF=1 CGO_ENABLED=0 go test -count=1 ./...

step "go test -race (cgo), and the root package with -tags=purego"
CGO_ENABLED=1 go test -count=1 -race ./...
# (the purego run: the tests that run goroutines at once; the rest only
# decodes more slowly under the race detector)
CGO_ENABLED=1 go test -count=1 -race -tags=purego -run 'Concurrent|Decoded|Ensure' .

# A build that embeds one set (GOARCH's): the architecture tests, with cgo
# and without (tests/go builds every other combination of the tags).
step "-tags smk_goarch: the architecture tests, cgo and pure-Go"
for cgo in 1 0; do
    CGO_ENABLED=$cgo go test -count=1 -tags=smk_goarch -run '^Test(Arch|Default|Each|Unknown|Tables|AssetNames)' .
done

step "tests/go: consumer via GOPROXY and vendored, CLI contract, shared protocol"
cd "$repo/tests/go"
go vet ./...
SMK_STATICCHECK=$staticcheck go test -count=1 -v ./... 2>&1 | grep -v '^=== '
