//go:build linux

package pure

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// The xz container, as far as planning block-parallel decoding needs it:
// stream header and footer, index, block headers. Decoding itself is the
// xz package's. Each function mirrors the liblzma call the core makes and
// reports its failures as the core maps that call's lzma_ret
// (LZMA_FORMAT_ERROR and LZMA_DATA_ERROR: ErrCorrupt; LZMA_OPTIONS_ERROR:
// ErrUnsupported).

const (
	streamHeaderSize = 12
	vliMax           = 1<<63 - 1
	unpaddedSizeMin  = 5
	unpaddedSizeMax  = vliMax &^ 3
	filterReserved   = 1 << 62 // LZMA_FILTER_RESERVED_START
	filterLZMA2      = 0x21
	filterDelta      = 0x03
	filterBCJFirst   = 0x04 // x86 .. ARM64: the BCJ filters liblzma knows
	filterBCJLast    = 0x0A
)

var (
	streamHeaderMagic = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
	streamFooterMagic = []byte{'Y', 'Z'}
)

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// checkSize is lzma_check_size: bytes of the check of each check ID.
func checkSize(id byte) int64 {
	return [16]int64{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}[id&15]
}

// checkKnown: the check IDs the xz package verifies (None, CRC32, CRC64,
// SHA-256). liblzma accepts the reserved IDs too, without verifying them;
// this package refuses them as unsupported.
func checkKnown(id byte) bool { return id == 0 || id == 1 || id == 4 || id == 10 }

// streamFlags decodes the two Stream Flags bytes (stream_flags_decode):
// reserved bits set is LZMA_OPTIONS_ERROR.
func streamFlags(b []byte) (check byte, rc int) {
	if b[0] != 0 || b[1]&0xF0 != 0 {
		return 0, ErrUnsupported
	}
	return b[1], 0
}

// decodeStreamHeader is lzma_stream_header_decode on 12 bytes.
func decodeStreamHeader(b []byte) (check byte, rc int) {
	if !bytes.Equal(b[:6], streamHeaderMagic) {
		return 0, ErrCorrupt
	}
	if crc32.ChecksumIEEE(b[6:8]) != le32(b[8:12]) {
		return 0, ErrCorrupt
	}
	return streamFlags(b[6:8])
}

// decodeStreamFooter is lzma_stream_footer_decode on 12 bytes; backward
// is the size of the index it points at.
func decodeStreamFooter(b []byte) (check byte, backward int64, rc int) {
	if !bytes.Equal(b[10:12], streamFooterMagic) {
		return 0, 0, ErrCorrupt
	}
	if crc32.ChecksumIEEE(b[4:10]) != le32(b[0:4]) {
		return 0, 0, ErrCorrupt
	}
	check, rc = streamFlags(b[8:10])
	if rc != 0 {
		return 0, 0, rc
	}
	return check, (int64(le32(b[4:8])) + 1) * 4, 0
}

// vli decodes one variable-length integer of b[*pos:end] as
// lzma_vli_decode in single-call mode: at most 9 bytes, the shortest
// encoding only, and the input must not end inside it.
func vli(b []byte, pos *int, end int) (uint64, bool) {
	var v uint64
	for i := 0; *pos < end; i++ {
		c := b[*pos]
		*pos++
		v |= uint64(c&0x7F) << (7 * uint(i))
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, false
			}
			return v, true
		}
		if i+1 == 9 {
			return 0, false
		}
	}
	return 0, false
}

func vliSize(v uint64) int64 {
	n := int64(1)
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func putVLI(out []byte, v uint64) []byte {
	for v >= 0x80 {
		out = append(out, byte(v)|0x80)
		v >>= 7
	}
	return append(out, byte(v))
}

func ceil4(v int64) int64 { return (v + 3) &^ 3 }

// indexRecord is one block as the index describes it.
type indexRecord struct {
	unpadded     int64
	uncompressed int64
}

// decodeIndex is lzma_index_buffer_decode of the index that starts at
// b[start] and must end by b[end]: the records, and where the index ended.
// Every malformation is LZMA_DATA_ERROR (ErrCorrupt).
func decodeIndex(b []byte, start, end int) (recs []indexRecord, stop int, rc int) {
	pos := start
	if pos >= end || b[pos] != 0 {
		return nil, 0, ErrCorrupt
	}
	pos++
	count, ok := vli(b, &pos, end)
	if !ok {
		return nil, 0, ErrCorrupt
	}
	var listSize, compressed, uncompressed int64
	for n := uint64(0); n < count; n++ {
		u, ok := vli(b, &pos, end)
		if !ok || u < unpaddedSizeMin || u > unpaddedSizeMax {
			return nil, 0, ErrCorrupt
		}
		s, ok := vli(b, &pos, end)
		if !ok {
			return nil, 0, ErrCorrupt
		}
		// lzma_index_append's limits: sizes that cannot be those of a
		// file are corrupt.
		listSize += vliSize(u) + vliSize(s)
		if compressed > vliMax-ceil4(int64(u)) || uncompressed > vliMax-int64(s) ||
			listSize > 1<<34 {
			return nil, 0, ErrCorrupt
		}
		compressed += ceil4(int64(u))
		uncompressed += int64(s)
		recs = append(recs, indexRecord{int64(u), int64(s)})
	}
	for (pos-start)%4 != 0 {
		if pos >= end || b[pos] != 0 {
			return nil, 0, ErrCorrupt
		}
		pos++
	}
	if end-pos < 4 || crc32.ChecksumIEEE(b[start:pos]) != le32(b[pos:pos+4]) {
		return nil, 0, ErrCorrupt
	}
	return recs, pos + 4, 0
}

// blockHeader is what lzma_block_header_decode finds in a block header.
type blockHeader struct {
	size         int   // bytes of the header
	compressed   int64 // -1 when absent
	uncompressed int64 // -1 when absent
	lzma2Only    bool  // the chain is one LZMA2 filter
}

// parseBlockHeader is lzma_block_header_decode of the header at the
// start of b, which holds all of it ((b[0]+1)*4 bytes, b[0] != 0).
func parseBlockHeader(b []byte, check byte) (blockHeader, int) {
	h := blockHeader{size: (int(b[0]) + 1) * 4, compressed: -1, uncompressed: -1}
	end := h.size - 4
	if crc32.ChecksumIEEE(b[:end]) != le32(b[end:h.size]) {
		return h, ErrCorrupt
	}
	flags := b[1]
	if flags&0x3C != 0 {
		return h, ErrUnsupported
	}
	pos := 2
	if flags&0x40 != 0 {
		v, ok := vli(b, &pos, end)
		// lzma_block_unpadded_size() == 0: zero, or too large a block.
		if !ok || v == 0 || v > unpaddedSizeMax-uint64(h.size)-uint64(checkSize(check)) {
			return h, ErrCorrupt
		}
		h.compressed = int64(v)
	}
	if flags&0x80 != 0 {
		v, ok := vli(b, &pos, end)
		if !ok {
			return h, ErrCorrupt
		}
		h.uncompressed = int64(v)
	}
	nfilters := int(flags&3) + 1
	h.lzma2Only = nfilters == 1
	for i := 0; i < nfilters; i++ {
		// lzma_filter_flags_decode, then lzma_properties_decode.
		id, ok := vli(b, &pos, end)
		if !ok || id >= filterReserved {
			return h, ErrCorrupt
		}
		psize, ok := vli(b, &pos, end)
		if !ok || uint64(end-pos) < psize {
			return h, ErrCorrupt
		}
		props := b[pos : pos+int(psize)]
		pos += int(psize)
		switch {
		case id == filterLZMA2:
			if len(props) != 1 || props[0]&0xC0 != 0 || props[0] > 40 {
				return h, ErrUnsupported
			}
		case id == filterDelta:
			if len(props) != 1 {
				return h, ErrUnsupported
			}
			h.lzma2Only = false
		case id >= filterBCJFirst && id <= filterBCJLast:
			if len(props) != 0 && len(props) != 4 {
				return h, ErrUnsupported
			}
			h.lzma2Only = false
		default:
			return h, ErrUnsupported // a filter liblzma does not know
		}
	}
	for ; pos < end; pos++ {
		if b[pos] != 0 {
			return h, ErrUnsupported
		}
	}
	return h, 0
}

// checkBlockHeader mirrors what decode_block in core/src/decode.c asks of
// liblzma before decoding a block: lzma_block_header_decode, then
// lzma_block_compressed_size against the index's unpadded size, the
// uncompressed size against the index's, and the filter chain (checked by
// lzma_block_decoder). blk is the block's bytes (header to check,
// padding included). It also walks the block's LZMA2 chunk framing,
// which liblzma checks as it decodes and the xz package does not fully.
//
// The xz package decodes LZMA2 only: a block with any other filter chain
// is ErrUnsupported here, even one liblzma would decode (delta, BCJ).
func checkBlockHeader(blk []byte, check byte, unpadded, uncompressed int64) int {
	if len(blk) == 0 || blk[0] == 0 {
		return ErrCorrupt
	}
	if hs := (int(blk[0]) + 1) * 4; hs > len(blk) {
		return ErrCorrupt
	}
	h, rc := parseBlockHeader(blk, check)
	if rc != 0 {
		return rc
	}
	// lzma_block_compressed_size.
	container := int64(h.size) + checkSize(check)
	if unpadded <= container {
		return ErrCorrupt
	}
	if h.compressed >= 0 && h.compressed != unpadded-container {
		return ErrCorrupt
	}
	if h.uncompressed >= 0 && h.uncompressed != uncompressed {
		return ErrCorrupt
	}
	// lzma_block_decoder: the raw decoder validates the chain; the only
	// one decoded here is a lone LZMA2.
	if !h.lzma2Only {
		return ErrUnsupported
	}
	w := walkLZMA2(blk[h.size : unpadded-checkSize(check)])
	if w.rc != 0 || w.truncated || w.n != unpadded-container || w.out != uncompressed {
		return ErrCorrupt
	}
	return 0
}

// lzma2Walk is what walking a block's LZMA2 chunk framing found.
type lzma2Walk struct {
	n         int64 // bytes through the end marker
	out       int64 // decoded bytes of the chunks walked
	rc        int   // ErrCorrupt: a framing error liblzma reports
	truncated bool  // d ended inside the chunks
}

// walkLZMA2 walks the chunk headers of LZMA2 data d as liblzma's LZMA2
// decoder meets them: control bytes, the dictionary-reset and properties
// rules, each chunk's sizes (liblzma requires a chunk to take exactly the
// compressed size its header gives; the xz package does not check that),
// up to the end marker. Chunk framing only: the chunks' contents are the
// decoder's.
func walkLZMA2(d []byte) lzma2Walk {
	var w lzma2Walk
	pos := 0
	needReset, needProps := true, true
	for {
		if pos >= len(d) {
			w.truncated = true
			return w
		}
		c := d[pos]
		if c == 0x00 {
			w.n = int64(pos + 1)
			return w
		}
		if c >= 0xE0 || c == 0x01 {
			needReset, needProps = false, true
		} else if needReset {
			w.rc = ErrCorrupt
			return w
		}
		var hdr, comp, unc int
		switch {
		case c >= 0x80: // LZMA chunk
			hdr = 5
			if c >= 0xC0 {
				hdr = 6
				needProps = false
			} else if needProps {
				w.rc = ErrCorrupt
				return w
			}
			if len(d)-pos < hdr {
				w.truncated = true
				return w
			}
			unc = (int(c&0x1F)<<16 | int(d[pos+1])<<8 | int(d[pos+2])) + 1
			comp = (int(d[pos+3])<<8 | int(d[pos+4])) + 1
			if hdr == 6 && lclppbInvalid(d[pos+5]) {
				w.rc = ErrCorrupt
				return w
			}
		case c <= 0x02: // uncompressed chunk
			hdr = 3
			if len(d)-pos < hdr {
				w.truncated = true
				return w
			}
			unc = (int(d[pos+1])<<8 | int(d[pos+2])) + 1
			comp = unc
		default:
			w.rc = ErrCorrupt // an invalid control byte
			return w
		}
		w.out += int64(unc)
		pos += hdr + comp
	}
}

// lclppbInvalid is lzma_lzma_lclppb_decode failing for LZMA2: a
// properties byte beyond pb=4, or lc+lp > 4.
func lclppbInvalid(b byte) bool {
	if b > (4*5+4)*9+8 {
		return true
	}
	lp := int(b) % 45 / 9
	lc := int(b) % 45 % 9
	return lc+lp > 4
}

// miniStream builds the parts of a standalone xz stream holding one block
// of a payload: the payload's own stream header, the block as it is
// (header, data, padding, check), and an index and footer describing just
// that block, so that the xz package verifies the block header, its check
// and both of its sizes.
func miniStream(header, block []byte, rec indexRecord) [][]byte {
	idx := []byte{0}
	idx = putVLI(idx, 1)
	idx = putVLI(idx, uint64(rec.unpadded))
	idx = putVLI(idx, uint64(rec.uncompressed))
	for len(idx)%4 != 0 {
		idx = append(idx, 0)
	}
	idx = binary.LittleEndian.AppendUint32(idx, crc32.ChecksumIEEE(idx))
	footer := make([]byte, 12)
	binary.LittleEndian.PutUint32(footer[4:8], uint32(len(idx)/4-1))
	copy(footer[8:10], header[6:8])
	copy(footer[10:12], streamFooterMagic)
	binary.LittleEndian.PutUint32(footer[0:4], crc32.ChecksumIEEE(footer[4:10]))
	return [][]byte{header, block, append(idx, footer...)}
}

// segments reads the concatenation of byte slices without copying them.
type segments struct {
	segs [][]byte
}

func (s *segments) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(s.segs) > 0 {
		k := copy(p[n:], s.segs[0])
		n += k
		s.segs[0] = s.segs[0][k:]
		if len(s.segs[0]) == 0 {
			s.segs = s.segs[1:]
		}
	}
	if n == 0 && len(p) > 0 {
		return 0, errEOF
	}
	return n, nil
}

func (s *segments) ReadByte() (byte, error) {
	for len(s.segs) > 0 {
		if len(s.segs[0]) > 0 {
			c := s.segs[0][0]
			s.segs[0] = s.segs[0][1:]
			return c, nil
		}
		s.segs = s.segs[1:]
	}
	return 0, errEOF
}
