//go:build linux

package pure

import (
	"bytes"
	"encoding/binary"
)

// What a VMM needs to know of a kernel payload, read from its first bytes,
// as core/src/kernel_info.c:
//   - an arm64 Image (Documentation/arch/arm64/booting.rst): a 64-byte
//     little-endian header with the magic "ARM\x64" at offset 56;
//   - an x86_64 vmlinux: a 64-bit little-endian ELF whose program headers
//     give the load range and whose notes carry the PVH entry point (Xen's
//     XEN_ELFNOTE_PHYS32_ENTRY, type 18, in a "Xen" note).
//
// Only the header, the program headers and the note segment are decoded,
// each from the xz blocks that hold it (decodeRange).
const (
	imageHeaderSize  = 64
	imageMagicOffset = 56

	elfPhdrSize           = 56
	elfMaxPhdrs           = 64
	elfMaxNotes           = 1 << 20
	ptLoad                = 1
	ptNote                = 4
	xenElfnotePhys32Entry = 18
)

var imageMagic = []byte("ARM\x64")

// Kernel is struct smk_kernel_info less what the build recorded (arch and
// release): the fields read from the payload.
type Kernel struct {
	Format      string // "Image" or "ELF"
	TextOffset  uint64 // Image: load offset; ELF: 0
	ImageSize   uint64 // Image: effective size; ELF: span of PT_LOAD in physical memory
	Flags       uint64 // Image: header flags; ELF: 0
	Entry       uint64 // ELF: e_entry; Image: 0
	PVHEntry    uint64 // ELF: the Xen PVH note's entry, or 0; Image: 0
	LoadAddress uint64 // ELF: lowest physical address of a PT_LOAD; Image: 0
}

// KernelInfo reads a kernel payload as smk_kernel_get_info_for does. rc is
// 0, ErrNotImage (neither an arm64 Image nor an acceptable ELF, or
// shorter than a header), ErrCorrupt, ErrUnsupported, ErrSize or
// -ENOMEM. The caller caches the result.
func KernelInfo(p *Payload) (Kernel, int) {
	if p == nil {
		return Kernel{}, codeEINVAL
	}
	var h [imageHeaderSize]byte
	rc := decodePrefix(p, h[:])
	if rc == ErrSize {
		return Kernel{}, ErrNotImage // shorter than a header
	}
	if rc != 0 {
		return Kernel{}, rc
	}
	le := binary.LittleEndian
	switch {
	case bytes.Equal(h[imageMagicOffset:imageMagicOffset+4], imageMagic):
		return Kernel{Format: "Image", TextOffset: le.Uint64(h[8:]), ImageSize: le.Uint64(h[16:]), Flags: le.Uint64(h[24:])}, 0
	case string(h[:4]) == "\x7fELF":
		return parseELF(p, h[:])
	}
	return Kernel{}, ErrNotImage
}

func parseELF(p *Payload, h []byte) (Kernel, int) {
	le := binary.LittleEndian
	size := uint64(p.Size)
	phoff, entsize, phnum := le.Uint64(h[32:]), uint64(le.Uint16(h[54:])), uint64(le.Uint16(h[56:]))
	// 64-bit (class 2), little-endian (data 1), version 1.
	if h[4] != 2 || h[5] != 1 || h[6] != 1 || entsize != elfPhdrSize || phnum == 0 || phnum > elfMaxPhdrs ||
		phoff > size || phnum*elfPhdrSize > size-phoff {
		return Kernel{}, ErrNotImage
	}
	phdrs := make([]byte, phnum*elfPhdrSize)
	if rc := decodeRange(p, phoff, phdrs); rc != 0 {
		return Kernel{}, rc
	}
	k := Kernel{Format: "ELF", Entry: le.Uint64(h[24:])}
	low, high := ^uint64(0), uint64(0)
	for i := uint64(0); i < phnum; i++ {
		ph := phdrs[i*elfPhdrSize:]
		typ, offset := le.Uint32(ph), le.Uint64(ph[8:])
		paddr, filesz, memsz := le.Uint64(ph[24:]), le.Uint64(ph[32:]), le.Uint64(ph[40:])
		switch {
		case typ == ptLoad && memsz > 0:
			low = min(low, paddr)
			high = max(high, paddr+memsz)
		case typ == ptNote && k.PVHEntry == 0 && filesz > 0 && filesz <= elfMaxNotes &&
			offset <= size && filesz <= size-offset:
			notes := make([]byte, filesz)
			if rc := decodeRange(p, offset, notes); rc != 0 {
				return Kernel{}, rc
			}
			k.PVHEntry = pvhEntryOf(notes)
		}
	}
	if low == ^uint64(0) {
		return Kernel{}, ErrNotImage // nothing to load
	}
	k.LoadAddress, k.ImageSize = low, high-low
	return k, 0
}

// pvhEntryOf is the PVH entry among the notes, or 0 (pvh_entry_of).
func pvhEntryOf(notes []byte) uint64 {
	le := binary.LittleEndian
	n := uint64(len(notes))
	for pos := uint64(0); n-pos >= 12; {
		namesz := uint64(le.Uint32(notes[pos:]))
		descsz := uint64(le.Uint32(notes[pos+4:]))
		typ := le.Uint32(notes[pos+8:])
		nameEnd := 12 + (namesz+3)&^3
		next := nameEnd + (descsz+3)&^3
		if next > n-pos {
			break
		}
		if namesz == 4 && string(notes[pos+12:pos+16]) == "Xen\x00" && typ == xenElfnotePhys32Entry {
			switch descsz {
			case 4:
				return uint64(le.Uint32(notes[pos+nameEnd:]))
			case 8:
				return le.Uint64(notes[pos+nameEnd:])
			}
		}
		pos += next
	}
	return 0
}
