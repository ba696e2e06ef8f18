#!/usr/bin/env bash
# The C CLI under valgrind (memcheck): every command, cold and warm, and a
# failing one; any error, or a definite leak, fails.
#   tests/core/valgrind_cli.sh CLI
set -euo pipefail
cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vg() {
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        "$cli" "$@" >/dev/null
}
vg extract "$work/a"
vg verify "$work/a"
vg ensure "$work/b"            # cold: extracts, writes the stamp
vg ensure "$work/b"            # warm: the stamp's path
truncate -s 10 "$work/b/kernel"
vg ensure "$work/b"            # repairs
vg info
vg info --json
# A failure is reported, not an error of memcheck's: exit 1, not 99.
status=0
vg verify "$work/missing" 2>/dev/null || status=$?
[ "$status" = 1 ] || { echo "valgrind_cli: verify of a missing dir exited $status" >&2; exit 1; }
echo "valgrind: the CLI is clean (extract, verify, ensure cold/warm/repair, info, a failure)"
