// The architecture goes in an options object, not as a bare string.
import { assets } from 'supermachine-kernel';

console.log(assets('x86_64')); // expected: TS2559
