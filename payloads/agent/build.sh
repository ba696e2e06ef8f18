#!/usr/bin/env bash
# Build supermachine-agent: a static musl executable, reproducibly.
#
#   payloads/agent/build.sh [--arch aarch64|x86_64] OUT
#
# For aarch64 unless --arch says otherwise. The source list is spelled out
# (not globbed) so the link order, and so the output bytes, cannot depend on
# the directory listing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage='usage: build.sh [--arch aarch64|x86_64] OUT'
arch=()
if [ "${1:-}" = --arch ]; then
    arch=(--arch "${2:?$usage}")
    shift 2
fi
out=${1:?$usage}
sources=(main.c supervise.c conn.c exec.c fileops.c transport.c util.c
         proto_wire.c proto_stream.c proto_req.c proto_reply.c)
exec "$here/../musl-build.sh" "${arch[@]}" "$out" "${sources[@]/#/$here/}"
