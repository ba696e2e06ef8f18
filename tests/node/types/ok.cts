// CommonJS use of the package from TypeScript: `import = require()`, a
// default import (esModuleInterop) and named imports.  Must compile.
import smk = require('supermachine-kernel');
import smkDefault from 'supermachine-kernel';
import { KERNEL_BYTES, extractKernelTo, PayloadError } from 'supermachine-kernel';
import type { AssetName, PayloadErrorCode } from 'supermachine-kernel';

// The same object three ways, *_BYTES included (getters on module.exports).
const lens: number = smk.KERNEL_LEN + smkDefault.INIT_OCI_LEN + smk.SUPERMACHINE_AGENT_LEN;
const bytes: Buffer[] = [KERNEL_BYTES, smk.INIT_OCI_BYTES, smkDefault.SUPERMACHINE_AGENT_BYTES];

async function main(): Promise<void> {
  const done: Promise<void> = extractKernelTo(new URL('file:///tmp/k'));
  await done;
  await smk.extractAllTo(Buffer.from('/tmp/smk'));
  const dir: Buffer = smk.ensureAssetsSync(Buffer.from('/tmp/smk'));
  try {
    smk.verifySync(dir);
  } catch (err) {
    if (err instanceof PayloadError && err.code !== 'SMK_ERR_INTERNAL') {
      const code: PayloadErrorCode = err.code;
      const asset: AssetName | undefined = err.asset;
      console.log(code, asset, err.errno, err.path);
    }
  }
  const info: smk.AssetInfo = smk.assets()[0]!;
  const kernel: smk.KernelInfo = smk.kernelInfo();
  console.log(lens, bytes.length, info.name, kernel.release, smk.version, smk.defaultDir());
  const arch: smk.Arch = smk.DEFAULT_ARCH;
  const other: smk.ArchOptions = { arch: smk.ARCHS[smk.ARCHS.length - 1] };
  const x86: Buffer = smk.assetBytes('kernel', { arch: 'x86_64' });
  await smk.extractAllTo('/tmp/smk', other);
  console.log(arch, x86.length, smk.kernelInfo(other).pvhEntry, smk.assets(other)[0]!.arch);
}

void main();
