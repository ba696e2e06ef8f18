//go:build linux

package pure

import (
	"bytes"
	"encoding/binary"
)

// The arm64 Image header (Documentation/arch/arm64/booting.rst): 64 bytes,
// little-endian, magic "ARM\x64" at offset 56. core/src/kernel_info.c.
const (
	imageHeaderSize  = 64
	imageMagicOffset = 56
)

var imageMagic = []byte("ARM\x64")

// KernelHeader decodes only the first 64 bytes of the kernel payload and
// returns the fields of its arm64 Image header. rc is 0, ErrNotImage (no
// magic, or shorter than a header), ErrCorrupt or ErrUnsupported. The
// caller caches the result.
func KernelHeader(p *Payload) (textOffset, imageSize, flags uint64, rc int) {
	if p == nil {
		return 0, 0, 0, codeEINVAL
	}
	var h [imageHeaderSize]byte
	rc = decodePrefix(p, h[:])
	if rc == ErrSize {
		return 0, 0, 0, ErrNotImage // shorter than a header
	}
	if rc != 0 {
		return 0, 0, 0, rc
	}
	if !bytes.Equal(h[imageMagicOffset:imageMagicOffset+4], imageMagic) {
		return 0, 0, 0, ErrNotImage
	}
	le := binary.LittleEndian
	return le.Uint64(h[8:]), le.Uint64(h[16:]), le.Uint64(h[24:]), 0
}
