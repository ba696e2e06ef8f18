'use strict';
// The CLI (`npx supermachine-kernel`, bin/supermachine-kernel.js) against
// the contract every language's CLI shares, tests/conformance/cli.json, run
// by its runner tests/conformance/cli_cases.py; and, given the C CLI in
// SMK_C_CLI, byte for byte against the C CLI's output.
//
// The runner runs once per CLI (every case of cli.json, 5-15 s; a python process per case
// takes two to three times as long) and its report is split into one subtest
// per case, so that a failure names its case.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { isDeepStrictEqual } = require('util');
const { PACKAGE, CONFORMANCE } = require('./helpers');

const RUNNER = path.join(CONFORMANCE, 'cli_cases.py');
const CASE_IDS = JSON.parse(fs.readFileSync(path.join(CONFORMANCE, 'cli.json'), 'utf8')).cases.map((c) => c.id);
// The node running this suite, so that the CLI runs on the same version.
const NODE_CLI = [process.execPath, path.join(PACKAGE, 'bin', 'supermachine-kernel.js')];
// The runner gives each command 300 s; this caps the whole run, so that a
// CLI that hangs fails the suite instead of stalling it.
const RUN_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Runs every contract case against @command (program and leading
 * arguments).  Returns the runner's exit status and output, the ids it
 * reported as failed with the block it printed for each, and its --record
 * (case id -> exit, stdout, stderr; null if it wrote none).
 */
function runContract(command) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smk-node-cli-'));
  try {
    const recordFile = path.join(dir, 'record.json');
    const work = path.join(dir, 'work');
    const r = spawnSync('python3', [RUNNER, '--work', work, '--record', recordFile, '--', ...command], {
      encoding: 'utf8',
      timeout: RUN_TIMEOUT_MS,
    });
    if (r.error) throw new Error(`python3 ${RUNNER}: ${r.error.message}`);
    const record = fs.existsSync(recordFile) ? JSON.parse(fs.readFileSync(recordFile, 'utf8')) : null;
    return {
      status: r.status,
      signal: r.signal,
      stdout: r.stdout,
      stderr: r.stderr,
      output: `runner stdout:\n${r.stdout}\nrunner stderr:\n${r.stderr}`,
      record,
      ...failures(r.stderr),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The runner's stderr, split by case: one block per failing case, each
 * ended by "  (work directory kept: WORK/ID)" and a blank line, then
 * "failed: ID ID ...".  The "failed:" line is what counts; the blocks only
 * explain.
 */
function failures(stderr) {
  const blocks = new Map();
  const block = /([\s\S]*?)\n {2}\(work directory kept: ([^\n]*)\)\n\n/g;
  let end = 0;
  for (let m; (m = block.exec(stderr)); end = block.lastIndex) {
    blocks.set(path.basename(m[2]), m[1].replace(/^\n+/, ''));
  }
  const line = stderr.slice(end).match(/^failed: (.*)$/m);
  return { failed: line ? line[1].split(' ') : [], blocks };
}

// The Node CLI's run is shared by both tests (the second compares its
// record), and made once, by whichever test comes first.
let nodeRun;
function nodeContract() {
  if (nodeRun === undefined) nodeRun = runContract(NODE_CLI);
  return nodeRun;
}

test('the Node CLI passes tests/conformance/cli.json', async (t) => {
  const run = nodeContract();
  // 2: the case file is wrong; null: killed (the timeout).  No case verdicts then.
  assert.ok(run.status === 0 || run.status === 1, `runner exit ${run.status} (signal ${run.signal})\n${run.output}`);
  for (const id of run.failed) assert.ok(CASE_IDS.includes(id), `runner reports unknown case ${id}\n${run.output}`);

  for (const id of CASE_IDS) {
    await t.test(id, () => {
      if (run.failed.includes(id)) {
        assert.fail(run.blocks.get(id) || `failed, and no block for it in the runner's output:\n${run.output}`);
      }
    });
  }

  // Every case ran (the runner counts them), and its verdict agrees.
  const passed = CASE_IDS.length - run.failed.length;
  assert.match(run.stdout, new RegExp(`^${passed} of ${CASE_IDS.length} CLI cases passed`, 'm'), run.output);
  assert.equal(run.status, run.failed.length ? 1 : 0, run.output);
});

// What the Node CLI may say differently: how to run it, in the usage line
// of --help and in the "(try '... --help')" of a usage error.  Nothing else.
const HOW_TO_RUN = [
  [/^usage: npx supermachine-kernel /gm, 'usage: supermachine-kernel '],
  [/\(try 'npx supermachine-kernel --help'\)/g, "(try 'supermachine-kernel --help')"],
];
function asTheCCliSaysIt(text) {
  return HOW_TO_RUN.reduce((s, [from, to]) => s.replace(from, to), text);
}

test('the Node CLI prints what the C CLI prints, byte for byte', (t) => {
  if (!process.env.SMK_C_CLI) {
    t.skip('SMK_C_CLI is not set (tests/node/run.sh PATH/TO/supermachine-kernel sets it)');
    return;
  }
  const cCli = path.resolve(process.env.SMK_C_CLI);
  assert.ok(fs.existsSync(cCli), `SMK_C_CLI=${process.env.SMK_C_CLI}: no such file`);

  const c = runContract([cCli]);
  const node = nodeContract();
  assert.ok(c.record, `no record of the C CLI (runner exit ${c.status})\n${c.output}`);
  assert.ok(node.record, `no record of the Node CLI (runner exit ${node.status})\n${node.output}`);

  // A case with no record failed in its setup, before its command ran.
  assert.deepEqual(Object.keys(node.record).sort(), Object.keys(c.record).sort(), 'recorded cases differ');
  const differences = [];
  for (const id of Object.keys(c.record).sort()) {
    const n = node.record[id];
    const want = c.record[id];
    const got = { exit: n.exit, stdout: asTheCCliSaysIt(n.stdout), stderr: asTheCCliSaysIt(n.stderr) };
    for (const field of ['exit', 'stdout', 'stderr']) {
      if (!isDeepStrictEqual(got[field], want[field])) {
        differences.push(`case ${id}: ${field}:\n    C:    ${JSON.stringify(want[field])}\n    Node: ${JSON.stringify(got[field])}`);
      }
    }
    // No field beyond these three that the comparison would miss.
    assert.deepEqual(Object.keys(n).sort(), Object.keys(want).sort(), `case ${id}: record fields`);
  }
  assert.equal(differences.length, 0, `the Node CLI differs from ${cCli}:\n${differences.join('\n')}`);
});
