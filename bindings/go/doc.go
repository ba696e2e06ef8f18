// Package supermachinekernel carries the guest side of a microVM — a Linux
// kernel, the init-oci PID 1 and the supermachine-agent, for aarch64 and
// x86_64 guests — inside the Go module, compressed with xz, and writes
// them out on demand.  A Go control plane gets them with `go get` and no
// download.
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
// # Architectures
//
// Under KVM a guest must match its host, so the package holds one set per
// guest architecture: for aarch64 an arm64 Image (QEMU -M virt, Cloud
// Hypervisor, Firecracker), for x86_64 a stripped PVH vmlinux (an ELF that
// Firecracker, Cloud Hypervisor and QEMU's -kernel boot directly), each
// with its own init-oci and agent.  The names without an architecture
// ([KernelBytes], [KernelLen], [ExtractKernelTo], [EnsureAssets],
// [Assets], [KernelInfo]...) are the set of the default architecture,
// [DefaultArch]: GOARCH's (x86_64 for amd64, aarch64 for arm64) when the
// build embeds it, else the first embedded.  [Archs] lists the embedded
// ones, and [ForArch] ("aarch64", "x86_64", or "arm64", "amd64", "x64")
// gives an [ArchSet] with the same operations on any of them; its
// [ArchSet.ExtractAllTo] and [ArchSet.EnsureAssets] write the plain file
// names, the latter by default into "<DefaultDir>/<arch>" for an
// architecture other than the default.  [KernelInfo] reads an Image's
// header or a vmlinux's entry, PVH entry and load range.
//
// # Choosing the embedded sets: build tags
//
// By default a build embeds every set (about 3.3 MiB of xz each), so that
// cross-architecture work — bundles for arm64 machines built on x86_64,
// emulated tests — needs nothing more.  Build tags embed fewer:
//
//	-tags smk_goarch               only GOARCH's set (amd64: x86_64, arm64: aarch64)
//	-tags smk_x86_64               only the x86_64 set
//	-tags smk_aarch64              only the aarch64 set
//	-tags smk_goarch,smk_aarch64   GOARCH's set and aarch64's
//
// smk_goarch on a GOARCH that has no set (riscv64...) alone embeds nothing
// and stops the build with a message naming the tags to add.  A set left
// out is absent from [Archs], and [ForArch] refuses it with [ErrNoArch].
//
// The tags work alike with and without cgo, and must: the generator
// (internal/gen) writes each condition once and renders it twice, as the
// build constraints of the Go files (one archs_*_gen.go per combination,
// with the default architecture and the length constants, and the
// embed_<arch>_gen.go files of the pure-Go build) and as the constraints
// of cgo_archs_gen.go's #cgo CFLAGS lines, which define
// SMK_GO_EMBED_<ARCH> for each set kept.  smk_payloads.h lists in the C
// core's table only the sets so defined, so the core embeds (by .incbin)
// and numbers exactly the sets the Go table has, and an [Asset] value
// means the same asset on both sides of cgo.  (A CFLAGS define rather than
// a generated header per combination because a cgo build compiles one
// copy of the C files for the package: the flags are what the build tags
// can vary.)
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
// joined with [errors.Join].  An architecture with no embedded set is a
// [*PayloadError] with [ErrNoArch] naming it.
package supermachinekernel

//go:generate go run ./internal/gen
