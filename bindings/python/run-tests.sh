#!/usr/bin/env bash
# Tests of the Python package, against an installed copy:
#   1. a fresh venv in build/python/venv (PYTHON picks the interpreter,
#      default python3), with the pinned test tools;
#   2. `pip install` of the repository root into it (a full PEP 517 build:
#      scikit-build-core, SWIG from PyPI, the core, the payloads);
#   3. pytest on tests/python, run from outside the source tree.
# The slow tests (python -m build, sdist install in another fresh venv, a
# build from damaged payloads, a build with one guest set, the C CLI for
# comparison) run too unless --quick is given.  Extra arguments go to
# pytest.
# SMK_PAYLOAD_DIR (another payload directory: manifest.json and the .xz
# files) and SMK_ARCHS (the guest sets to embed, e.g. "x86_64"), when set,
# go to the build (-C cmake.define.*) and tell the tests what to expect.
# SMK_WHEEL, when set, is a wheel to install instead of building the
# repository (step 2): tests/cross/python-wheels.sh runs the suite on its
# manylinux wheel under every CPython, each in its own SMK_PYTHON_WORK
# (default build/python: the venv's parent, pytest's working directory).
# Exit status: pytest's, except that "no tests collected" (5) is a failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
python=${PYTHON:-python3}
work=${SMK_PYTHON_WORK:-$repo/build/python}
venv=$work/venv

pytest_args=()
for arg in "$@"; do
    if [ "$arg" = --quick ]; then
        pytest_args+=(-m "not slow")
    else
        pytest_args+=("$arg")
    fi
done

step() { printf '\n==> %s\n' "$*"; }

step "fresh venv: $venv ($("$python" --version 2>&1))"
rm -rf "$venv"
mkdir -p "$work"
"$python" -m venv "$venv"
py=$venv/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$py" -m pip install --quiet -r "$repo/bindings/python/test-requirements.txt"

build_args=()
for var in SMK_PAYLOAD_DIR SMK_ARCHS; do
    if [ -n "${!var:-}" ]; then
        build_args+=("--config-settings=cmake.define.$var=${!var}")
        export "$var"
    fi
done

if [ -n "${SMK_WHEEL:-}" ]; then
    [ -f "$SMK_WHEEL" ] || { echo "run-tests.sh: SMK_WHEEL=$SMK_WHEEL: no such file" >&2; exit 1; }
    [ ${#build_args[@]} = 0 ] || echo "run-tests.sh: $SMK_WHEEL is installed as built; ${build_args[*]} only tell the tests what it holds" >&2
    step "pip install $SMK_WHEEL"
    "$py" -m pip install --quiet --no-index --no-deps "$SMK_WHEEL"
else
    step "pip install $repo ${build_args[*]}"
    "$py" -m pip install --quiet "${build_args[@]}" "$repo"
fi

step "pytest tests/python"
# From build/python, so nothing of the source tree is importable: the tests
# see the installed package only (conftest.py checks).
cd "$work"
set +e
"$py" -m pytest "$repo/tests/python" "${pytest_args[@]}"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "run-tests.sh: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
