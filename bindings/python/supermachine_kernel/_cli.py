"""``python -m supermachine_kernel``: the C CLI ``supermachine-kernel``,
through the Python package.

Same commands, same output on stdout, same exit codes (0 success, 1
failure, 2 usage error), and every failure is one line on stderr naming the
path and the cause.
"""

from __future__ import annotations

import errno
import os
import sys

from . import PayloadError, __version__, _native, assets, kernel_info

PROG = "supermachine-kernel"

USAGE = """\
usage: python -m supermachine_kernel COMMAND [ARGS]

Commands:
  extract DIR     write kernel, init-oci and supermachine-agent into DIR
                  (created if missing), replacing what is there
  ensure [DIR]    make DIR (default: the per-version cache directory)
                  hold all assets, extracting only what is missing or
                  wrong; prints the directory
  verify DIR      check every asset in DIR: size, mode and every byte
  info [--json]   describe the embedded assets and the kernel
  --version       print the version
  --help          print this help
"""

_Error = (OSError, PayloadError)


def _fail(path: str, err: OSError | PayloadError) -> int:
    shown = path or "''"  # as the C CLI
    print(f"{PROG}: {shown}: {err.strerror}", file=sys.stderr)
    return 1


def _error_name(err: OSError | PayloadError | None) -> str | None:
    if isinstance(err, PayloadError):
        return err.name
    if isinstance(err, OSError) and err.errno is not None:
        return errno.errorcode.get(err.errno)
    return None


def _usage_error(what: str) -> int:
    print(f"{PROG}: {what} (try 'python -m supermachine_kernel --help')", file=sys.stderr)
    return 2


def _join(dir: str, name: str) -> str:
    # As the C CLI: one slash between, none doubled.
    return dir + name if dir.endswith("/") else f"{dir}/{name}"


def _extract(args: list[str]) -> int:
    if len(args) != 1:
        return _usage_error("extract needs exactly one DIR")
    try:
        _native.extract_all_to(args[0])
        return 0
    except _Error as err:
        first = err
    if not args[0]:
        # "" names no directory: joined with a file name below it would
        # name one in the root directory.
        return _fail(args[0], first)
    # Name the file that failed: redo each alone (each is atomic, so redoing
    # one that succeeded is harmless).
    for asset, info in enumerate(assets()):
        path = _join(args[0], info.file_name)
        try:
            _native.asset_extract_to_with_parents(asset, path)
        except _Error as err:
            return _fail(path, err)
    return _fail(args[0], first)


def _ensure(args: list[str]) -> int:
    if len(args) > 1:
        return _usage_error("ensure takes at most one DIR")
    if args:
        dir = args[0]
    else:
        try:
            dir = _native.default_dir()
        except OSError as err:
            return _fail("$XDG_CACHE_HOME or $HOME", err)
    try:
        _native.ensure_assets(dir)
    except _Error as err:
        return _fail(dir, err)
    print(dir)
    return 0


def _verify(args: list[str]) -> int:
    if len(args) != 1:
        return _usage_error("verify needs exactly one DIR")
    if not args[0]:
        # As the C CLI: "" names no directory, not the root directory.
        return _fail("", FileNotFoundError(errno.ENOENT, _native.strerror(-errno.ENOENT)))
    status = 0
    for asset, info in enumerate(assets()):
        path = _join(args[0], info.file_name)
        try:
            _native.verify_file(asset, path)
        except _Error as err:
            status = _fail(path, err)
        else:
            print(f"{path}: ok")
    return status


def _info(args: list[str]) -> int:
    if args == ["--json"]:
        as_json = True
    elif not args:
        as_json = False
    else:
        return _usage_error("info takes only --json")
    try:
        kernel = kernel_info()
        kernel_error = None
    except _Error as err:
        kernel, kernel_error = None, err
    release = _native.kernel_release()
    out = sys.stdout
    if as_json:
        import json

        s = json.dumps
        out.write(f'{{\n  "version": {s(__version__)},\n  "assets": [\n')
        infos = assets()
        for i, a in enumerate(infos):
            out.write(
                f'    {{"name": {s(a.name)}, "file": {s(a.file_name)}, '
                f'"size": {a.size}, "sha256": {s(a.sha256)}, '
                f'"mode": "{a.mode:04o}", "arch": {s(a.arch)}, '
                f'"compressed": {s(a.compressed)}, "embedded_size": {a.embedded_size}}}'
                f'{"," if i + 1 < len(infos) else ""}\n'
            )
        out.write(f'  ],\n  "kernel": {{"release": {s(release)}')
        if kernel is not None:
            out.write(
                f', "text_offset": {kernel.text_offset}, "image_size": {kernel.image_size}'
                f', "flags": {kernel.flags}}}\n}}\n'
            )
        else:
            out.write(f', "error": {s(_error_name(kernel_error))}}}\n}}\n')
    else:
        out.write(f"{'ASSET':<20} {'FILE':<19} {'SIZE':>10}  {'SHA256':<64}  {'MODE':<4}  ARCH\n")
        for a in assets():
            out.write(
                f"{a.name:<20} {a.file_name:<19} {a.size:>10}  {a.sha256:<64}  {a.mode:04o}  {a.arch}\n"
            )
        out.write(f"\nkernel release {release}")
        if kernel is not None:
            out.write(
                f", text_offset {kernel.text_offset:#x}, image_size {kernel.image_size}"
                f", flags {kernel.flags:#x}\n"
            )
        else:
            out.write("\n")
    if kernel_error is not None:
        print(f"{PROG}: kernel payload: {kernel_error.strerror}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with *argv* (default: ``sys.argv[1:]``); return the exit
    status."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        return _usage_error("missing command")
    cmd, rest = args[0], args[1:]
    if cmd in ("--help", "-h", "help"):
        sys.stdout.write(USAGE)
        return 0
    if cmd == "--version":
        print(f"{PROG} {__version__}")
        return 0
    commands = {"extract": _extract, "ensure": _ensure, "verify": _verify, "info": _info}
    if cmd not in commands:
        print(
            f"{PROG}: unknown command '{cmd}' (try 'python -m supermachine_kernel --help')",
            file=sys.stderr,
        )
        return 2
    try:
        return commands[cmd](rest)
    except BrokenPipeError:
        # `... info | head`: not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
