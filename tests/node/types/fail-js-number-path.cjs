// @ts-check
// JavaScript's `require()` gets the types too (not `any`): a number is no path.
'use strict';
const smk = require('supermachine-kernel');

smk.extractKernelToSync(42); // expected: TS2345
