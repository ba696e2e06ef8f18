//go:build cgo && !purego

package supermachinekernel

// The cgo path: the C core, compiled from the core_*.c copies in this
// directory (see README.md), with the payloads pulled in by .incbin from
// payloads/.

/*
#cgo pkg-config: liblzma
#cgo CFLAGS: -std=c99
#cgo LDFLAGS: -pthread
#include <stdlib.h>
#include "supermachine_kernel.h"
*/
import "C"

import (
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

type eachFunc func(*C.int, C.size_t, *C.char) C.int

func each(f eachFunc, dir string) ([]int, int) {
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	var results [len(assetTable)]C.int
	rc := int(f(&results[0], C.size_t(len(results)), cdir))
	out := make([]int, len(results))
	for i, r := range results {
		out[i] = int(r)
	}
	return out, rc
}

func backendExtractAll(dir string) ([]int, int) {
	return each(func(r *C.int, n C.size_t, d *C.char) C.int { return C.smk_extract_all_to_each(r, n, d) }, dir)
}

func backendVerify(dir string) ([]int, int) {
	return each(func(r *C.int, n C.size_t, d *C.char) C.int { return C.smk_verify_each(r, n, d) }, dir)
}

func backendEnsure(dir string) ([]int, int) {
	return each(func(r *C.int, n C.size_t, d *C.char) C.int { return C.smk_ensure_assets_each(r, n, d) }, dir)
}

func backendVerifyFile(a Asset, path string) int {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return int(C.smk_verify_file(C.smk_asset(a), cpath))
}

func backendKernelHeader() (textOffset, imageSize, flags uint64, rc int) {
	var info *C.smk_kernel_info
	if rc := int(C.smk_kernel_get_info(&info)); rc != 0 {
		return 0, 0, 0, rc
	}
	return uint64(info.text_offset), uint64(info.image_size), uint64(info.flags), 0
}

func backendDefaultDir() (string, int) {
	var buf [4096]C.char
	n := int(C.smk_default_dir(&buf[0], C.size_t(len(buf))))
	if n < 0 {
		return "", n
	}
	return C.GoStringN(&buf[0], C.int(n)), 0
}

// cStrerror is the core's description of a code (for tests: the Go texts
// must equal it).
func cStrerror(rc int) string { return C.GoString(C.smk_strerror(C.int(rc))) }
