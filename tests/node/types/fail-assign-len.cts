// The sizes are read-only.
import smk = require('supermachine-kernel');

smk.KERNEL_LEN = 0; // expected: TS2540
