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
  ARCHS, DEFAULT_ARCH, assetBytes,
} from 'supermachine-kernel';
import type {
  Arch, ArchOptions, AssetFileName, AssetInfo, AssetName, KernelInfo, PathLike, PayloadErrorCode,
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

  // Architectures: every set through an options object, last.
  const archs: readonly Arch[] = ARCHS;
  const host: Arch = DEFAULT_ARCH;
  const other: ArchOptions = { arch: archs[archs.length - 1] };
  const fromNode: ArchOptions = { arch: process.arch };
  for (const opts of [other, fromNode, { arch: 'amd64' }, { arch: null }, {}]) {
    const set: AssetInfo[] = assets(opts);
    const arch: Arch = set[0]!.arch;
    const k: KernelInfo = kernelInfo(opts);
    const format: 'Image' | 'ELF' = k.format;
    console.log(arch, format, k.arch, k.entry + k.pvhEntry + k.loadAddress + k.textOffset);
    const buf: Buffer = assetBytes('kernel', opts);
    const agent: Buffer = assetBytes('supermachine-agent', opts);
    console.log(buf.length + agent.length, defaultDir(opts));
    await extractKernelTo('/tmp/k', opts);
    extractInitOciToWithParentsSync('/tmp/x/init-oci', opts);
    await extractAllTo(dir, opts);
    extractAllToSync(Buffer.from(dir), opts);
    const e1: string = await ensureAssets(opts);
    const e2: string = await ensureAssets(undefined, opts);
    const e3: Buffer = await ensureAssets(Buffer.from(dir), opts);
    const e4: string = ensureAssetsSync(opts);
    const e5: string = ensureAssetsSync(dir, opts);
    console.log(e1, e2, e3, e4, e5);
    await verify(dir, opts);
    verifySync(dir, opts);
    await verifyFile('kernel', `${dir}/kernel`, opts);
    verifyFileSync('init-oci', `${dir}/init-oci`, opts);
  }
  try {
    assets({ arch: 'riscv64' });
  } catch (err) {
    if (err instanceof PayloadError && err.code === 'SMK_ERR_NO_ARCH') console.log(err.arch, host);
  }
}

void main();
