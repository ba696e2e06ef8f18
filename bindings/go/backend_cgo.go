//go:build cgo && !purego

package supermachinekernel

// The cgo path: the C core, compiled from the core_*.c copies in this
// directory (see README.md), with the payloads pulled in by .incbin from
// payloads/; cgo_archs_gen.go tells smk_payloads.h which sets to embed.
// The Asset values are the core's smk_asset values (both number the sets
// the same way: TestTablesAreTheCores).

/*
#cgo pkg-config: liblzma
#cgo CFLAGS: -std=c99
#cgo LDFLAGS: -pthread
#include <stdlib.h>
#include "supermachine_kernel.h"
*/
import "C"

import (
	"io/fs"
	"unsafe"
)

func backendBytes(a Asset) ([]byte, int) {
	var data *C.uchar
	var n C.size_t
	rc := int(C.smk_asset_bytes(&data, &n, C.smk_asset(a)))
	if rc != 0 {
		return nil, rc
	}
	if n == 0 {
		return []byte{}, 0
	}
	// Memory the core mapped read-only for the life of the process.
	return unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n)), 0
}

func backendExtract(a Asset, dest string, parents bool) int {
	cdest := C.CString(dest)
	defer C.free(unsafe.Pointer(cdest))
	if parents {
		return int(C.smk_asset_extract_to_with_parents(C.smk_asset(a), cdest))
	}
	return int(C.smk_asset_extract_to(C.smk_asset(a), cdest))
}

// cArchNames are the embedded architectures' names as C strings, by slot
// (made once, never freed).
var cArchNames = func() (names [archCount]*C.char) {
	for slot := range names {
		names[slot] = C.CString(archOfSlot(slot).name)
	}
	return names
}()

type setFunc func(*C.char, *C.int, C.size_t, *C.char) C.int

func eachOfSet(f setFunc, slot int, dir string) ([]int, int) {
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	var results [kindCount]C.int
	rc := int(f(cArchNames[slot], &results[0], C.size_t(len(results)), cdir))
	out := make([]int, len(results))
	for i, r := range results {
		out[i] = int(r)
	}
	return out, rc
}

func backendExtractSet(slot int, dir string) ([]int, int) {
	return eachOfSet(func(a *C.char, r *C.int, n C.size_t, d *C.char) C.int { return C.smk_extract_set_to(a, r, n, d) }, slot, dir)
}

func backendVerifySet(slot int, dir string) ([]int, int) {
	return eachOfSet(func(a *C.char, r *C.int, n C.size_t, d *C.char) C.int { return C.smk_verify_set(a, r, n, d) }, slot, dir)
}

func backendEnsureSet(slot int, dir string) ([]int, int) {
	return eachOfSet(func(a *C.char, r *C.int, n C.size_t, d *C.char) C.int { return C.smk_ensure_set(a, r, n, d) }, slot, dir)
}

func backendVerifyFile(a Asset, path string) int {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return int(C.smk_verify_file(C.smk_asset(a), cpath))
}

func backendKernelInfo(slot int) (KernelImageInfo, int) {
	var info *C.smk_kernel_info
	if rc := int(C.smk_kernel_get_info_for(cArchNames[slot], &info)); rc != 0 {
		return KernelImageInfo{}, rc
	}
	return KernelImageInfo{
		TextOffset:  uint64(info.text_offset),
		ImageSize:   uint64(info.image_size),
		Flags:       uint64(info.flags),
		Release:     C.GoString(info.release),
		Arch:        C.GoString(info.arch),
		Format:      C.GoString(info.format),
		Entry:       uint64(info.entry),
		PVHEntry:    uint64(info.pvh_entry),
		LoadAddress: uint64(info.load_address),
	}, 0
}

func backendDefaultDir(slot int) (string, int) {
	var buf [4096]C.char
	n := int(C.smk_default_dir_for(cArchNames[slot], &buf[0], C.size_t(len(buf))))
	if n < 0 {
		return "", n
	}
	return C.GoStringN(&buf[0], C.int(n)), 0
}

// cStrerror is the core's description of a code (for tests: the Go texts
// must equal it).
func cStrerror(rc int) string { return C.GoString(C.smk_strerror(C.int(rc))) }

// cArchs is the core's list of embedded architectures, smk_arch_name's
// order, and its total of assets (for tests: the Go table must be the
// core's).
func cArchs() ([]string, int) {
	var out []string
	for i := 0; i < int(C.smk_arch_count()); i++ {
		out = append(out, C.GoString(C.smk_arch_name(C.size_t(i))))
	}
	return out, int(C.smk_asset_total())
}

// cAssetInfo is the core's description of an asset value (for tests).
func cAssetInfo(a Asset) (AssetInfo, bool) {
	i := C.smk_asset_get_info(C.smk_asset(a))
	if i == nil {
		return AssetInfo{}, false
	}
	return AssetInfo{
		Name: C.GoString(i.name), FileName: C.GoString(i.file_name), Arch: C.GoString(i.arch),
		SHA256: C.GoString(i.sha256), Size: uint64(i.size), Mode: fs.FileMode(i.mode),
		Compressed: i.compressed != 0, EmbeddedSize: uint64(i.embedded_size),
	}, true
}
