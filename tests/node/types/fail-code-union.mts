// A PayloadError's code is an SMK_ERR_* name, never a system error's.
import { PayloadError, verify } from 'supermachine-kernel';

try {
  await verify('/tmp/smk');
} catch (err) {
  if (err instanceof PayloadError && err.code === 'ENOENT') console.log(err); // expected: TS2367
}
