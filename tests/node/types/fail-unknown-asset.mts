// verifyFile() knows the assets by name and file name only.
import { verifyFile } from 'supermachine-kernel';

await verifyFile('initrd', '/tmp/initrd'); // expected: TS2345
