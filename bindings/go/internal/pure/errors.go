//go:build linux

package pure

import (
	"errors"
	"syscall"
)

// Codes of core/include/supermachine_kernel.h. They lie below -4095, so
// they never collide with a negative errno.
const (
	// ErrCorrupt: an embedded payload is damaged (malformed xz data, a
	// failed block check, a truncated stream). SMK_ERR_CORRUPT.
	ErrCorrupt = -10001
	// ErrSize: a size differs from the recorded one (a decoded payload,
	// or a file being verified). SMK_ERR_SIZE.
	ErrSize = -10002
	// ErrChecksum: a file's bytes differ from the asset's, or the file
	// changed while it was compared. SMK_ERR_CHECKSUM.
	ErrChecksum = -10003
	// ErrMode: a file's permission bits differ from the asset's mode.
	// SMK_ERR_MODE.
	ErrMode = -10004
	// ErrNotRegular: a path that should be an asset is not a regular file
	// (a symlink, a directory, a device...). SMK_ERR_NOT_REGULAR.
	ErrNotRegular = -10005
	// ErrUnsupported: the payload uses an xz feature the decoder does not
	// support. SMK_ERR_UNSUPPORTED.
	ErrUnsupported = -10006
	// ErrNotImage: the kernel payload is neither an arm64 Linux Image
	// nor an ELF vmlinux. SMK_ERR_NOT_IMAGE.
	ErrNotImage = -10007
	// ErrInternal: an internal invariant failed. SMK_ERR_INTERNAL.
	ErrInternal = -10008
	// ErrNoArch: no set embedded for an architecture. SMK_ERR_NO_ARCH
	// (the root package's: this package works on the sets it is given).
	ErrNoArch = -10009
)

// NotAttempted is the per-asset result of ExtractAll, Verify and Ensure
// for an asset that was not looked at because the directory itself failed
// (the same convention as the core's *_each functions).
const NotAttempted = 1

// neg turns an error from golang.org/x/sys/unix into the core's -errno.
func neg(err error) int {
	var e syscall.Errno
	if errors.As(err, &e) {
		return -int(e)
	}
	return -int(syscall.EIO)
}

// Frequently used codes.
var (
	codeENOENT       = -int(syscall.ENOENT)
	codeEINVAL       = -int(syscall.EINVAL)
	codeEISDIR       = -int(syscall.EISDIR)
	codeENOTDIR      = -int(syscall.ENOTDIR)
	codeENAMETOOLONG = -int(syscall.ENAMETOOLONG)
	codeEEXIST       = -int(syscall.EEXIST)
	codeEIO          = -int(syscall.EIO)
	codeERANGE       = -int(syscall.ERANGE)
)
