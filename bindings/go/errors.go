package supermachinekernel

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
)

// Code is one of the core's own error codes (its SMK_ERR_* values), for
// damaged payloads and for files that are not the asset.  [*PayloadError]
// and [*MismatchError] unwrap to one, so errors.Is(err, ErrChecksum) works.
type Code int

// The codes, with the values of the C core's SMK_ERR_* macros.
const (
	ErrCorrupt     Code = -10001 // an embedded payload is damaged: malformed xz, a failed CRC64, truncated
	ErrSize        Code = -10002 // a size differs from the recorded one (a decoded payload, a checked file)
	ErrChecksum    Code = -10003 // a file's content differs from the asset's, or it changed while being read
	ErrMode        Code = -10004 // a file's permission bits differ from the asset's mode
	ErrNotRegular  Code = -10005 // a path that should be an asset is not a regular file (a symlink, a directory...)
	ErrUnsupported Code = -10006 // the payload uses an xz feature the decoder lacks
	ErrNotImage    Code = -10007 // the kernel payload is neither an arm64 Image nor an ELF vmlinux
	ErrInternal    Code = -10008 // an internal invariant failed
	ErrNoArch      Code = -10009 // the build embeds no set for the architecture asked for
)

// The core's names and descriptions (core/src/errors.c), word for word:
// the command-line tools of every language print the same lines.
var codeTexts = map[Code][2]string{
	ErrCorrupt:     {"SMK_ERR_CORRUPT", "embedded payload is corrupt (xz data or integrity check)"},
	ErrSize:        {"SMK_ERR_SIZE", "size differs from the recorded size"},
	ErrChecksum:    {"SMK_ERR_CHECKSUM", "content differs from the asset's"},
	ErrMode:        {"SMK_ERR_MODE", "file mode differs from the asset's"},
	ErrNotRegular:  {"SMK_ERR_NOT_REGULAR", "not a regular file"},
	ErrUnsupported: {"SMK_ERR_UNSUPPORTED", "payload uses an xz feature this liblzma lacks"},
	ErrNotImage:    {"SMK_ERR_NOT_IMAGE", "kernel payload is neither an arm64 Image nor an ELF vmlinux"},
	ErrInternal:    {"SMK_ERR_INTERNAL", "internal error"},
	ErrNoArch:      {"SMK_ERR_NO_ARCH", "no guest set embedded for this architecture"},
}

// Error is the core's description of the code.
func (c Code) Error() string {
	if t, ok := codeTexts[c]; ok {
		return t[1]
	}
	return "unknown error"
}

// Name is the code's symbolic name, "SMK_ERR_CORRUPT"..., or "" if unknown.
func (c Code) Name() string { return codeTexts[c][0] }

// PayloadError reports an embedded payload that cannot be decoded (it
// names the asset, and the file being written or checked when there was
// one), or an architecture the build embeds no set for (code [ErrNoArch],
// naming it).
type PayloadError struct {
	Op    string // "decode", "extract", "verify", "ensure"; "arch" for ErrNoArch
	Asset Asset  // the asset whose payload is damaged (-1 for ErrNoArch)
	Path  string // the file being written or checked, or ""
	Code  Code   // ErrCorrupt, ErrUnsupported, ErrSize, ErrNotImage, ErrInternal, ErrNoArch
	Arch  string // for ErrNoArch: the architecture asked for, as given
}

func (e *PayloadError) Error() string {
	if e.Code == ErrNoArch {
		return fmt.Sprintf("%s %q: %s (this build embeds %s)", e.Op, e.Arch, e.Code.Error(), strings.Join(Archs(), ", "))
	}
	if e.Path != "" {
		return fmt.Sprintf("%s %s: %s payload: %s", e.Op, e.Path, e.Asset, e.Code.Error())
	}
	return fmt.Sprintf("%s: %s payload: %s", e.Op, e.Asset, e.Code.Error())
}

// Unwrap returns the Code.
func (e *PayloadError) Unwrap() error { return e.Code }

// MismatchError reports a file that is not the asset it should be.
type MismatchError struct {
	Asset Asset  // the asset the file should be
	Path  string // the file
	Code  Code   // ErrNotRegular, ErrSize, ErrMode or ErrChecksum
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("verify %s: %s (asset %s)", e.Path, e.Code.Error(), e.Asset)
}

// Unwrap returns the Code.
func (e *MismatchError) Unwrap() error { return e.Code }

// noAsset marks an error that belongs to no asset (a directory's).
const noAsset Asset = -1

// newError turns a core result (0, -errno or SMK_ERR_*) into an error.
func newError(op string, a Asset, path string, rc int) error {
	if rc == 0 {
		return nil
	}
	if rc < 0 && rc > -4096 {
		return &fs.PathError{Op: op, Path: path, Err: syscall.Errno(-rc)}
	}
	code := Code(rc)
	switch code {
	case ErrNotRegular, ErrMode, ErrChecksum:
		return &MismatchError{Asset: a, Path: path, Code: code}
	case ErrSize:
		// A file being checked is shorter or longer; a payload being
		// decoded gave the wrong length.
		if op == "verify" {
			return &MismatchError{Asset: a, Path: path, Code: code}
		}
	}
	return &PayloadError{Op: op, Asset: a, Path: path, Code: code}
}

// dirError turns the per-asset results (in kind order) of a call on dir
// for the set into one error: one per failed asset, joined, or the
// directory's own.
func (s *ArchSet) dirError(op, dir string, results []int, rc int) error {
	if rc == 0 {
		return nil
	}
	var errs []error
	for i, r := range results {
		if r < 0 {
			a := s.Asset(Asset(i))
			errs = append(errs, newError(op, a, assetPath(dir, a), r))
		}
	}
	switch len(errs) {
	case 0:
		return newError(op, noAsset, dir, rc)
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// assetPath is dir joined with the asset's file name as the core joins
// them: one slash between, none added after a trailing one.
func assetPath(dir string, a Asset) string {
	name := assetTable[a].FileName
	if dir == "" || dir[len(dir)-1] == '/' {
		return dir + name
	}
	return dir + "/" + name
}

// checkPath refuses a path the operating system could not be given as it
// is: one holding a NUL byte (a C string would end there and name another
// file), as the os package does.
func checkPath(op, path string) error {
	if strings.IndexByte(path, 0) >= 0 {
		return &fs.PathError{Op: op, Path: path, Err: syscall.EINVAL}
	}
	return nil
}

func errInvalidAsset(a Asset) error {
	return fmt.Errorf("supermachine-kernel: %v is not an asset: %w", a, syscall.EINVAL)
}
