// The *_BYTES getters are not named ESM exports (only the default export has them).
import { KERNEL_BYTES } from 'supermachine-kernel'; // expected: TS2614

console.log(KERNEL_BYTES.length);
