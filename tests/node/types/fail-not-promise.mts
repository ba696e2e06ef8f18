// extractKernelTo() is asynchronous: its result is a Promise, not void.
import { extractKernelTo } from 'supermachine-kernel';

const done: void = extractKernelTo('/tmp/kernel'); // expected: TS2322
console.log(done);
