// An architecture is named by a string, in an options object.
import { kernelInfo } from 'supermachine-kernel';

console.log(kernelInfo({ arch: 64 })); // expected: TS2322
