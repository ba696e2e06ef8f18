// @ts-check
// Plain JavaScript: `const smk = require()` gets the declared types (the
// .cts programs' require() would be `any`).  Must compile under checkJs.
'use strict';
const smk = require('supermachine-kernel');
const { extractKernelToSync, PayloadError } = require('supermachine-kernel');

/** @type {number} */
const len = smk.KERNEL_LEN;
/** @type {Buffer} */
const bytes = smk.KERNEL_BYTES;
/** @type {Promise<string>} */
const dir = smk.ensureAssets();

try {
  extractKernelToSync('/tmp/k');
} catch (err) {
  if (err instanceof PayloadError) {
    /** @type {import('supermachine-kernel').PayloadErrorCode} */
    const code = err.code;
    console.log(code, err.asset);
  }
}
console.log(len, bytes.length, dir);
