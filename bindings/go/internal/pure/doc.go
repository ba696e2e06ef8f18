//go:build linux

// Package pure is a cgo-free implementation of the supermachine-kernel
// core's file semantics, used by the root package when cgo is off:
// block-parallel xz decoding of the embedded payloads (Bytes), atomic
// extraction (ExtractTo, ExtractToWithParents, ExtractAll), ensure with
// the core's lock and stamp (Ensure, DefaultDir), byte-for-byte
// verification (VerifyFile, Verify) and the kernel's description
// (KernelInfo: an arm64 Image's header, or an ELF vmlinux's load range,
// entry and PVH note, decoding only the xz blocks that hold them).
//
// It mirrors core/src/*.c call for call and returns the same codes: 0, a
// negative errno, or one of the Err* constants (the SMK_ERR_* values), so
// the root package turns them into errors as it does the C core's. It
// shares the core's on-disk protocol — temporary names, O_TMPFILE and
// /proc/self/fd, the writer's flock on each temporary (so that either
// removes the stale temporaries of the other's killed extractions, never
// a live one), the flock on ".supermachine-kernel.lock" and its bounded
// wait, the stamp's format and trust rules — so Go programs with and
// without cgo and the C CLI may work on one directory at the same time.
// Linux only, like the core's file code.
//
// Decoding uses github.com/ulikunitz/xz. This package parses only the xz
// container: the stream's index to hand every block, as a standalone
// stream of its own, to a pool of runtime.GOMAXPROCS workers (so the xz
// package checks each block's header, CRC64 and sizes), and, for
// anything else (several streams, padding, damage), a walk of the
// container as liblzma's stream decoder meets it, so that a sequential
// decode stops where, and with the code that, liblzma's would.
//
// Where it cannot agree with the C core (all with payloads the build
// would not let through, or features our payloads do not use):
//
//   - Filters: the xz package decodes LZMA2 only. A block using delta or
//     BCJ filters, which liblzma decodes, is ErrUnsupported here.
//   - Check IDs: a stream header naming a reserved check ID (2, 3, 5-9,
//     11-15) is ErrUnsupported; liblzma decodes such a stream without
//     verifying its check.
//   - KernelInfo of a payload damaged past the bytes it reads but within
//     the xz data it decodes them from (the first block, or everything up
//     to them when there is no index): the xz package decodes ahead and
//     reports ErrCorrupt, where liblzma has stopped after those bytes and
//     succeeds (or, having read a damaged header, says ErrNotImage).
//   - A path holding a NUL byte, which a C string cannot, is -EINVAL.
//
// testdata/cdecode.c drives core/src/decode.c and kernel_info.c's parser
// with arbitrary data; with SMK_C_DIFF=1, TestDifferentialDecode compares
// both implementations' codes over some 15000 damaged payloads of both
// architectures in every mode (decoding whole, a prefix, a range, and
// describing a kernel, damaged or made up) and finds no difference beyond
// those listed above. With SMK_C_CLI naming the C CLI, the tests also
// check interoperation with it (stamps, concurrent ensure, verify, info).
package pure
