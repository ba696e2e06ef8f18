#!/usr/bin/env python3
"""Runner of tests/conformance/cli.json, the CLI's behaviour written once as
data (its "about" field is the schema).

As a command, against any language's CLI:

    python3 tests/conformance/cli_cases.py [OPTIONS] -- CLI [ARGV...]

runs every case (or those named with --case) against the command CLI ARGV...
(for example `-- build/core/supermachine-kernel`, or
`-- python3 -m supermachine_kernel`), prints one block per failing case and
exits 1 if any failed (2 if the case file itself is wrong).

As a module (the Python suite's tests/python/test_cli_conformance.py):

    contract = cli_cases.load()
    runner = cli_cases.Runner([sys.executable, "-m", "supermachine_kernel"])
    runner.run(case, work_dir)       # raises CaseFailure

Arguments go to the CLI as bytes and its output is compared as bytes: text
of the case file is its UTF-8 bytes, {byte:HH} the byte 0xHH, so a path
that is not UTF-8 can be written.  Inside the runner such bytes are str as
os.fsdecode() gives them (PEP 383: an undecodable byte is a lone
surrogate), which os and subprocess turn back into the same bytes.

Standard library only; Python >= 3.9.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import pathlib
import platform
import re
import resource
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from typing import Any, Dict, Iterator, List, Optional, Sequence

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
CLI_JSON = HERE / "cli.json"
CASES_JSON = HERE / "cases.json"  # its "architectures": the kernel formats
HEADER = REPO / "core" / "include" / "supermachine_kernel.h"
TIMEOUT = 300  # seconds, per command

CASE_KEYS = {"id", "setup", "args", "env", "limits", "exit", "stdout", "stdout_regex",
             "stdout_includes", "stdout_json", "stderr", "after", "each_arch", "other_arch"}
# Machine names (uname -m) -> the architecture whose guest set a CLI built
# for that machine defaults to, when it embeds it.
HOST_ARCHS = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
# 'limits' keys -> the resource limit set (soft and hard) in the CLI's process.
LIMITS = {"fsize": resource.RLIMIT_FSIZE}
STDOUT_KEYS = ("stdout", "stdout_regex", "stdout_includes", "stdout_json")
CHANGES = ("none", "delete", "truncate", "flip-last-byte", "chmod-0600",
           "replace-with-symlink")

_PLACEHOLDER = re.compile(
    r"\{(?:(work|version|arch|other_arch|arch_dir|archs|kernel_format)|asset\.(\w+)"
    r"|assets\.(\w+)\.(\w+)|byte:([0-9A-F]{2}))\}")


class ContractError(Exception):
    """The case file (or the manifest) is not what the schema says."""


class CaseFailure(AssertionError):
    """A case failed; the message names the case, the command, and what was
    expected and got."""


# ---- Loading -------------------------------------------------------------------


def load(path: "os.PathLike[str] | str" = CLI_JSON) -> Dict[str, Any]:
    """The case file, checked against the schema (ContractError if not)."""
    with open(path, encoding="utf-8") as f:
        contract: Dict[str, Any] = json.load(f)
    if contract.get("format") != 2:
        raise ContractError(f"{path}: unknown format {contract.get('format')!r}")
    seen = set()
    for case in contract["cases"]:
        cid = case.get("id")
        if not isinstance(cid, str) or not cid or cid in seen:
            raise ContractError(f"{path}: missing or duplicate case id {cid!r}")
        seen.add(cid)
        unknown = set(case) - CASE_KEYS
        if unknown:
            raise ContractError(f"case {cid}: unknown keys {sorted(unknown)}")
        outs = [k for k in STDOUT_KEYS if k in case]
        if len(outs) != 1:
            raise ContractError(f"case {cid}: needs exactly one of {STDOUT_KEYS}, has {outs}")
        for key in ("args", "exit", "stderr"):
            if key not in case:
                raise ContractError(f"case {cid}: no '{key}'")
        if not isinstance(case["exit"], int):
            raise ContractError(f"case {cid}: 'exit' is not an integer")
        for name, value in case.get("limits", {}).items():
            if name not in LIMITS or not isinstance(value, int) or value < 0:
                raise ContractError(f"case {cid}: bad limit {name!r}: {value!r}")
    return contract


def load_assets(path: "os.PathLike[str] | str") -> List[Dict[str, Any]]:
    """The 'assets' array of a manifest-shaped file (format 2: every entry
    names its arch)."""
    with open(path, encoding="utf-8") as f:
        assets: List[Dict[str, Any]] = json.load(f)["assets"]
    for a in assets:
        for key in ("name", "file", "size", "sha256", "mode", "arch"):
            if key not in a:
                raise ContractError(f"{path}: asset {a.get('name')!r} has no '{key}'")
    return assets


def header_version(path: "os.PathLike[str] | str" = HEADER) -> str:
    """MAJOR.MINOR.PATCH as core/include/supermachine_kernel.h defines it."""
    text = pathlib.Path(path).read_text(encoding="utf-8")
    parts = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        m = re.search(rf"^#define SMK_VERSION_{part} (\d+)$", text, re.M)
        if not m:
            raise ContractError(f"{path}: no SMK_VERSION_{part}")
        parts.append(m.group(1))
    return ".".join(parts)


# ---- Running one case ---------------------------------------------------------------


class Runner:
    """Runs cases against one CLI command (a list: program and leading
    arguments)."""

    def __init__(
        self,
        command: Sequence[str],
        manifest: "os.PathLike[str] | str | None" = None,
        version: Optional[str] = None,
        contract: Optional[Dict[str, Any]] = None,
        default_arch: Optional[str] = None,
    ) -> None:
        self.command = list(command)
        if not self.command:
            raise ContractError("no CLI command")
        # Cases run in their own directory: a relative program path is
        # taken from here, a bare name from PATH.
        if os.sep in self.command[0] and not os.path.isabs(self.command[0]):
            self.command[0] = os.path.abspath(self.command[0])
        self.contract = contract if contract is not None else load()
        entries = load_assets(manifest or REPO / self.contract["manifest"])
        # The sets, in the CLI's order: the default architecture's first
        # (the host's when embedded, else the manifest's first), then the
        # others in manifest order.
        archs: List[str] = []
        for a in entries:
            if a["arch"] not in archs:
                archs.append(a["arch"])
        if default_arch is None:
            host = HOST_ARCHS.get(platform.machine().lower(), "")
            default_arch = host if host in archs else archs[0]
        if default_arch not in archs:
            raise ContractError(f"default architecture {default_arch!r} not among the manifest's {archs}")
        self.archs = [default_arch] + [a for a in archs if a != default_arch]
        self.sets = {arch: [a for a in entries if a["arch"] == arch] for arch in self.archs}
        #: Every asset in the CLI's order (what `info` lists).
        self.all_assets = [a for arch in self.archs for a in self.sets[arch]]
        with open(CASES_JSON, encoding="utf-8") as f:
            known = json.load(f)["architectures"]["known"]
        self.formats = {k["arch"]: k["kernel_format"] for k in known}
        #: The case's architecture: the set that {assets.*}, each_asset and
        #: asset:NAME refer to.
        self.arch = default_arch
        self.version = version or header_version()
        #: When not None, each case's exit status and streams (the work
        #: directory written as {work}) by case id: --record, to compare
        #: two CLIs byte for byte.
        self.record: Optional[Dict[str, Dict[str, Any]]] = None

    # -- placeholders --

    def _field(self, asset: Dict[str, Any], field: str, text: str) -> str:
        value = asset.get(field)
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ContractError(f"{text!r}: asset {asset['name']} has no scalar field {field!r}")
        return str(value)

    @property
    def assets(self) -> List[Dict[str, Any]]:
        """The current architecture's set."""
        return self.sets[self.arch]

    @property
    def other_arch(self) -> str:
        """The architecture after the current one, cyclically."""
        return self.archs[(self.archs.index(self.arch) + 1) % len(self.archs)]

    def _asset(self, name: str, text: str) -> Dict[str, Any]:
        for a in self.assets:
            if a["name"] == name:
                return a
        raise ContractError(f"{text!r}: no {self.arch} asset {name!r} in the manifest")

    def expand(self, text: str, work: str, asset: Optional[Dict[str, Any]] = None,
               regex: bool = False) -> str:
        def sub(m: "re.Match[str]") -> str:
            simple, field, name, named_field, byte = m.groups()
            if byte is not None:
                if byte == "00":
                    raise ContractError(f"{text!r}: {{byte:00}}: no argument or path can hold a NUL")
                value = os.fsdecode(bytes([int(byte, 16)]))
            elif simple == "work":
                value = work
            elif simple == "version":
                value = self.version
            elif simple == "arch":
                value = self.arch
            elif simple == "other_arch":
                value = self.other_arch
            elif simple == "arch_dir":
                value = "" if self.arch == self.archs[0] else "/" + self.arch
            elif simple == "archs":
                value = ", ".join(self.archs)
            elif simple == "kernel_format":
                value = self.formats[self.arch]
            elif field is not None:
                if asset is None:
                    raise ContractError(f"{text!r}: {{asset.{field}}} outside an each_asset")
                value = self._field(asset, field, text)
            else:
                value = self._field(self._asset(name, text), named_field, text)
            return re.escape(value) if regex else value

        # Bytes written one by one that make a UTF-8 character are that
        # character, as os.fsdecode() gives it for the CLI's output.
        return os.fsdecode(os.fsencode(_PLACEHOLDER.sub(sub, text)))

    def expand_lines(self, specs: List[Any], work: str, regex: bool) -> List[str]:
        lines = []
        for spec in specs:
            if isinstance(spec, str):
                lines.append(self.expand(spec, work, regex=regex))
            elif isinstance(spec, dict) and "each_asset" in spec and set(spec) <= {"each_asset", "except"}:
                skip = spec.get("except", [])
                for name in skip:
                    self._asset(name, spec["each_asset"])
                for a in self.assets:
                    if a["name"] not in skip:
                        lines.append(self.expand(spec["each_asset"], work, a, regex))
            elif isinstance(spec, dict) and set(spec) == {"every_asset"}:
                for a in self.all_assets:
                    lines.append(self.expand(spec["every_asset"], work, a, regex))
            elif isinstance(spec, dict) and set(spec) == {"each_arch"}:
                with self.in_arch(None) as archs:
                    for arch in archs:
                        self.arch = arch
                        lines.append(self.expand(spec["each_arch"], work, regex=regex))
            else:
                raise ContractError(f"not a line: {spec!r}")
        return lines

    # -- setup --

    def _cli(self, args: List[str], work: str, env: Optional[Dict[str, str]] = None,
             limits: Optional[Dict[str, int]] = None) -> "subprocess.CompletedProcess[bytes]":
        def apply_limits() -> None:
            for name, value in (limits or {}).items():
                resource.setrlimit(LIMITS[name], (value, value))
        argv = [os.fsencode(a) for a in self.command + args]  # raw bytes, {byte:HH} included
        return subprocess.run(argv, cwd=work, env=env, capture_output=True,
                              timeout=TIMEOUT, check=False,
                              preexec_fn=apply_limits if limits else None)

    def setup(self, steps: List[Dict[str, Any]], work: str) -> None:
        root = pathlib.Path(work)
        for step in steps:
            if "mkdir" in step:
                p = root / self.expand(step["mkdir"], work)
                p.mkdir(parents=True, exist_ok=True)
                os.chmod(p, int(step.get("mode", "0755"), 8))
            elif "file" in step:
                (root / self.expand(step["file"], work)).write_text(self.expand(step["content"], work))
            elif "symlink" in step:
                (root / self.expand(step["symlink"], work)).symlink_to(self.expand(step["to"], work))
            elif "extract" in step:
                dest = str(root / self.expand(step["extract"], work))
                args = ["extract", dest]
                if "arch" in step:
                    args = ["extract", "--arch", self.expand(step["arch"], work), dest]
                r = self._cli(args, work)
                if r.returncode != 0:
                    raise CaseFailure(
                        f"setup: {shlex.join(self.command + args)}: exit {r.returncode}\n"
                        f"{os.fsdecode(r.stderr)}")
            elif "damage" in step:
                asset = self._asset(step["asset"], str(step))
                damage(root / self.expand(step["damage"], work) / asset["file"], step["change"])
            else:
                raise ContractError(f"unknown setup step {step!r}")

    # -- checks --

    def check_after(self, after: Dict[str, str], work: str) -> List[str]:
        problems = []
        for key, state in after.items():
            if "{asset." in key:
                pairs = [(self.expand(key, work, a), self.expand(state, work, a)) for a in self.assets]
            else:
                pairs = [(self.expand(key, work), self.expand(state, work))]
            for rel, want in pairs:
                problem = self._state(os.path.join(work, rel), want)
                if problem:
                    problems.append(f"after: {rel}: {problem}")
        return problems

    def _state(self, path: str, want: str) -> Optional[str]:
        try:
            st: Optional[os.stat_result] = os.lstat(path)
        except FileNotFoundError:
            st = None
        if want == "absent":
            return None if st is None else "exists, expected absent"
        if st is None:
            return f"missing, expected {want}"
        if want in ("directory", "empty"):
            if not stat.S_ISDIR(st.st_mode):
                return f"not a directory (mode {st.st_mode:o}), expected {want}"
            if want == "empty" and os.listdir(path):
                return f"holds {sorted(os.listdir(path))}, expected empty"
            return None
        if not stat.S_ISREG(st.st_mode):
            return f"not a regular file (mode {st.st_mode:o}), expected {want}"
        if want.startswith("content:"):
            with open(path, "rb") as f:
                got = f.read()
            text = want[len("content:"):].encode()
            return None if got == text else f"holds {got[:80]!r}, expected {text!r}"
        if want.startswith("asset:"):
            a = self._asset(want[len("asset:"):], want)
            if stat.S_IMODE(st.st_mode) != int(a["mode"], 8):
                return f"mode {stat.S_IMODE(st.st_mode):04o}, expected {a['mode']} ({want})"
            if st.st_size != a["size"]:
                return f"size {st.st_size}, expected {a['size']} ({want})"
            if sha256_file(path) != a["sha256"]:
                return f"sha256 is not {a['sha256']} ({want})"
            return None
        raise ContractError(f"unknown state {want!r}")

    def check_output(self, what: str, case: Dict[str, Any], key: str, text: str, work: str) -> List[str]:
        expected = case[key]
        if key == "stdout_json":
            try:
                doc = json.loads(text)
            except ValueError as e:
                return [f"{what}: not JSON ({e}):\n{indent(text)}"]
            problems = self.match_json(expected, doc, "$", work, None)
            return [f"{what}: {p}\n  got:\n{indent(text)}" for p in problems[:1]]
        lines, problem = split_lines(text)
        if problem:
            return [f"{what}: {problem}:\n{indent(text)}"]
        if key == "stdout":
            want = self.expand_lines(expected, work, regex=False)
            if lines != want:
                return [f"{what}: expected exactly\n{indent_lines(want)}\n  got\n{indent_lines(lines)}"]
            return []
        want = self.expand_lines(expected, work, regex=True)
        if key == "stdout_includes":
            missing = [w for w in want if not any(re.fullmatch(w, line) for line in lines)]
            if missing:
                return [f"{what}: no line matches\n{indent_regexes(missing)}\n  got\n{indent_lines(lines)}"]
            return []
        # stdout_regex, stderr: one regex a line.
        bad = len(lines) != len(want) or any(not re.fullmatch(w, line) for w, line in zip(want, lines))
        if bad:
            shown = indent_regexes(want)
            return [f"{what}: expected {len(want)} line(s) matching\n{shown}\n  got {len(lines)}\n{indent_lines(lines)}"]
        return []

    def match_json(self, want: Any, got: Any, where: str, work: str, asset: Optional[Dict[str, Any]]) -> List[str]:
        if isinstance(want, dict) and len(want) == 1 and next(iter(want)).startswith("$"):
            (op, arg), = want.items()
            if op == "$int":
                value = int(self.expand(arg, work, asset))
                if type(got) is not int or got != value:
                    return [f"{where}: expected the integer {value}, got {got!r}"]
                return []
            if op == "$type":
                types = {"string": (str,), "integer": (int,), "boolean": (bool,),
                         "array": (list,), "object": (dict,)}
                if arg not in types:
                    raise ContractError(f"unknown $type {arg!r}")
                if type(got) not in types[arg]:
                    return [f"{where}: expected a value of type {arg}, got {got!r}"]
                return []
            if op in ("$each_asset", "$every_asset"):
                assets = self.assets if op == "$each_asset" else self.all_assets
                if not isinstance(got, list) or len(got) != len(assets):
                    return [f"{where}: expected an array of {len(assets)} (one per asset), got {got!r}"]
                problems = []
                for i, (a, g) in enumerate(zip(assets, got)):
                    problems += self.match_json(arg, g, f"{where}[{i}]", work, a)
                return problems
            if op == "$each_arch":
                if not isinstance(got, list) or len(got) != len(self.archs):
                    return [f"{where}: expected an array of {len(self.archs)} (one per architecture), got {got!r}"]
                problems = []
                with self.in_arch(None) as archs:
                    for i, (arch, g) in enumerate(zip(archs, got)):
                        self.arch = arch
                        problems += self.match_json(arg, g, f"{where}[{i}]", work, None)
                return problems
            raise ContractError(f"unknown matcher {op!r}")
        if isinstance(want, dict):
            if not isinstance(got, dict):
                return [f"{where}: expected an object, got {got!r}"]
            if set(got) != set(want):
                return [f"{where}: keys {sorted(got)}, expected {sorted(want)}"]
            problems = []
            for k in want:
                problems += self.match_json(want[k], got[k], f"{where}.{k}", work, asset)
            return problems
        if isinstance(want, list):
            if not isinstance(got, list) or len(got) != len(want):
                return [f"{where}: expected an array of {len(want)}, got {got!r}"]
            problems = []
            for i, (w, g) in enumerate(zip(want, got)):
                problems += self.match_json(w, g, f"{where}[{i}]", work, asset)
            return problems
        if isinstance(want, str):
            want = self.expand(want, work, asset)
        if type(got) is not type(want) or got != want:
            return [f"{where}: expected {want!r}, got {got!r}"]
        return []

    # -- the case --

    @contextlib.contextmanager
    def in_arch(self, arch: Optional[str]) -> Iterator[List[str]]:
        """Makes @arch (None: keep) the current architecture for a while;
        gives the architectures, in order."""
        saved = self.arch
        if arch is not None:
            self.arch = arch
        try:
            yield list(self.archs)
        finally:
            self.arch = saved

    def runs(self, case: Dict[str, Any]) -> List[str]:
        """The architectures @case runs for: each embedded one for an
        'each_arch' case, the default one otherwise; none for an
        'other_arch' case of a CLI with a single set."""
        if case.get("other_arch") and len(self.archs) < 2:
            return []
        return list(self.archs) if case.get("each_arch") else [self.archs[0]]

    def run(self, case: Dict[str, Any], work: "os.PathLike[str] | str") -> None:
        """Run @case in @work (created if missing, and must be empty), once
        per architecture of runs() (each in a subdirectory named for it
        when there are several); raise CaseFailure listing every
        difference."""
        work = os.path.abspath(os.fspath(work))
        os.makedirs(work, exist_ok=True)
        if os.listdir(work):
            raise ContractError(f"{work}: the work directory is not empty")
        archs = self.runs(case)
        for arch in archs:
            with self.in_arch(arch):
                sub = os.path.join(work, arch) if len(archs) > 1 else work
                os.makedirs(sub, exist_ok=True)
                self._run_one(case, sub)

    def _run_one(self, case: Dict[str, Any], work: str) -> None:
        cid = case["id"] if self.arch == self.archs[0] else f"{case['id']}@{self.arch}"
        self.setup(case.get("setup", []), work)
        args = [self.expand(a, work) for a in case["args"]]
        env = dict(os.environ)
        shown_env = []
        for name, value in case.get("env", {}).items():
            if value is None:
                env.pop(name, None)
                shown_env.append(f"-u {name}")
            else:
                env[name] = self.expand(value, work)
                shown_env.append(f"{name}={shlex.quote(env[name])}")
        try:
            r = self._cli(args, work, env, case.get("limits"))
        except subprocess.TimeoutExpired:
            raise CaseFailure(f"case {cid}: FAILED\n  command: {shlex.join(self.command + args)}\n"
                              f"    did not end within {TIMEOUT} s") from None
        # Byte for byte: a byte that is not UTF-8 stays itself (a lone
        # surrogate, as in the expected lines), not U+FFFD.
        out = os.fsdecode(r.stdout)
        err = os.fsdecode(r.stderr)
        if self.record is not None:
            self.record[cid] = {"exit": r.returncode, "stdout": out.replace(work, "{work}"),
                                       "stderr": err.replace(work, "{work}")}

        problems = []
        if r.returncode != case["exit"]:
            problems.append(f"exit: expected {case['exit']}, got {r.returncode}")
        stdout_key = next(k for k in STDOUT_KEYS if k in case)
        out_problems = self.check_output("stdout", case, stdout_key, out, work)
        err_problems = self.check_output("stderr", case, "stderr", err, work)
        problems += out_problems + err_problems + self.check_after(case.get("after", {}), work)
        if problems:
            command = shlex.join(self.command + args)
            if shown_env:
                command = f"env {' '.join(shown_env)} {command}"
            if case.get("limits"):
                command = f"ulimit -f {case['limits']['fsize'] // 512}; {command}"
            # The streams in full, unless a problem above shows them.
            raise CaseFailure(
                f"case {cid}: FAILED\n  command: (cd {shlex.quote(work)} && {command})\n"
                + "\n".join(indent(p) for p in problems)
                + (f"\n  stdout was:\n{indent(out)}" if out and not out_problems else "")
                + (f"\n  stderr was:\n{indent(err)}" if err and not err_problems else ""))


# ---- Helpers ----------------------------------------------------------------------


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def damage(path: pathlib.Path, change: str) -> None:
    """Apply one of cases.json's verify changes to @path."""
    if change == "none":
        pass
    elif change == "delete":
        path.unlink()
    elif change == "truncate":
        os.truncate(path, path.stat().st_size // 2)
    elif change == "flip-last-byte":
        with open(path, "r+b") as f:
            f.seek(-1, os.SEEK_END)
            b = f.read(1)[0]
            f.seek(-1, os.SEEK_END)
            f.write(bytes([b ^ 0xFF]))
    elif change == "chmod-0600":
        os.chmod(path, 0o600)
    elif change == "replace-with-symlink":
        aside = path.with_name(path.name + ".real")
        path.rename(aside)
        path.symlink_to(aside.name)
    else:
        raise ContractError(f"unknown change {change!r} (known: {', '.join(CHANGES)})")


def split_lines(text: str) -> "tuple[List[str], Optional[str]]":
    if text == "":
        return [], None
    if not text.endswith("\n"):
        return text.split("\n"), "does not end with a newline"
    return text[:-1].split("\n"), None


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.rstrip("\n").split("\n"))


def indent_regexes(regexes: List[str]) -> str:
    if not regexes:
        return "    (no lines)"
    return "\n".join(f"    /{r}/" for r in regexes)


def indent_lines(lines: List[str]) -> str:
    if not lines:
        return "    (no lines)"
    return "\n".join(f"    {line!r}" for line in lines)


# ---- Command --------------------------------------------------------------------------


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--" not in argv:
        print("usage: cli_cases.py [OPTIONS] -- CLI [ARGV...]", file=sys.stderr)
        return 2
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    parser = argparse.ArgumentParser(
        prog="cli_cases.py", usage="%(prog)s [OPTIONS] -- CLI [ARGV...]",
        description="Run tests/conformance/cli.json against a CLI command.")
    parser.add_argument("--cases", default=str(CLI_JSON), help="the case file (default: %(default)s)")
    parser.add_argument("--manifest", help="manifest-shaped file of the assets the CLI embeds "
                        "(default: the case file's 'manifest', from the repository root)")
    parser.add_argument("--default-arch", help="the architecture whose set the CLI uses without --arch "
                        "(default: the host's when the manifest has it, else the manifest's first)")
    parser.add_argument("--expect-version", help="the version {version} stands for "
                        "(default: the one in core/include/supermachine_kernel.h)")
    parser.add_argument("--work", help="directory for the cases' work directories, emptied first "
                        "(default: a temporary one); failed cases' directories are kept")
    parser.add_argument("--case", action="append", default=[], metavar="ID", help="run only this case (repeatable)")
    parser.add_argument("--record", metavar="FILE", help="also write every case's exit status, stdout and "
                        "stderr (the work directory as {work}) to FILE as JSON, to compare CLIs byte for byte")
    args = parser.parse_args(options)
    if not command:
        parser.error("no CLI command after --")

    try:
        contract = load(args.cases)
        runner = Runner(command, args.manifest, args.expect_version, contract, args.default_arch)
        if args.record:
            runner.record = {}
        cases = contract["cases"]
        if args.case:
            unknown = set(args.case) - {c["id"] for c in cases}
            if unknown:
                parser.error(f"no such case: {', '.join(sorted(unknown))}")
            cases = [c for c in cases if c["id"] in args.case]
        if args.work:
            base = os.path.abspath(args.work)
            shutil.rmtree(base, ignore_errors=True)
            os.makedirs(base)
        else:
            base = tempfile.mkdtemp(prefix="smk-cli-cases-")
        failed = []
        for case in cases:
            work = os.path.join(base, case["id"])
            try:
                runner.run(case, work)
            except CaseFailure as e:
                failed.append(case["id"])
                print(e, file=sys.stderr)
                print(f"  (work directory kept: {work})\n", file=sys.stderr)
            else:
                shutil.rmtree(work)
    except ContractError as e:
        print(f"cli_cases.py: bad case file: {e}", file=sys.stderr)
        return 2
    if not failed and not args.work:
        shutil.rmtree(base, ignore_errors=True)
    if args.record and runner.record is not None:
        with open(args.record, "w", encoding="utf-8") as f:
            json.dump(runner.record, f, indent=1, sort_keys=True)
            f.write("\n")
    print(f"{len(cases) - len(failed)} of {len(cases)} CLI cases passed ({shlex.join(command)})")
    if failed:
        print(f"failed: {' '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
