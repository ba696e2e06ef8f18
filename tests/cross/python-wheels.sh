#!/usr/bin/env bash
# The Python package as released: the sdist and the manylinux wheels.
#   1. scripts/build-wheels into build/python-wheels/dist (the sdist, then
#      an x86_64 and an aarch64 wheel built from it, auditwheel-repaired);
#   2. tests/cross/test_python_wheels.py: tags, auditwheel show, the
#      extensions' ELF needs (glibc <= 2.17 only), and the aarch64 wheel's
#      smoke suite in Debian's arm64 Python under qemu-user;
#   3. the full tests/python suite (bindings/python/run-tests.sh with
#      SMK_WHEEL: the x86_64 wheel, not a build of its own) on every
#      CPython 3.9 and later that pyenv has (the newest patch release of
#      each minor version; PYTHONS="path ..." chooses instead), each in a
#      fresh venv, JOBS (default 2) at a time.
# Extra arguments go to each pytest run of step 3 (e.g. --quick).
# Exit status: 0 when every step passed.  Prints the files' sizes in bytes
# and the wall time.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$repo/build/python-wheels
dist=$work/dist
jobs=${JOBS:-2}
start=$(date +%s)
failed=()

step() { printf '\n==> %s\n' "$*"; }

mkdir -p "$work"
step "scripts/build-wheels $dist"
if ! "$repo/scripts/build-wheels" "$dist"; then
    echo "python-wheels.sh: scripts/build-wheels failed" >&2
    exit 1
fi
tools=$repo/build/wheels/tools/bin/python

step "the wheels: tags, ELF needs, the aarch64 smoke suite under qemu-user"
(cd "$work" && env -u LD_LIBRARY_PATH SMK_WHEEL_DIR="$dist" "$tools" -m pytest -p no:cacheprovider -ra \
    "$repo/tests/cross/test_python_wheels.py")
status=$?
if [ "$status" != 0 ]; then
    [ "$status" = 5 ] && echo "python-wheels.sh: test_python_wheels.py collected no tests" >&2
    failed+=("test_python_wheels.py")
fi

wheel=$(ls "$dist"/supermachine_kernel-*-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl)
if [ -n "${PYTHONS:-}" ]; then
    read -r -a pythons <<<"$PYTHONS"
else
    pythons=()
    root=${PYENV_ROOT:-$HOME/.pyenv}
    for minor in $(seq 9 20); do
        newest=$(ls -d "$root"/versions/3."$minor".* 2>/dev/null | grep -E "/3\.$minor\.[0-9]+$" | sort -V | tail -1)
        [ -n "$newest" ] && [ -x "$newest/bin/python3" ] && pythons+=("$newest/bin/python3")
    done
fi
if [ ${#pythons[@]} = 0 ]; then
    echo "python-wheels.sh: no CPython >= 3.9 found (pyenv root ${PYENV_ROOT:-$HOME/.pyenv}; or set PYTHONS)" >&2
    failed+=("no interpreters")
fi

# One interpreter's run of the full suite, logged to its own file; its exit
# status goes to $work/status.INDEX (a job reaped by `wait -n` has no status
# left for a later `wait PID`).
suite() { # index command [args]
    "${@:2}"
    echo $? >"$work/status.$1"
}
suite_run() { # python [pytest args]
    local version log
    version=$("$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') || return 1
    log=$work/py$version.log
    rm -rf "$work/py$version"
    if env -u LD_LIBRARY_PATH PYTHON="$1" SMK_WHEEL="$wheel" SMK_PYTHON_WORK="$work/py$version" \
        "$repo/bindings/python/run-tests.sh" --basetemp="$work/py$version/tmp" "${@:2}" >"$log" 2>&1; then
        echo "CPython $version: $(tail -1 "$log")"
    else
        echo "CPython $version: FAILED: $(tail -1 "$log") (log: $log)"
        tail -40 "$log"
        return 1
    fi
}

step "tests/python on ${#pythons[@]} CPythons with $(basename "$wheel"), $jobs at a time"
rm -f "$work"/status.*
for i in "${!pythons[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    suite "$i" suite_run "${pythons[$i]}" "$@" &
done
wait
for i in "${!pythons[@]}"; do
    [ "$(cat "$work/status.$i" 2>/dev/null)" = 0 ] || failed+=("tests/python on ${pythons[$i]}")
done

step "files (bytes)"
for f in "$dist"/supermachine_kernel-*; do
    printf '%10d  %s\n' "$(stat -c %s "$f")" "$(basename "$f")"
done
echo "python-wheels.sh: wall time $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
    printf 'python-wheels.sh: FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "python-wheels.sh: all passed"
