//go:build linux

package pure

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// decodeTo decodes p in the given mode: memory (returns the bytes), file
// (into a temporary file, returns its bytes) or compare (with a file
// holding cmp).
func decodeTo(t *testing.T, p *Payload, mode decodeMode, cmp []byte) ([]byte, int) {
	t.Helper()
	switch mode {
	case modeMemory:
		mem := make([]byte, p.Size)
		rc := decode([]*target{{p: p, mode: modeMemory, fd: -1, mem: mem}})
		return mem, rc
	default:
		path := filepath.Join(t.TempDir(), "out")
		if mode == modeCompare {
			if err := os.WriteFile(path, cmp, 0600); err != nil {
				t.Fatal(err)
			}
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rc := decode([]*target{{p: p, mode: mode, fd: int(f.Fd())}})
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b, rc
	}
}

var allModes = []decodeMode{modeMemory, modeFile, modeCompare}

func modeName(m decodeMode) string {
	return [...]string{"file", "memory", "compare"}[m]
}

func TestDecodeMatchesManifestAndXZ(t *testing.T) {
	_, err := exec.LookPath("xz")
	for _, p := range allPayloads(t) { // every architecture's
		b, rc := Bytes(p)
		wantCode(t, p.Name, rc, 0)
		if int64(len(b)) != p.Size || sha256Hex(b) != p.SHA256 {
			t.Fatalf("%s: decoded bytes do not match the manifest", p.Name)
		}
		if err != nil {
			continue // no xz(1) here
		}
		cmd := exec.Command("xz", "-dc")
		cmd.Stdin = bytes.NewReader(p.Data)
		want, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, want) {
			t.Fatalf("%s: decoded bytes differ from xz -dc", p.Name)
		}
	}
}

func TestPlanUsesTheIndex(t *testing.T) {
	// The manifest's xz flags cut every 1 MiB of input into a block.
	const blockSize = 1 << 20
	for _, p := range allPayloads(t) {
		name := p.Name
		var items []item
		wantCode(t, name, planBlocks(&target{p: p}, &items), 0)
		if want := int((p.Size + blockSize - 1) / blockSize); len(items) != want {
			t.Fatalf("%s: %d blocks, want %d", name, len(items), want)
		}
		in, out := int64(streamHeaderSize), int64(0)
		for _, it := range items {
			if it.kind != itemBlock || it.outOff != out || &it.block[0] != &p.Data[in] {
				t.Fatalf("%s: blocks not contiguous", name)
			}
			in += int64(len(it.block))
			out += it.outSize
		}
		if out != p.Size {
			t.Fatalf("%s: blocks hold %d bytes, want %d", name, out, p.Size)
		}
	}
}

// Parallel block decoding, the sequential fallback, and every mode agree.
func TestParallelEqualsSequential(t *testing.T) {
	for _, p := range loadPayloads(t) {
		want := cleanBytes(t, p.Name)
		// Stream padding after the stream: not described by the index, so
		// decoded by the sequential decoder.
		padded := variant(p, append(append([]byte(nil), p.Data...), 0, 0, 0, 0), p.Size)
		var items []item
		if planBlocks(&target{p: padded}, &items) != 1 {
			t.Fatalf("%s: a padded payload should fall back", p.Name)
		}
		for _, q := range []*Payload{p, padded} {
			for _, m := range allModes {
				if raceEnabled && p.Name == "kernel" && m != modeMemory {
					continue
				}
				got, rc := decodeTo(t, q, m, want)
				wantCode(t, p.Name+" "+modeName(m), rc, 0)
				if !bytes.Equal(got, want) {
					t.Fatalf("%s %s: bytes differ", p.Name, modeName(m))
				}
			}
		}
	}
}

// fixBlockHeaderCRC recomputes the CRC32 of the block header at off.
func fixBlockHeaderCRC(d []byte, off int) {
	end := off + (int(d[off])+1)*4 - 4
	binary.LittleEndian.PutUint32(d[end:], crc32.ChecksumIEEE(d[off:end]))
}

func TestDamagedPayloads(t *testing.T) {
	kernel := payloadNamed(t, "kernel")
	agent := payloadNamed(t, "supermachine_agent")
	var items []item
	planBlocks(&target{p: kernel}, &items)
	block3 := int(int64(streamHeaderSize) + (items[0].rec.unpadded+3)&^3 + (items[1].rec.unpadded+3)&^3)
	block3 += len(items[2].block) / 2
	raw := cleanBytes(t, agent.Name)

	copyOf := func(b []byte) []byte { return append([]byte(nil), b...) }
	flip := func(b []byte, i int) []byte { b = copyOf(b); b[i] ^= 0x55; return b }
	n := len(agent.Data)

	cases := []struct {
		name string
		p    *Payload
		want int
	}{
		{"kernel: a byte inside block 3", variant(kernel, flip(kernel.Data, block3), kernel.Size), ErrCorrupt},
		{"kernel: truncated to half", variant(kernel, kernel.Data[:len(kernel.Data)/2], kernel.Size), ErrCorrupt},
		{"kernel: size+1", variant(kernel, kernel.Data, kernel.Size+1), ErrSize},
		{"agent: 100 bytes cut", variant(agent, agent.Data[:n-100], agent.Size), ErrCorrupt},
		{"agent: size-1", variant(agent, agent.Data, agent.Size-1), ErrSize},
		{"agent: padded, size+1", variant(agent, append(copyOf(agent.Data), 0, 0, 0, 0), agent.Size+1), ErrSize},
		{"agent: stream header magic", variant(agent, flip(agent.Data, 1), agent.Size), ErrCorrupt},
		{"agent: index", variant(agent, flip(agent.Data, n-14), agent.Size), ErrCorrupt},
		{"agent: footer magic", variant(agent, flip(agent.Data, n-1), agent.Size), ErrCorrupt},
		{"agent: block header", variant(agent, flip(agent.Data, 14), agent.Size), ErrCorrupt},
		{"agent: block check", variant(agent, flip(agent.Data, n-12-(int(binary.LittleEndian.Uint32(agent.Data[n-8:]))+1)*4-1), agent.Size), ErrCorrupt},
		{"empty data", variant(agent, nil, agent.Size), ErrCorrupt},
		{"not xz", variant(agent, raw[:1000], agent.Size), ErrCorrupt},
	}
	// Features this decoder lacks, behind valid CRC32s.
	reserved := copyOf(agent.Data)
	reserved[7] |= 0x20
	binary.LittleEndian.PutUint32(reserved[8:], crc32.ChecksumIEEE(reserved[6:8]))
	cases = append(cases, struct {
		name string
		p    *Payload
		want int
	}{"reserved stream flags", variant(agent, reserved, agent.Size), ErrUnsupported})
	for _, id := range []byte{0x03, 0x04, 0x30} {
		d := copyOf(agent.Data)
		f := bytes.Index(d[12:40], []byte{0x21, 0x01}) + 12
		d[f] = id
		fixBlockHeaderCRC(d, 12)
		cases = append(cases, struct {
			name string
			p    *Payload
			want int
		}{"filter " + string(rune('0'+id/16)) + string(rune('0'+id%16)), variant(agent, d, agent.Size), ErrUnsupported})
		cases = append(cases, struct {
			name string
			p    *Payload
			want int
		}{"filter, sequential", variant(agent, append(d, 0, 0, 0, 0), agent.Size), ErrUnsupported})
	}
	// As the C core: a stream cut after its last block's data decodes all
	// of its output first; in memory, with no room left, liblzma's "needs
	// more input" then reads as more output than recorded (ErrSize).
	footerCut := variant(agent, agent.Data[:n-12], agent.Size)
	for _, m := range allModes {
		want := ErrCorrupt
		if m == modeMemory {
			want = ErrSize
		}
		_, rc := decodeTo(t, footerCut, m, raw)
		wantCode(t, "footer cut ("+modeName(m)+")", rc, want)
	}
	for _, c := range cases {
		for _, m := range allModes {
			if raceEnabled && c.p.Name == "kernel" && m != modeCompare {
				continue // Bytes and ExtractTo below cover the others
			}
			cmp := cleanBytes(t, c.p.Name)
			_, rc := decodeTo(t, c.p, m, cmp)
			wantCode(t, c.name+" ("+modeName(m)+")", rc, c.want)
		}
		_, rc := Bytes(c.p)
		wantCode(t, c.name+" (Bytes)", rc, c.want)
		dir := t.TempDir()
		wantCode(t, c.name+" (ExtractTo)", ExtractTo(c.p, filepath.Join(dir, "f")), c.want)
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%s: a failed extraction left %v", c.name, ents)
		}
	}
}

// Each block's check is verified: damaging any one block's CRC64 fails
// the whole decode.
func TestEveryBlockCheckIsVerified(t *testing.T) {
	kernel := payloadNamed(t, "kernel")
	var items []item
	planBlocks(&target{p: kernel}, &items)
	off := streamHeaderSize
	for i, it := range items {
		if raceEnabled && i%3 != 0 {
			off += len(it.block)
			continue
		}
		d := append([]byte(nil), kernel.Data...)
		d[off+len(it.block)-1] ^= 1 // the last byte of the block's CRC64
		off += len(it.block)
		mem := make([]byte, kernel.Size)
		rc := decode([]*target{{p: variant(kernel, d, kernel.Size), mode: modeMemory, mem: mem}})
		wantCode(t, "check of block "+string(rune('0'+i)), rc, ErrCorrupt)
	}
}

func TestEmptyPayload(t *testing.T) {
	p := &Payload{Name: "empty", FileName: "empty", Mode: 0644}
	b, rc := Bytes(p)
	wantCode(t, "Bytes", rc, 0)
	if b == nil || len(b) != 0 {
		t.Fatalf("Bytes of an empty payload: %v", b)
	}
}

func TestBytesIsReadOnlyAndStable(t *testing.T) {
	p := payloadNamed(t, "init_oci")
	b, rc := Bytes(p)
	wantCode(t, "Bytes", rc, 0)
	if len(b) != cap(b) || uintptr(unsafePointer(b))%uintptr(os.Getpagesize()) != 0 {
		t.Fatal("the mapping is not page-aligned or has slack")
	}
	if !mappingReadOnly(t, b) {
		t.Fatal("the mapping is writable")
	}
}
