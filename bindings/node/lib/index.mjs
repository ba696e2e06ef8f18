// The ESM entry point: the CommonJS module, one instance for both.
//
// Named exports are everything but KERNEL_BYTES, INIT_OCI_BYTES and
// SUPERMACHINE_AGENT_BYTES: an ESM binding is evaluated at import, and
// these decode on first access.  Reach them through the default export
// (`import smk from 'supermachine-kernel'; smk.KERNEL_BYTES`).
//
// Loaded with require() rather than `import`: importing CommonJS makes
// Node parse it for export names first, a few milliseconds of the import
// cost for nothing (the names are listed here).
import { createRequire } from 'node:module';

const smk = createRequire(import.meta.url)('./index.js');

export default smk;
export const {
  KERNEL_LEN,
  INIT_OCI_LEN,
  SUPERMACHINE_AGENT_LEN,
  extractKernelTo,
  extractKernelToSync,
  extractKernelToWithParents,
  extractKernelToWithParentsSync,
  extractInitOciTo,
  extractInitOciToSync,
  extractInitOciToWithParents,
  extractInitOciToWithParentsSync,
  extractSupermachineAgentTo,
  extractSupermachineAgentToSync,
  extractSupermachineAgentToWithParents,
  extractSupermachineAgentToWithParentsSync,
  extractTo,
  extractToSync,
  extractToWithParents,
  extractToWithParentsSync,
  extractAllTo,
  extractAllToSync,
  version,
  ARCHS,
  DEFAULT_ARCH,
  PayloadError,
  assets,
  assetBytes,
  kernelInfo,
  defaultDir,
  ensureAssets,
  ensureAssetsSync,
  verify,
  verifySync,
  verifyFile,
  verifyFileSync,
} = smk;
