// Package supermachinekernel carries the guest side of a microVM — a Linux
// kernel Image, the init-oci PID 1 and the supermachine-agent — inside the
// Go module, compressed with xz, and writes them out on demand.  A Go
// control plane gets all three with `go get` and no download.
//
// Nothing is decoded when the package is loaded.  The lengths are
// constants ([KernelLen], ...); the bytes are decoded on first use
// ([KernelBytes]); the extractors ([ExtractKernelTo], ...) write a file
// atomically: a crash, a full disk or a concurrent extractor never leaves
// a partial file at the destination, and a symlink there is replaced, not
// written through.  [EnsureAssets] keeps a directory (by default a
// per-version cache directory) holding all three and is nearly free when it
// already does; [Verify] compares every byte.
//
// # Two implementations, one behaviour
//
// With cgo (the default, and the fast path) the package compiles a copy of
// the project's C core (it needs a C compiler and liblzma's development
// files, found through pkg-config).  With CGO_ENABLED=0 (or the build tag
// purego) it embeds the same
// .xz payloads with go:embed and decodes them with
// github.com/ulikunitz/xz, in parallel across xz blocks, every block's
// CRC64 checked.  Both give the same bytes, the same errors and the same
// files, and share the on-disk protocol of [EnsureAssets] (lock and stamp
// files) with the C library and every other binding.
//
// # Errors
//
// Failures of the operating system are [*fs.PathError] values wrapping a
// [syscall.Errno], with the path that failed: errors.Is(err,
// fs.ErrNotExist) and errors.Is(err, syscall.ENOSPC) work.  A damaged
// embedded payload is a [*PayloadError]; a file that [Verify] or
// [VerifyFile] finds is not the asset is a [*MismatchError].  Both unwrap
// to a [Code] such as [ErrCorrupt] or [ErrChecksum].  A call on a
// directory that fails for several assets returns one error per asset,
// joined with [errors.Join].
package supermachinekernel

//go:generate go run ./internal/gen
