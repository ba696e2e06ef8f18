// A path is a string, a Buffer or a URL; a number is none.
import { extractKernelTo } from 'supermachine-kernel';

await extractKernelTo(42); // expected: TS2345
