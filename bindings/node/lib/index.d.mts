// Types of lib/index.mjs, the ESM entry point: its default export is the
// CommonJS module (everything, the *_BYTES getters too), its named exports
// are everything else.  Re-exported from ../index.d.ts so the types and
// their documentation are written once; this file lives in lib/ because
// the staging script copies lib/ whole.

import smk from '../index.js';

export default smk;

export type {
  Arch,
  ArchOptions,
  PathLike,
  AssetName,
  AssetFileName,
  PayloadErrorCode,
  AssetInfo,
  KernelInfo,
} from '../index.js';

// Not KERNEL_BYTES, INIT_OCI_BYTES, SUPERMACHINE_AGENT_BYTES: a named
// binding is read when the module is linked, and these decode on access.
export {
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
} from '../index.js';
