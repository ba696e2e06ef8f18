'use strict';
// The core's codes as JavaScript errors.
//
// A negative errno becomes an Error shaped like those of fs: `errno` (the
// negative code, as libuv's), `code` ('ENOENT'), `syscall`, `path`, and the
// message "ENOENT: no such file or directory, open 'x/kernel'", in libuv's
// words (util.getSystemErrorMap()).  The core reports a code, not the call
// that failed, so `syscall` names the step of the operation that yields
// that code: 'open' for the errors of opening or creating a file (the
// destination's directory, the temporary, the file verified), 'write' or
// 'read' for the others, 'mkdir' when a directory of ensureAssets() or
// extractAllTo() itself failed.
//
// An SMK_ERR_* code becomes a PayloadError: the embedded payload is damaged
// (SMK_ERR_CORRUPT, SMK_ERR_UNSUPPORTED, SMK_ERR_NOT_IMAGE) or a file does
// not hold the asset (SMK_ERR_SIZE, SMK_ERR_MODE, SMK_ERR_NOT_REGULAR,
// SMK_ERR_CHECKSUM); it names the asset (and its architecture, `arch`: in
// the message too when it is not the default one), and the path when one
// is concerned.  An architecture the package embeds no set for is a
// PayloadError SMK_ERR_NO_ARCH too, naming it.

const native = require('./native');
const { shown } = require('./paths');

// Errors that opening a path (or creating a file in a directory) produces.
const OPEN_ERRORS = new Set([
  'ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EISDIR', 'ELOOP', 'ENAMETOOLONG',
  'EROFS', 'EMFILE', 'ENFILE', 'EEXIST', 'ENXIO', 'ETXTBSY', 'EINVAL',
]);

let systemErrors; // util.getSystemErrorMap(), built on the first error

function describeErrno(errno) {
  if (!systemErrors) systemErrors = require('util').getSystemErrorMap();
  const known = systemErrors.get(errno);
  if (known) return known;
  return [native.errorName(errno) || `E${-errno}`, native.strerror(errno).toLowerCase()];
}

class PayloadError extends Error {
  constructor(errno, asset, path, arch) {
    const code = native.errorName(errno) || 'SMK_ERR_INTERNAL';
    let message = `${code}: ${native.strerror(errno)}`;
    if (asset !== undefined) {
      message += `, asset '${asset}'`;
      if (arch !== undefined && arch !== native.defaultArch) message += ` (${arch})`;
    }
    if (path !== undefined) message += `, '${shown(path)}'`;
    super(message);
    this.errno = errno;
    this.code = code;
    if (asset !== undefined) this.asset = asset;
    if (arch !== undefined) this.arch = arch;
    if (path !== undefined) this.path = shown(path);
  }
}
Object.defineProperty(PayloadError.prototype, 'name', {
  value: 'PayloadError', writable: true, configurable: true,
});

/** Whether a code is a negative errno (else an SMK_ERR_* code). */
function isErrno(code) {
  return code < 0 && code > -4096;
}

/**
 * The error of a failed step.  `step` is 'write' (extraction), 'read'
 * (verification) or 'mkdir' (a directory of the operation); `asset` is
 * the asset's name when one is concerned, `arch` its architecture.
 */
function fromCode(errno, step, path, asset, arch) {
  if (!isErrno(errno)) return new PayloadError(errno, asset, path, arch);
  const [code, description] = describeErrno(errno);
  const syscall = step !== 'mkdir' && OPEN_ERRORS.has(code) ? 'open' : step;
  const where = shown(path);
  const err = new Error(`${code}: ${description}, ${syscall} '${where}'`);
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  err.path = where;
  return err;
}

const SMK_ERR_NO_ARCH = -10009;

/** The error for an architecture with no set here: `arch` is the name as given. */
function noArchError(arch, archs) {
  const err = new PayloadError(SMK_ERR_NO_ARCH);
  err.message = `${err.message}: ${require('util').inspect(arch)} (embedded: ${archs.join(', ')})`;
  err.arch = arch;
  return err;
}

module.exports = { PayloadError, fromCode, isErrno, noArchError };
