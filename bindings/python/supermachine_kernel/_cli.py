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

# Only for annotations (never evaluated): a name imported from it would be
# the package's own in its stubs' eyes.
import collections.abc
import typing

from . import ARCHS, DEFAULT_ARCH, PayloadError, __version__, _native, assets, kernel_info

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
  info [--json]   describe the embedded assets and the kernels
  --version       print the version
  --help          print this help

extract, ensure and verify take --arch ARCH (before DIR) for the set
of another guest architecture (aarch64, x86_64); without it they work
on the host's set (the library's default architecture).
"""

_Error = (OSError, PayloadError)


def _say(stream: typing.TextIO, line: str) -> None:
    """Write *line* and a newline to *stream* (sys.stdout or sys.stderr) as
    the C CLI does: a path as its bytes.  A path from sys.argv that is not
    valid in the file system's encoding holds its undecodable bytes as
    surrogates (PEP 383); os.fsencode gives them back, where the stream's
    own error handler would raise (stdout) or print an escape (stderr)."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text-only stream, such as io.StringIO
        stream.write(line + "\n")
        return
    stream.flush()
    buffer.write(os.fsencode(line + "\n"))
    stream.flush()


def _fail(path: str, err: OSError | PayloadError) -> int:
    return _fail_code(path, err.strerror)


def _fail_code(path: str, strerror: str | None) -> int:
    shown = path or "''"  # as the C CLI
    _say(sys.stderr, f"{PROG}: {shown}: {strerror}")
    return 1


def _error_name(err: OSError | PayloadError | None) -> str | None:
    if isinstance(err, PayloadError):
        return err.name
    if isinstance(err, OSError) and err.errno is not None:
        return errno.errorcode.get(err.errno)
    return None


def _usage_error(what: str) -> int:
    _say(sys.stderr, f"{PROG}: {what} (try 'python -m supermachine_kernel --help')")
    return 2


class _Usage(Exception):
    """A usage error: its exit status is _usage_error's."""


def _take_arch(args: list[str]) -> tuple[str | None, list[str]]:
    """Take a leading ``--arch ARCH`` (or ``--arch=ARCH``) off *args*, as
    the C CLI's take_arch(): (None, args) without one, (ARCH, the rest)
    with one whose set is embedded; otherwise raise _Usage."""
    if args and args[0].startswith("--arch="):
        arch, rest = args[0][len("--arch="):], args[1:]
    elif args and args[0] == "--arch":
        if len(args) < 2:
            raise _Usage("--arch needs an architecture")
        arch, rest = args[1], args[2:]
    else:
        return None, args
    try:
        known = bool(arch) and _native.asset_find(arch, _native.ASSET_KERNEL) >= 0
    except PayloadError:
        known = False
    if not known:
        # As the C CLI's "%.64s": at most 64 bytes of the name.
        shown = os.fsdecode(os.fsencode(arch)[:64])
        raise _Usage(f"--arch '{shown}': no guest set for it here ({', '.join(ARCHS)})")
    return arch, rest


def _join(dir: str, name: str) -> str:
    # As the C CLI: one slash between, none doubled.
    return dir + name if dir.endswith("/") else f"{dir}/{name}"


def _report(
    dir: str,
    arch: str | None,
    each: collections.abc.Callable[[str | None, str], tuple[int, ...]],
    ok_lines: bool,
) -> int:
    """Run *each* (a ``_native.*_set`` function) for *arch* on *dir* and
    report as the C CLI's report() does, from the per-asset results: one
    line for each asset that failed, naming its file; or, when none did but
    the call failed, one line naming *dir*.  With *ok_lines*, ``PATH: ok``
    on stdout for each asset that passed.  Returns the exit status."""
    error: OSError | PayloadError | None = None
    try:
        results = each(arch, dir)
    except _Error as err:
        error = err
        results = getattr(err, "results")
    named = False
    for info, code in zip(assets(arch=arch), results):
        if code == _native.NOT_ATTEMPTED or (code == 0 and not ok_lines):
            continue
        path = _join(dir, info.file_name)
        if code == 0:
            _say(sys.stdout, f"{path}: ok")
        else:
            _fail_code(path, _native.strerror(code))
            named = True
    if error is not None and not named:
        _fail(dir, error)
    return 0 if error is None else 1


def _extract(args: list[str]) -> int:
    arch, args = _take_arch(args)
    if len(args) != 1:
        return _usage_error("extract needs exactly one DIR")
    return _report(args[0], arch, _native.extract_set_to, ok_lines=False)


def _ensure(args: list[str]) -> int:
    arch, args = _take_arch(args)
    if len(args) > 1:
        return _usage_error("ensure takes at most one DIR")
    if args:
        dir = args[0]
    else:
        try:
            dir = _native.default_dir_for(arch)
        except OSError as err:
            return _fail("$XDG_CACHE_HOME or $HOME", err)
    status = _report(dir, arch, _native.ensure_set, ok_lines=False)
    if status == 0:
        _say(sys.stdout, dir)
    return status


def _verify(args: list[str]) -> int:
    arch, args = _take_arch(args)
    if len(args) != 1:
        return _usage_error("verify needs exactly one DIR")
    return _report(args[0], arch, _native.verify_set, ok_lines=True)


def _kernels() -> list[tuple[str, typing.Any, OSError | PayloadError | None]]:
    """(arch, KernelInfo or None, error or None) per architecture, the
    default first, as the C CLI's info walks them."""
    out: list[tuple[str, typing.Any, OSError | PayloadError | None]] = []
    for arch in ARCHS:
        try:
            out.append((arch, kernel_info(arch=arch), None))
        except _Error as err:
            out.append((arch, None, err))
    return out


def _info(args: list[str]) -> int:
    if args == ["--json"]:
        as_json = True
    elif not args:
        as_json = False
    else:
        return _usage_error("info takes only --json")
    # Every asset in the core's order: the default set first, then the
    # others in the build's order (the order of ARCHS).
    infos = [a for arch in ARCHS for a in assets(arch=arch)]
    kernels = _kernels()
    out = sys.stdout
    if as_json:
        import json

        s = json.dumps
        out.write(
            f'{{\n  "version": {s(__version__)},\n  "default_arch": {s(DEFAULT_ARCH)},\n'
            '  "assets": [\n'
        )
        for i, a in enumerate(infos):
            out.write(
                f'    {{"name": {s(a.name)}, "file": {s(a.file_name)}, '
                f'"size": {a.size}, "sha256": {s(a.sha256)}, '
                f'"mode": "{a.mode:04o}", "arch": {s(a.arch)}, '
                f'"compressed": {s(a.compressed)}, "embedded_size": {a.embedded_size}}}'
                f'{"," if i + 1 < len(infos) else ""}\n'
            )
        out.write('  ],\n  "kernels": [\n')
        for i, (arch, k, err) in enumerate(kernels):
            out.write(f'    {{"arch": {s(arch)}, "release": {s(k.release if k else "")}')
            if k is not None:
                out.write(
                    f', "format": {s(k.format)}, "text_offset": {k.text_offset}'
                    f', "image_size": {k.image_size}, "flags": {k.flags}'
                    f', "entry": {k.entry}, "pvh_entry": {k.pvh_entry}'
                    f', "load_address": {k.load_address}}}'
                )
            else:
                out.write(f', "error": {s(_error_name(err))}}}')
            out.write(f'{"," if i + 1 < len(kernels) else ""}\n')
        out.write("  ]\n}\n")
    else:
        out.write(f"{'ASSET':<20} {'FILE':<19} {'SIZE':>10}  {'SHA256':<64}  {'MODE':<4}  ARCH\n")
        for a in infos:
            out.write(
                f"{a.name:<20} {a.file_name:<19} {a.size:>10}  {a.sha256:<64}  {a.mode:04o}  {a.arch}\n"
            )
        out.write("\n")
        for arch, k, err in kernels:
            if k is None:
                out.write(f"kernel {arch}: {err.strerror if err else ''}\n")
            elif k.format == "ELF":
                out.write(
                    f"kernel {arch}: release {k.release}, ELF vmlinux, entry {k.entry:#x}"
                    f", pvh_entry {k.pvh_entry:#x}, load_address {k.load_address:#x}"
                    f", image_size {k.image_size}\n"
                )
            else:
                out.write(
                    f"kernel {arch}: release {k.release}, arm64 Image, text_offset {k.text_offset:#x}"
                    f", image_size {k.image_size}, flags {k.flags:#x}\n"
                )
    failed = 0
    for arch, _, err in kernels:
        if err is not None:
            # After stdout, as the C CLI's (which buffers stdout when it is
            # not a terminal) reaches a pipe.
            out.flush()
            print(f"{PROG}: {arch} kernel payload: {err.strerror}", file=sys.stderr)
            failed = 1
    return failed


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
        _say(sys.stderr, f"{PROG}: unknown command '{cmd}' (try 'python -m supermachine_kernel --help')")
        return 2
    try:
        return commands[cmd](rest)
    except _Usage as usage:
        return _usage_error(str(usage))
    except BrokenPipeError:
        # `... info | head`: not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
