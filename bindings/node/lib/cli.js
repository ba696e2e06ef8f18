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
  info [--json]   describe the embedded assets and the kernel
  --version       print the version
  --help          print this help
`;

function makeIo(out, err) {
  return {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  };
}

function fail(io, path, code) {
  io.err(`${PROG}: ${path || "''"}: ${native.strerror(code)}\n`);
  return 1;
}

function usageError(io, what) {
  io.err(`${PROG}: ${what} (try '${HOW} --help')\n`);
  return 2;
}

/**
 * Runs a directory operation and reports as the C CLI does, from the
 * per-asset results: one line for each asset that failed, naming its
 * file; or, when none did but the call failed, one line naming dir.  With
 * okLines, `PATH: ok` on stdout for each asset that passed.
 */
function report(io, dir, op, okLines) {
  const [rc, ...results] = native.run(op, 0, dir);
  let named = false;
  smk.assets().forEach((a, i) => {
    const code = results[i];
    if (code === native.notAttempted || (code === 0 && !okLines)) return;
    const path = join(dir, a.fileName);
    if (code === 0) {
      io.out(`${path}: ok\n`);
    } else {
      fail(io, path, code);
      named = true;
    }
  });
  if (rc !== 0 && !named) fail(io, dir, rc);
  return rc === 0 ? 0 : 1;
}

function extract(io, args) {
  if (args.length !== 1) return usageError(io, 'extract needs exactly one DIR');
  return report(io, args[0], native.ops.EXTRACT_ALL, false);
}

function ensure(io, args) {
  if (args.length > 1) return usageError(io, 'ensure takes at most one DIR');
  let dir = args[0];
  if (dir === undefined) {
    dir = native.defaultDir();
    if (typeof dir === 'number') return fail(io, '$XDG_CACHE_HOME or $HOME', dir);
  }
  const status = report(io, dir, native.ops.ENSURE, false);
  if (status === 0) io.out(`${dir}\n`);
  return status;
}

function verify(io, args) {
  if (args.length !== 1) return usageError(io, 'verify needs exactly one DIR');
  return report(io, args[0], native.ops.VERIFY, true);
}

const hex = (n) => `0x${n.toString(16)}`;
const octal = (n) => n.toString(8).padStart(4, '0');

function info(io, args) {
  let asJson;
  if (args.length === 1 && args[0] === '--json') asJson = true;
  else if (args.length === 0) asJson = false;
  else return usageError(io, 'info takes only --json');

  const kernel = native.kernelInfo();
  const kernelError = typeof kernel === 'number' ? kernel : 0;
  const release = native.kernelRelease;
  const s = JSON.stringify;
  const list = smk.assets();
  if (asJson) {
    io.out(`{\n  "version": ${s(smk.version)},\n  "assets": [\n`);
    list.forEach((a, i) => {
      io.out(
        `    {"name": ${s(a.name)}, "file": ${s(a.fileName)}, "size": ${a.size}, ` +
          `"sha256": ${s(a.sha256)}, "mode": "${octal(a.mode)}", "arch": ${s(a.arch)}, ` +
          `"compressed": ${s(a.compressed)}, "embedded_size": ${a.embeddedSize}}` +
          `${i + 1 < list.length ? ',' : ''}\n`,
      );
    });
    io.out(`  ],\n  "kernel": {"release": ${s(release)}`);
    if (!kernelError) {
      io.out(`, "text_offset": ${kernel.textOffset}, "image_size": ${kernel.imageSize}` +
        `, "flags": ${kernel.flags}}\n}\n`);
    } else {
      io.out(`, "error": ${s(native.errorName(kernelError))}}\n}\n`);
    }
  } else {
    io.out(`${'ASSET'.padEnd(20)} ${'FILE'.padEnd(19)} ${'SIZE'.padStart(10)}  ` +
      `${'SHA256'.padEnd(64)}  ${'MODE'.padEnd(4)}  ARCH\n`);
    for (const a of list) {
      io.out(`${a.name.padEnd(20)} ${a.fileName.padEnd(19)} ${String(a.size).padStart(10)}  ` +
        `${a.sha256.padEnd(64)}  ${octal(a.mode)}  ${a.arch}\n`);
    }
    io.out(`\nkernel release ${release}`);
    if (!kernelError) {
      io.out(`, text_offset ${hex(kernel.textOffset)}, image_size ${kernel.imageSize}` +
        `, flags ${hex(kernel.flags)}\n`);
    } else {
      io.out('\n');
    }
  }
  if (kernelError) {
    io.err(`${PROG}: kernel payload: ${native.strerror(kernelError)}\n`);
    return 1;
  }
  return 0;
}

const COMMANDS = { extract, ensure, verify, info };

/**
 * Runs the CLI with `argv` (the arguments after the program); returns
 * { status, stdout, stderr } without writing anything.
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
    io.err(`${PROG}: unknown command '${cmd}' (try '${HOW} --help')\n`);
    status = 2;
  }
  return { status, stdout: out.join(''), stderr: err.join('') };
}

/** The command itself: runs argv, writes the output, sets the exit code. */
function main(argv = process.argv.slice(2)) {
  const { status, stdout, stderr } = run(argv);
  // `... info | head`: a closed pipe is not worth a stack trace.
  process.stdout.on('error', () => { process.exitCode = 1; });
  if (stdout) process.stdout.write(stdout);
  if (stderr) process.stderr.write(stderr);
  process.exitCode = status;
}

module.exports = { run, main, USAGE };
