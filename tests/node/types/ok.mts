// ESM use of the package: the default export (everything) and the named
// exports (everything but the *_BYTES getters).  Must compile.
import smk, {
  KERNEL_LEN, INIT_OCI_LEN, SUPERMACHINE_AGENT_LEN,
  extractKernelTo, extractKernelToSync, extractKernelToWithParents, extractKernelToWithParentsSync,
  extractInitOciTo, extractInitOciToSync, extractInitOciToWithParents, extractInitOciToWithParentsSync,
  extractSupermachineAgentTo, extractSupermachineAgentToSync,
  extractSupermachineAgentToWithParents, extractSupermachineAgentToWithParentsSync,
  extractTo, extractToSync, extractToWithParents, extractToWithParentsSync,
  extractAllTo, extractAllToSync, version, PayloadError, assets, kernelInfo, defaultDir,
  ensureAssets, ensureAssetsSync, verify, verifySync, verifyFile, verifyFileSync,
} from 'supermachine-kernel';
import type {
  AssetFileName, AssetInfo, AssetName, KernelInfo, PathLike, PayloadErrorCode,
} from 'supermachine-kernel';
import { pathToFileURL } from 'node:url';

const sizes: number[] = [KERNEL_LEN, INIT_OCI_LEN, SUPERMACHINE_AGENT_LEN];
// The getters, through the default export; copied before changing.
const bytes: Buffer[] = [smk.KERNEL_BYTES, smk.INIT_OCI_BYTES, smk.SUPERMACHINE_AGENT_BYTES];
const copy = Buffer.from(smk.KERNEL_BYTES);
copy[0] = 0;
const same: number = smk.KERNEL_LEN + sizes.length + bytes.length;

const paths: PathLike[] = ['/tmp/k', Buffer.from('/tmp/k'), pathToFileURL('/tmp/k')];
const dir = '/tmp/smk';

async function main(): Promise<void> {
  for (const p of paths) {
    await extractKernelTo(p);
    await extractKernelToWithParents(p);
    await extractInitOciTo(p);
    await extractInitOciToWithParents(p);
    await extractSupermachineAgentTo(p);
    await extractSupermachineAgentToWithParents(p);
    await extractTo(p);
    await extractToWithParents(p);
    extractKernelToSync(p);
    extractKernelToWithParentsSync(p);
    extractInitOciToSync(p);
    extractInitOciToWithParentsSync(p);
    extractSupermachineAgentToSync(p);
    extractSupermachineAgentToWithParentsSync(p);
    extractToSync(p);
    extractToWithParentsSync(p);
  }
  await extractAllTo(dir);
  extractAllToSync(pathToFileURL(dir));

  // ensureAssets gives the directory back in the type it was given.
  const fromDefault: string = await ensureAssets();
  const fromString: string = await ensureAssets(dir);
  const fromUrl: string = await ensureAssets(new URL('file:///tmp/smk'));
  const fromBuffer: Buffer = await ensureAssets(Buffer.from(dir));
  const fromEither: string | Buffer = await ensureAssets(paths[0]);
  const syncDir: string = ensureAssetsSync();
  const syncBuffer: Buffer = ensureAssetsSync(Buffer.from(dir));
  console.log(fromDefault, fromString, fromUrl, fromBuffer, fromEither, syncDir, syncBuffer);

  await verify(dir);
  verifySync(Buffer.from(dir));
  const names: Array<AssetName | AssetFileName> = ['kernel', 'init_oci', 'init-oci', 'supermachine_agent', 'supermachine-agent'];
  for (const name of names) {
    await verifyFile(name, `${dir}/${name}`);
    verifyFileSync(name, `${dir}/${name}`);
  }

  try {
    await verifyFile('kernel', '/tmp/k');
  } catch (err) {
    if (err instanceof PayloadError) {
      const code: PayloadErrorCode = err.code;
      if (err.code === 'SMK_ERR_CHECKSUM') console.log(err.errno, err.asset, err.path?.length);
      console.log(code, err.message, err.name, err.stack);
    } else {
      // A system error, shaped as those of fs.
      const e = err as NodeJS.ErrnoException;
      console.log(e.code, e.errno, e.syscall, e.path);
    }
  }

  const info: AssetInfo[] = assets();
  const first: AssetName = info[0]!.name;
  const file: AssetFileName = info[0]!.fileName;
  const kernel: KernelInfo = kernelInfo();
  const home: string = defaultDir();
  const v: string = version;
  console.log(same, first, file, kernel.textOffset + kernel.imageSize + kernel.flags, kernel.release, home, v);
  for (const a of info) console.log(a.arch, a.sha256, a.size, a.mode, a.compressed, a.embeddedSize);
}

void main();
