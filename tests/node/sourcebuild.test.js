'use strict';
// The source build of the npm package (`npm run build`), as a user on a
// platform without a prebuilt addon would run it: from the package's own
// files (the core's sources, cmake/, the payloads), against node-api-headers
// from npm, without the repository.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { PACKAGE, workDir } = require('./helpers');

const run = (cmd, args, cwd) => execFileSync(cmd, args, {
  cwd, encoding: 'utf8', timeout: 300000, stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, npm_config_update_notifier: 'false' },
});

test('npm run build in the package, without its prebuilt addon', (t) => {
  const pkg = path.join(workDir(t), 'supermachine-kernel');
  fs.cpSync(PACKAGE, pkg, { recursive: true });
  fs.rmSync(path.join(pkg, 'prebuilds'), { recursive: true });
  const headers = require(path.join(PACKAGE, 'package.json')).devDependencies['node-api-headers'];
  run('npm', ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error',
    `node-api-headers@${headers}`], pkg);
  const log = run('npm', ['run', 'build'], pkg);
  assert.match(log, /built .*build\/supermachine_kernel\.node/);
  const probe = `
    const smk = require('.');
    const path = require('path');
    const dir = path.join(${JSON.stringify(pkg)}, 'out');
    smk.extractAllToSync(dir);
    smk.verifySync(dir);
    console.log(JSON.stringify({ version: smk.version, addon: require.resolve('./build/supermachine_kernel.node') }));
  `;
  const out = JSON.parse(run(process.execPath, ['-e', probe], pkg));
  assert.equal(out.version, require(path.join(PACKAGE, 'package.json')).version);
  assert.ok(!fs.existsSync(path.join(pkg, 'prebuilds')), 'the source build was the one loaded');
});
