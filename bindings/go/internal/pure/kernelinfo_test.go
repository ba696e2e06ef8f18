//go:build linux

package pure

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"testing"

	"github.com/ulikunitz/xz"
)

// fromBytes reads a kernel with the standard library, as a VMM would:
// the arm64 Image header, or the ELF's program headers and PVH note.
func fromBytes(t testing.TB, b []byte) Kernel {
	t.Helper()
	le := binary.LittleEndian
	if string(b[56:60]) == "ARM\x64" {
		return Kernel{Format: "Image", TextOffset: le.Uint64(b[8:]), ImageSize: le.Uint64(b[16:]), Flags: le.Uint64(b[24:])}
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	k := Kernel{Format: "ELF", Entry: f.Entry}
	low, high := ^uint64(0), uint64(0)
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Memsz > 0 {
			low, high = min(low, p.Paddr), max(high, p.Paddr+p.Memsz)
		}
		if p.Type == elf.PT_NOTE && k.PVHEntry == 0 {
			notes, err := io.ReadAll(p.Open())
			if err != nil {
				t.Fatal(err)
			}
			for len(notes) >= 12 {
				namesz, descsz, typ := le.Uint32(notes), le.Uint32(notes[4:]), le.Uint32(notes[8:])
				desc := notes[12+(namesz+3)&^3:][:descsz]
				if string(notes[12:12+namesz]) == "Xen\x00" && typ == 18 {
					k.PVHEntry = uint64(le.Uint32(desc))
				}
				notes = notes[12+(namesz+3)&^3+(descsz+3)&^3:]
			}
		}
	}
	k.LoadAddress, k.ImageSize = low, high-low
	return k
}

// Every architecture's kernel, and the x86_64 one's PVH entry.
func TestKernelInfoOfEveryArch(t *testing.T) {
	for _, arch := range testArchs(t) {
		kernel := archPayloadNamed(t, arch, "kernel")
		k, rc := KernelInfo(kernel)
		wantCode(t, arch, rc, 0)
		if want := fromBytes(t, cleanBytesOf(t, kernel)); k != want {
			t.Errorf("%s: %+v, from the bytes %+v", arch, k, want)
		}
		if k.Format == "Image" && k.ImageSize < uint64(kernel.Size) {
			t.Errorf("%s: image size %d below the file's %d", arch, k.ImageSize, kernel.Size)
		}
		if arch == "x86_64" && (k.Format != "ELF" || k.PVHEntry == 0) {
			t.Errorf("x86_64: %+v: not a PVH vmlinux", k)
		}
	}
}

// Only the blocks that hold the headers and the notes are decoded: damage
// elsewhere goes unseen, damage there is reported.
func TestKernelInfoDecodesOnlyWhatItReads(t *testing.T) {
	for _, arch := range testArchs(t) {
		kernel := archPayloadNamed(t, arch, "kernel")
		want, rc := KernelInfo(kernel)
		wantCode(t, arch, rc, 0)
		var items []item
		planBlocks(&target{p: kernel}, &items)
		// An Image's header is a prefix: the decoder stops after it, so
		// damage later in the first block may go unseen (and the xz
		// package's look-ahead may see it: doc.go); a vmlinux's program
		// headers are read from the whole first block, its check verified.
		needed := map[int]bool{}
		raw := cleanBytesOf(t, kernel)
		if want.Format == "ELF" {
			needed[0] = true
			f, err := elf.NewFile(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_NOTE {
					for i, it := range items {
						if it.outOff < int64(p.Off+p.Filesz) && int64(p.Off) < it.outOff+it.outSize {
							needed[i] = true
						}
					}
				}
			}
		}
		base := int64(streamHeaderSize)
		for i, it := range items {
			d := append([]byte(nil), kernel.Data...)
			d[base+int64(len(it.block))/2] ^= 0x55
			base += int64(len(it.block))
			got, rc := KernelInfo(variant(kernel, d, kernel.Size))
			switch {
			case i == 0 && !needed[i]:
			case needed[i] && rc != ErrCorrupt:
				t.Errorf("%s: damage in block %d (read): %s", arch, i, codeName(rc))
			case !needed[i] && (rc != 0 || got != want):
				t.Errorf("%s: damage in block %d (not read): %s %+v", arch, i, codeName(rc), got)
			}
		}
	}
}

// xzPayload compresses raw into a payload of blocks of blockSize bytes,
// with the xz package's encoder (LZMA2, CRC64).
func xzPayload(t testing.TB, raw []byte, blockSize int64) *Payload {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.WriterConfig{BlockSize: blockSize, CheckSum: xz.CRC64}.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &Payload{Name: "kernel", FileName: "kernel", Mode: 0644, Size: int64(len(raw)), Data: b.Bytes()}
}

// An ELF to describe: its header fields, program headers, and the notes
// placed at notesOff.
type elfSpec struct {
	class, data, version byte
	entsize, phnum       int // phnum -1: len(phdrs)
	phoff                uint64
	entry                uint64
	phdrs                []phdr
	size                 int // total file size (at least what the parts need)
}

type phdr struct {
	typ                          uint32
	offset, paddr, filesz, memsz uint64
	content                      []byte // written at offset when it fits
}

// note is an ELF note of that name (NUL added), type and descriptor.
func note(name string, typ uint32, desc []byte) []byte {
	le := binary.LittleEndian
	n := append([]byte(name), 0)
	b := make([]byte, 12, 12+len(n)+len(desc)+6)
	le.PutUint32(b, uint32(len(n)))
	le.PutUint32(b[4:], uint32(len(desc)))
	le.PutUint32(b[8:], typ)
	b = append(b, n...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, desc...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func (s elfSpec) bytes() []byte {
	le := binary.LittleEndian
	phnum := s.phnum
	if phnum < 0 {
		phnum = len(s.phdrs)
	}
	b := make([]byte, max(s.size, 64))
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = s.class, s.data, s.version
	le.PutUint16(b[16:], 2)    // ET_EXEC
	le.PutUint16(b[18:], 0x3e) // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], s.entry)
	le.PutUint64(b[32:], s.phoff)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], uint16(s.entsize))
	le.PutUint16(b[56:], uint16(phnum))
	for i, p := range s.phdrs {
		at := int(s.phoff) + i*56
		if at+56 > len(b) {
			break // past the end of the file
		}
		ph := b[at:]
		le.PutUint32(ph, p.typ)
		le.PutUint64(ph[8:], p.offset)
		le.PutUint64(ph[16:], p.paddr|0xffffffff80000000)
		le.PutUint64(ph[24:], p.paddr)
		le.PutUint64(ph[32:], p.filesz)
		le.PutUint64(ph[40:], p.memsz)
		if p.offset < uint64(len(b)) && int(p.offset)+len(p.content) <= len(b) {
			copy(b[p.offset:], p.content)
		}
	}
	return b
}

// elfCases are ELF kernels, good and bad, with what kernel_info.c makes of
// them (TestDifferentialKernelInfo checks these against it).
func elfCases() []struct {
	what string
	raw  []byte
	want Kernel
	rc   int
} {
	pvh := note("Xen", 18, u32(0x1000000))
	notes := append(append(note("GNU", 3, make([]byte, 20)), note("Xen", 19, make([]byte, 12))...), pvh...)
	loads := []phdr{
		{typ: ptLoad, offset: 0x1000, paddr: 0x1000000, filesz: 0x800, memsz: 0x2000},
		{typ: ptLoad, offset: 0x2000, paddr: 0x1400000, filesz: 0x100, memsz: 0x3000},
	}
	good := func(mod func(*elfSpec)) []byte {
		s := elfSpec{class: 2, data: 1, version: 1, entsize: 56, phnum: -1, phoff: 64, entry: 0x1000123,
			phdrs: append(append([]phdr(nil), loads...), phdr{typ: ptNote, offset: 0x3000, filesz: uint64(len(notes)), content: notes}),
			size:  0x4000}
		if mod != nil {
			mod(&s)
		}
		return s.bytes()
	}
	span := Kernel{Format: "ELF", Entry: 0x1000123, LoadAddress: 0x1000000, ImageSize: 0x403000, PVHEntry: 0x1000000}
	noPVH := span
	noPVH.PVHEntry = 0
	with := func(k Kernel, f func(*Kernel)) Kernel { f(&k); return k }
	setNotes := func(n []byte) func(*elfSpec) {
		return func(s *elfSpec) {
			s.phdrs[2].content, s.phdrs[2].filesz = n, uint64(len(n))
		}
	}
	type c = struct {
		what string
		raw  []byte
		want Kernel
		rc   int
	}
	return []c{
		{"a PVH vmlinux", good(nil), span, 0},
		{"a 64-bit PVH entry", good(setNotes(note("Xen", 18, u64(0x123456789)))), with(span, func(k *Kernel) { k.PVHEntry = 0x123456789 }), 0},
		{"a PVH note of 2 bytes", good(setNotes(note("Xen", 18, []byte{1, 2}))), noPVH, 0},
		{"a PVH note of another owner", good(setNotes(note("Xe", 18, u32(5)))), noPVH, 0},
		{"a note running past its segment", good(setNotes(notes[:len(notes)-4])), with(span, func(k *Kernel) { k.PVHEntry = 0 }), 0},
		{"no note segment", good(func(s *elfSpec) { s.phdrs = s.phdrs[:2] }), noPVH, 0},
		{"notes past the end", good(func(s *elfSpec) { s.phdrs[2].offset = 0x3ff0 }), noPVH, 0},
		{"notes over 1 MiB", good(func(s *elfSpec) { s.phdrs[2].filesz = 1<<20 + 4 }), noPVH, 0},
		{"notes far away", good(func(s *elfSpec) { s.phdrs[2].offset = 0x9000; s.size = 0xa000 }), span, 0},
		{"a second note segment", good(func(s *elfSpec) {
			s.phdrs = append(s.phdrs, s.phdrs[2])
			s.phdrs[2].content = note("GNU", 3, nil)
			s.phdrs[2].filesz = uint64(len(s.phdrs[2].content))
			s.phdrs[3].offset = 0x3800
		}), span, 0},
		{"an empty PT_LOAD", good(func(s *elfSpec) { s.phdrs[1].memsz = 0 }), with(span, func(k *Kernel) { k.ImageSize = 0x2000 }), 0},
		{"only empty PT_LOADs", good(func(s *elfSpec) { s.phdrs[0].memsz, s.phdrs[1].memsz = 0, 0 }), Kernel{}, ErrNotImage},
		{"no PT_LOAD", good(func(s *elfSpec) { s.phdrs = s.phdrs[2:] }), Kernel{}, ErrNotImage},
		{"32-bit", good(func(s *elfSpec) { s.class = 1 }), Kernel{}, ErrNotImage},
		{"big-endian", good(func(s *elfSpec) { s.data = 2 }), Kernel{}, ErrNotImage},
		{"version 0", good(func(s *elfSpec) { s.version = 0 }), Kernel{}, ErrNotImage},
		{"e_phentsize 32", good(func(s *elfSpec) { s.entsize = 32 }), Kernel{}, ErrNotImage},
		{"no program headers", good(func(s *elfSpec) { s.phnum = 0 }), Kernel{}, ErrNotImage},
		{"65 program headers", good(func(s *elfSpec) { s.phnum = 65 }), Kernel{}, ErrNotImage},
		{"64 program headers", good(func(s *elfSpec) {
			for len(s.phdrs) < 64 {
				s.phdrs = append(s.phdrs, phdr{typ: 6})
			}
		}), span, 0},
		{"program headers past the end", good(func(s *elfSpec) { s.phoff = 0x3fd0 }), Kernel{}, ErrNotImage},
		{"program headers far away", good(func(s *elfSpec) { s.phoff = 0x3e00 }), span, 0},
		{"neither Image nor ELF", make([]byte, 4096), Kernel{}, ErrNotImage},
		{"63 bytes", good(nil)[:63], Kernel{}, ErrNotImage},
		{"an ELF header alone", good(nil)[:64], Kernel{}, ErrNotImage},
	}
}

func TestKernelInfoOfCraftedELFs(t *testing.T) {
	for _, c := range elfCases() {
		for _, bs := range []int64{1 << 20, 4096, 512} {
			p := xzPayload(t, c.raw, bs)
			got, rc := KernelInfo(p)
			if rc != c.rc || got != c.want {
				t.Errorf("%s (blocks of %d): %s %+v, want %s %+v", c.what, bs, codeName(rc), got, codeName(c.rc), c.want)
			}
		}
	}
}

func TestKernelInfoRefusals(t *testing.T) {
	kernel := payloadNamed(t, "kernel")
	// Not a kernel at all (a static binary is an ELF, so it is described):
	// a payload smaller than a header (refused before decoding).
	_, rc := KernelInfo(variant(kernel, kernel.Data, 63))
	wantCode(t, "63 bytes", rc, ErrNotImage)
	// Damage where the header is decoded from.
	_, rc = KernelInfo(variant(kernel, kernel.Data[:40], kernel.Size))
	wantCode(t, "cut", rc, ErrCorrupt)
	d := append([]byte(nil), kernel.Data...)
	d[13] ^= 1 // the first block header
	_, rc = KernelInfo(variant(kernel, d, kernel.Size))
	wantCode(t, "damaged block header", rc, ErrCorrupt)
	_, rc = KernelInfo(nil)
	wantCode(t, "nil", rc, codeEINVAL)
	// init-oci is an ELF with no PVH note.
	for _, arch := range testArchs(t) {
		k, rc := KernelInfo(archPayloadNamed(t, arch, "init_oci"))
		wantCode(t, arch+" init-oci", rc, 0)
		if k.Format != "ELF" || k.PVHEntry != 0 || k.ImageSize == 0 {
			t.Errorf("%s init-oci: %+v", arch, k)
		}
	}
}

// decodeRange gives the payload's bytes for any range, across blocks, in
// the indexed and the sequential layouts alike.
func TestDecodeRange(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, arch := range testArchs(t) {
		for _, p := range []*Payload{archPayloadNamed(t, arch, "kernel"), archPayloadNamed(t, arch, "init_oci")} {
			raw := cleanBytesOf(t, p)
			padded := variant(p, append(append([]byte(nil), p.Data...), 0, 0, 0, 0), p.Size)
			n := uint64(p.Size)
			ranges := [][2]uint64{{0, 64}, {64, 56 * 5}, {n - 1, 1}, {n, 0}, {1<<20 - 10, 20}, {0, min(n, 3<<20)}}
			for i := 0; i < 6; i++ {
				off := rng.Uint64() % n
				ranges = append(ranges, [2]uint64{off, rng.Uint64() % min(n-off+1, 3<<20)})
			}
			for _, r := range ranges {
				if r[0]+r[1] > n {
					continue
				}
				for _, q := range []*Payload{p, padded} {
					if q == padded && r[0]+r[1] > 2<<20 {
						continue // the sequential path decodes all before the range
					}
					out := make([]byte, r[1])
					rc := decodeRange(q, r[0], out)
					what := fmt.Sprintf("%s %s [%d,+%d) padded=%v", arch, p.Name, r[0], r[1], q == padded)
					wantCode(t, what, rc, 0)
					if !bytes.Equal(out, raw[r[0]:r[0]+r[1]]) {
						t.Errorf("%s: bytes differ", what)
					}
				}
			}
			wantCode(t, "past the end", decodeRange(p, n-2, make([]byte, 3)), ErrSize)
			wantCode(t, "offset past the end", decodeRange(p, n+1, nil), ErrSize)
		}
	}
}
