#!/usr/bin/env bash
# Build supermachine-agent: a static aarch64 musl executable, reproducibly.
#
#   payloads/agent/build.sh OUT
#
# The source list is spelled out (not globbed) so the link order, and so
# the output bytes, cannot depend on the directory listing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT}
sources=(main.c supervise.c conn.c exec.c fileops.c transport.c util.c
         proto_wire.c proto_stream.c proto_req.c proto_reply.c)
exec "$here/../musl-build.sh" "$out" "${sources[@]/#/$here/}"
