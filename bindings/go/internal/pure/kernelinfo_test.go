//go:build linux

package pure

import (
	"encoding/binary"
	"testing"
)

func TestKernelHeader(t *testing.T) {
	kernel := payloadNamed(t, "kernel")
	raw := cleanBytes(t, kernel.Name)
	textOffset, imageSize, flags, rc := KernelHeader(kernel)
	wantCode(t, "KernelHeader", rc, 0)
	le := binary.LittleEndian
	if textOffset != le.Uint64(raw[8:]) || imageSize != le.Uint64(raw[16:]) || flags != le.Uint64(raw[24:]) {
		t.Fatalf("header %d %d %d", textOffset, imageSize, flags)
	}
	if imageSize < uint64(kernel.Size) {
		t.Fatalf("image size %d below the file's %d", imageSize, kernel.Size)
	}
	// Not an arm64 Image: init-oci (ELF), or a payload smaller than a
	// header (refused before decoding).
	_, _, _, rc = KernelHeader(payloadNamed(t, "init_oci"))
	wantCode(t, "init-oci", rc, ErrNotImage)
	_, _, _, rc = KernelHeader(variant(kernel, kernel.Data, 63))
	wantCode(t, "63 bytes", rc, ErrNotImage)
	// Damage where the header is decoded from.
	_, _, _, rc = KernelHeader(variant(kernel, kernel.Data[:40], kernel.Size))
	wantCode(t, "cut", rc, ErrCorrupt)
	d := append([]byte(nil), kernel.Data...)
	d[13] ^= 1 // the first block header
	_, _, _, rc = KernelHeader(variant(kernel, d, kernel.Size))
	wantCode(t, "damaged block header", rc, ErrCorrupt)
	_, _, _, rc = KernelHeader(nil)
	wantCode(t, "nil", rc, codeEINVAL)
}
