'use strict';
// Path arguments, accepted as fs accepts them: a string, a Buffer (or
// Uint8Array) of raw bytes, or a file: URL; rejected with the same
// TypeErrors (code ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE).

const { fileURLToPath } = require('url');

function typeError(code, message) {
  const err = new TypeError(message);
  err.code = code;
  return err;
}

function received(value) {
  if (value === null || value === undefined) return `Received ${value}`;
  if (typeof value === 'function') return `Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = value.constructor && value.constructor.name;
    return name ? `Received an instance of ${name}` : 'Received an object';
  }
  let shown = require('util').inspect(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `Received type ${typeof value} (${shown})`;
}

function isURL(value) {
  return value != null && typeof value === 'object' && typeof value.href === 'string' &&
    typeof value.protocol === 'string';
}

/**
 * The path for the addon: a string or a Buffer, checked for NUL bytes.
 * `name` is the argument's name in error messages.
 */
function toPath(value, name = 'path') {
  if (isURL(value)) value = fileURLToPath(value);
  if (typeof value === 'string') {
    if (value.includes('\0')) {
      throw typeError('ERR_INVALID_ARG_VALUE',
        `The argument '${name}' must be a string, Uint8Array, or URL without null bytes. ` +
          `Received ${require('util').inspect(value)}`);
    }
    return value;
  }
  if (value instanceof Uint8Array) {
    if (value.includes(0)) {
      throw typeError('ERR_INVALID_ARG_VALUE',
        `The argument '${name}' must be a string, Uint8Array, or URL without null bytes. ` +
          `Received ${require('util').inspect(value)}`);
    }
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
  }
  throw typeError('ERR_INVALID_ARG_TYPE',
    `The "${name}" argument must be of type string or an instance of Buffer or URL. ${received(value)}`);
}

/** The path as error messages and err.path show it (a string, as fs). */
function shown(p) {
  return typeof p === 'string' ? p : p.toString();
}

/** dir joined with a file name, in the type of dir, one slash between. */
function join(dir, name) {
  if (typeof dir === 'string') return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
  const sep = dir.length && dir[dir.length - 1] === 0x2f ? '' : '/';
  return Buffer.concat([dir, Buffer.from(sep + name)]);
}

module.exports = { toPath, shown, join, isURL, received, typeError };
