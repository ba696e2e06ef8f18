'use strict';
// Async work runs on the libuv pool: the event loop keeps turning, many
// extractions at once never mix, and worker threads use the addon at once.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Worker } = require('worker_threads');
const { PACKAGE, load, workDir } = require('./helpers');

const smk = load();
const kernel = smk.assets()[0];
const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const temporaries = (dir) => fs.readdirSync(dir).filter((e) => e.startsWith('.smk-tmp'));

/** Counts 1 ms timer ticks while fn() runs. */
async function ticksDuring(fn) {
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 1);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

test('a timer keeps firing during an async extraction, not during a sync one', async (t) => {
  const dir = workDir(t);
  const dest = path.join(dir, 'kernel');
  const started = process.hrtime.bigint();
  const asyncTicks = await ticksDuring(() => smk.extractKernelTo(dest));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // The loop turned about once a millisecond; a blocked loop would show 0.
  assert.ok(asyncTicks >= Math.min(5, ms / 4), `${asyncTicks} ticks in ${ms.toFixed(1)} ms`);
  const syncTicks = await ticksDuring(() => smk.extractKernelToSync(dest));
  assert.equal(syncTicks, 0, 'the sync variant blocks the loop, as it should');
  assert.equal(sha256(dest), kernel.sha256);
});

test('16 concurrent async extractions to one destination', async (t) => {
  const dir = workDir(t);
  const dest = path.join(dir, 'kernel');
  fs.writeFileSync(dest, 'old');
  const results = await Promise.allSettled(Array.from({ length: 16 }, () => smk.extractKernelTo(dest)));
  assert.deepEqual(results.map((r) => r.status), new Array(16).fill('fulfilled'));
  assert.equal(sha256(dest), kernel.sha256);
  assert.equal(fs.statSync(dest).mode & 0o777, 0o644);
  assert.deepEqual(temporaries(dir), []);
  // Also across operations: ensure, verify and extraction of one dir at once.
  const all = path.join(dir, 'all');
  await Promise.all([
    smk.extractAllTo(all), smk.ensureAssets(all), smk.extractAllTo(all), smk.ensureAssets(all),
  ]);
  await Promise.all([smk.verify(all), smk.ensureAssets(all), smk.verify(all)]);
  assert.deepEqual(temporaries(all), []);
});

function runWorker(source, workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true, workerData });
    let result;
    w.on('message', (m) => { result = m; });
    w.on('error', reject);
    w.on('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`worker exit ${code}`))));
  });
}

const WORKER = `
  const { workerData, parentPort } = require('worker_threads');
  const crypto = require('crypto');
  const path = require('path');
  const smk = require(workerData.pkg);
  (async () => {
    const own = path.join(workerData.dir, 'w' + workerData.id);
    await smk.extractAllTo(own);
    await smk.verify(own);
    await smk.extractKernelTo(path.join(workerData.dir, 'shared-kernel'));
    smk.ensureAssetsSync(path.join(workerData.dir, 'shared'));
    const bytes = crypto.createHash('sha256').update(smk.KERNEL_BYTES).digest('hex');
    let error;
    try { await smk.extractKernelTo(path.join(workerData.dir, 'none', 'k')); } catch (e) { error = e.code; }
    parentPort.postMessage({ bytes, error, release: smk.kernelInfo().release });
  })().catch((e) => { parentPort.postMessage({ failed: String(e && e.stack) }); });
`;

test('worker threads use the addon at once', async (t) => {
  const dir = workDir(t);
  const workers = Array.from({ length: 4 }, (_, id) => runWorker(WORKER, { pkg: PACKAGE, dir, id }));
  const mine = smk.extractKernelTo(path.join(dir, 'shared-kernel'));
  const results = await Promise.all(workers);
  await mine;
  for (const r of results) {
    assert.equal(r.failed, undefined, r.failed);
    assert.equal(r.bytes, kernel.sha256);
    assert.equal(r.error, 'ENOENT');
    assert.equal(r.release, smk.kernelInfo().release);
  }
  assert.equal(sha256(path.join(dir, 'shared-kernel')), kernel.sha256);
  for (const d of ['w0', 'w1', 'w2', 'w3', 'shared']) smk.verifySync(path.join(dir, d));
  assert.deepEqual(temporaries(dir), []);
});

test('a worker terminated during an extraction leaves no temporary behind', async (t) => {
  const dir = workDir(t);
  const source = `
    const { workerData, parentPort } = require('worker_threads');
    const smk = require(workerData.pkg);
    smk.extractKernelTo(workerData.dest);
    parentPort.postMessage('started');
  `;
  const w = new Worker(source, { eval: true, workerData: { pkg: PACKAGE, dest: path.join(dir, 'kernel') } });
  await new Promise((resolve) => w.once('message', resolve));
  await w.terminate();
  // The work already on the pool finishes (or never started); either way
  // the destination is whole or absent, and no temporary stays.
  await smk.extractInitOciTo(path.join(dir, 'after')); // the pool has moved on
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(temporaries(dir), []);
  if (fs.existsSync(path.join(dir, 'kernel'))) assert.equal(sha256(path.join(dir, 'kernel')), kernel.sha256);
});
