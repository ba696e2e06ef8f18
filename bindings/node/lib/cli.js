'use strict';
// `npx supermachine-kernel`: the C CLI supermachine-kernel, through the
// Node package.  Same commands, same output, same exit codes (0 success,
// 1 failure, 2 usage error), and every failure is one line on stderr
// naming the path and the cause in the core's words; the contract is
// tests/conformance/cli.json, shared by every language's CLI.

const native = require('./native');
const { join } = require('./paths');
const smk = require('./index');

const PROG = 'supermachine-kernel';
const HOW = 'npx supermachine-kernel';

const USAGE = `usage: ${HOW} COMMAND [ARGS]

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
`;

// Output is bytes: a path given as a Buffer (an argument that is not
// UTF-8) is printed as those bytes, as the C CLI prints it.
const bytes = (part) => (typeof part === 'string' ? Buffer.from(part) : part);

function makeIo(out, err) {
  return {
    out: (...parts) => out.push(...parts.map(bytes)),
    err: (...parts) => err.push(...parts.map(bytes)),
  };
}

function fail(io, path, code) {
  io.err(`${PROG}: `, path.length ? path : "''", `: ${native.strerror(code)}\n`);
  return 1;
}

/** A usage error: `what` is a string or a list of parts (strings, Buffers). */
function usageError(io, what) {
  io.err(`${PROG}: `, ...(Array.isArray(what) ? what : [what]), ` (try '${HOW} --help')\n`);
  return 2;
}

/** The descriptions of an architecture's set (null: the default one's). */
function setOf(arch) {
  const first = native.assetFind(arch, 0);
  return Array.from({ length: native.assetCount }, (_, k) => native.assetInfo(first + k));
}

/**
 * Runs a directory operation on an architecture's set and reports as the
 * C CLI does, from the per-asset results: one line for each asset that
 * failed, naming its file; or, when none did but the call failed, one
 * line naming dir.  With okLines, `PATH: ok` on stdout for each asset
 * that passed.
 */
function report(io, dir, rc, results, arch, okLines) {
  let named = false;
  setOf(arch).forEach((a, i) => {
    const code = results[i];
    if (code === native.notAttempted || (code === 0 && !okLines)) return;
    const path = join(dir, a.fileName);
    if (code === 0) {
      io.out(path, ': ok\n');
    } else {
      fail(io, path, code);
      named = true;
    }
  });
  if (rc !== 0 && !named) fail(io, dir, rc);
  return rc === 0 ? 0 : 1;
}

const ARCH_OPTION = Buffer.from('--arch=');

/**
 * Takes a leading `--arch ARCH` (or `--arch=ARCH`) off args.  Returns
 * { arch, args } (arch null when none is given) or { status } for a usage
 * error.  An argument that is not UTF-8 (a Buffer) names no architecture.
 */
function takeArch(io, args) {
  const first = args[0];
  let a;
  let rest;
  if (first !== undefined && bytes(first).subarray(0, ARCH_OPTION.length).equals(ARCH_OPTION)) {
    a = typeof first === 'string' ? first.slice(ARCH_OPTION.length) : first.subarray(ARCH_OPTION.length);
    rest = args.slice(1);
  } else if (first === '--arch') {
    if (args.length < 2) return { status: usageError(io, '--arch needs an architecture') };
    [, a] = args;
    rest = args.slice(2);
  } else {
    return { arch: null, args };
  }
  if (typeof a !== 'string' || a === '' || native.assetFind(a, 0) < 0) {
    // As the C CLI's "%.64s": at most 64 bytes of the name.
    return {
      status: usageError(io, ["--arch '", bytes(a).subarray(0, 64),
        `': no guest set for it here (${native.archs.join(', ')})`]),
    };
  }
  return { arch: a, args: rest };
}

function extract(io, argv) {
  const { status, arch, args } = takeArch(io, argv);
  if (status !== undefined) return status;
  if (args.length !== 1) return usageError(io, 'extract needs exactly one DIR');
  const [rc, ...results] = native.run(native.ops.EXTRACT_ALL, 0, args[0], arch);
  return report(io, args[0], rc, results, arch, false);
}

function ensure(io, argv) {
  const { status, arch, args } = takeArch(io, argv);
  if (status !== undefined) return status;
  if (args.length > 1) return usageError(io, 'ensure takes at most one DIR');
  let dir = args[0];
  if (dir === undefined) {
    dir = native.defaultDir(arch);
    if (typeof dir === 'number') return fail(io, '$XDG_CACHE_HOME or $HOME', dir);
  }
  const [rc, ...results] = native.run(native.ops.ENSURE, 0, dir, arch);
  if (rc !== 0) return report(io, dir, rc, results, arch, false);
  io.out(dir, '\n');
  return 0;
}

function verify(io, argv) {
  const { status, arch, args } = takeArch(io, argv);
  if (status !== undefined) return status;
  if (args.length !== 1) return usageError(io, 'verify needs exactly one DIR');
  const [rc, ...results] = native.run(native.ops.VERIFY, 0, args[0], arch);
  return report(io, args[0], rc, results, arch, true);
}

const hex = (n) => `0x${n.toString(16)}`;
const octal = (n) => n.toString(8).padStart(4, '0');

function jsonKernel(arch, k) {
  const s = JSON.stringify;
  if (typeof k === 'number') {
    return `{"arch": ${s(arch)}, "release": "", "error": ${s(native.errorName(k))}}`;
  }
  return `{"arch": ${s(arch)}, "release": ${s(k.release)}, "format": ${s(k.format)}, ` +
    `"text_offset": ${k.textOffset}, "image_size": ${k.imageSize}, "flags": ${k.flags}, ` +
    `"entry": ${k.entry}, "pvh_entry": ${k.pvhEntry}, "load_address": ${k.loadAddress}}`;
}

function textKernel(arch, k) {
  if (typeof k === 'number') return `kernel ${arch}: ${native.strerror(k)}\n`;
  if (k.format === 'ELF') {
    return `kernel ${arch}: release ${k.release}, ELF vmlinux, entry ${hex(k.entry)}, ` +
      `pvh_entry ${hex(k.pvhEntry)}, load_address ${hex(k.loadAddress)}, image_size ${k.imageSize}\n`;
  }
  return `kernel ${arch}: release ${k.release}, arm64 Image, text_offset ${hex(k.textOffset)}, ` +
    `image_size ${k.imageSize}, flags ${hex(k.flags)}\n`;
}

function info(io, args) {
  let asJson;
  if (args.length === 1 && args[0] === '--json') asJson = true;
  else if (args.length === 0) asJson = false;
  else return usageError(io, 'info takes only --json');

  const s = JSON.stringify;
  // Every asset, the default architecture's set first.
  const list = Array.from({ length: native.assetTotal }, (_, i) => native.assetInfo(i));
  if (asJson) {
    io.out(`{\n  "version": ${s(smk.version)},\n  "default_arch": ${s(native.defaultArch)},\n  "assets": [\n`);
    list.forEach((a, i) => {
      io.out(
        `    {"name": ${s(a.name)}, "file": ${s(a.fileName)}, "size": ${a.size}, ` +
          `"sha256": ${s(a.sha256)}, "mode": "${octal(a.mode)}", "arch": ${s(a.arch)}, ` +
          `"compressed": ${s(a.compressed)}, "embedded_size": ${a.embeddedSize}}` +
          `${i + 1 < list.length ? ',' : ''}\n`,
      );
    });
    io.out('  ],\n  "kernels": [\n');
  } else {
    io.out(`${'ASSET'.padEnd(20)} ${'FILE'.padEnd(19)} ${'SIZE'.padStart(10)}  ` +
      `${'SHA256'.padEnd(64)}  ${'MODE'.padEnd(4)}  ARCH\n`);
    for (const a of list) {
      io.out(`${a.name.padEnd(20)} ${a.fileName.padEnd(19)} ${String(a.size).padStart(10)}  ` +
        `${a.sha256.padEnd(64)}  ${octal(a.mode)}  ${a.arch}\n`);
    }
    io.out('\n');
  }
  // One kernel per architecture, the default one first.
  let failed = 0;
  native.archs.forEach((arch, i) => {
    const k = native.kernelInfo(arch);
    if (asJson) io.out(`    ${jsonKernel(arch, k)}${i + 1 < native.archs.length ? ',' : ''}\n`);
    else io.out(textKernel(arch, k));
    if (typeof k === 'number') {
      io.err(`${PROG}: ${arch} kernel payload: ${native.strerror(k)}\n`);
      failed = 1;
    }
  });
  if (asJson) io.out('  ]\n}\n');
  return failed;
}

const COMMANDS = { extract, ensure, verify, info };

/**
 * Runs the CLI with `argv` (the arguments after the program: strings, or
 * Buffers for arguments that are not UTF-8); returns { status, stdout,
 * stderr } (the streams as Buffers) without writing anything.
 */
function run(argv) {
  const out = [];
  const err = [];
  const io = makeIo(out, err);
  let status;
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    status = usageError(io, 'missing command');
  } else if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(USAGE);
    status = 0;
  } else if (cmd === '--version') {
    io.out(`${PROG} ${smk.version}\n`);
    status = 0;
  } else if (Object.prototype.hasOwnProperty.call(COMMANDS, cmd)) {
    status = COMMANDS[cmd](io, rest);
  } else {
    io.err(`${PROG}: unknown command '`, cmd, `' (try '${HOW} --help')\n`);
    status = 2;
  }
  return { status, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/**
 * The arguments after the script, as the user gave them.  process.argv
 * decodes them as UTF-8, replacing what is not with U+FFFD, so a directory
 * named in Latin-1 would silently become another one.  On Linux their
 * bytes are in /proc/self/cmdline, whose last entries they are: an
 * argument that is valid UTF-8 stays process.argv's string, another one
 * becomes a Buffer of its bytes (a path the API takes as it is).  Where
 * that file is missing or does not end with these arguments (node
 * --title rewrites it), process.argv's strings, unless one holds U+FFFD:
 * then null, as it may stand for bytes that are lost.
 */
function rawArgs(argv = process.argv.slice(2)) {
  const unknown = () => (argv.some((a) => a.includes('\uFFFD')) ? null : argv);
  let cmdline;
  try {
    cmdline = require('fs').readFileSync('/proc/self/cmdline');
  } catch {
    return unknown();
  }
  const entries = [];
  for (let start = 0; start < cmdline.length;) {
    const nul = cmdline.indexOf(0, start);
    const end = nul < 0 ? cmdline.length : nul;
    entries.push(cmdline.subarray(start, end));
    start = end + 1;
  }
  if (entries.length < argv.length) return unknown();
  const mine = entries.slice(entries.length - argv.length);
  if (!mine.every((b, i) => b.toString() === argv[i])) return unknown();
  return mine.map((b, i) => (Buffer.from(argv[i]).equals(b) ? argv[i] : Buffer.from(b)));
}

/** The command itself: runs argv, writes the output, sets the exit code. */
function main(argv = rawArgs()) {
  if (argv === null) {
    process.stderr.write(`${PROG}: an argument holds U+FFFD, maybe for bytes that are not UTF-8, ` +
      `and /proc/self/cmdline does not give its bytes\n`);
    process.exitCode = 2;
    return;
  }
  const { status, stdout, stderr } = run(argv);
  // `... info | head`: a closed pipe is not worth a stack trace.
  process.stdout.on('error', () => { process.exitCode = 1; });
  if (stdout.length) process.stdout.write(stdout);
  if (stderr.length) process.stderr.write(stderr);
  process.exitCode = status;
}

module.exports = { run, main, rawArgs, USAGE };
