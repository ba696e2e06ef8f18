// module.exports has no `default` property (a default import is module.exports itself).
import smk = require('supermachine-kernel');

console.log(smk.default); // expected: TS2339
