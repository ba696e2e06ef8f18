//go:build linux

package pure

import (
	"bytes"
	"hash/crc32"
	"io"
)

// The container of a payload decoded sequentially (the fallback for
// anything but one stream with a proper index), walked as liblzma's
// stream decoder meets it. The xz package decodes the blocks' data and
// verifies their checks, but it is laxer about the container than
// liblzma: it reports a stream cut right after a block, or inside a block
// header, as a clean end, and it does not compare stream padding or chunk
// sizes as strictly. The walk says where, and with which code, liblzma
// would stop; the decode then stops there too.

// walkResult is where liblzma's stream decoder would stop.
type walkResult struct {
	clean     bool  // the container is sound to its end
	rc        int   // else the code of the first failure, or 0 if ...
	truncated bool  // ... the input ends where more is needed
	out       int64 // decoded bytes before that point (all of them if clean)
	pos       int   // where in the input it lies

	input *bytes.Reader // the xz package's input, to see how far it read
}

// stopped decides a sequential decode that ended, at or before the
// walk's point, with err from the xz package (nil: it read on past the
// point). A failure before the point (a block's check, damaged data) is
// the package's to name; one at or past it, or the package running out of
// input, is liblzma's, the walk's.
func (w *walkResult) stopped(err error, outputComplete bool) int {
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		if consumed := int(w.input.Size()) - w.input.Len(); consumed <= w.pos {
			return xzCode(err)
		}
	}
	return w.verdict(outputComplete)
}

// verdict is the core's code for a decode stopped at the walk's point:
// a truncated stream is ErrCorrupt, or ErrSize when the output was already
// complete (liblzma then needs more room, not more input).
func (w *walkResult) verdict(outputComplete bool) int {
	if w.truncated {
		if outputComplete {
			return ErrSize
		}
		return ErrCorrupt
	}
	return w.rc
}

func walkStop(rc int, out int64, pos int) walkResult {
	return walkResult{rc: rc, out: out, pos: pos}
}
func walkCorrupt(out int64, pos int) walkResult { return walkStop(ErrCorrupt, out, pos) }
func walkClean(out int64, pos int) walkResult   { return walkResult{clean: true, out: out, pos: pos} }
func walkTrunc(out int64, data []byte) walkResult {
	return walkResult{truncated: true, out: out, pos: len(data)}
}

// walkStreams walks data from its first stream header on; with
// concatenated (LZMA_CONCATENATED), through stream padding and further
// streams to the end, else to the end of the first stream.
func walkStreams(data []byte, concatenated bool) walkResult {
	pos := 0
	var out int64
	for {
		if len(data)-pos < streamHeaderSize {
			return walkTrunc(out, data)
		}
		check, rc := decodeStreamHeader(data[pos : pos+streamHeaderSize])
		if rc != 0 {
			return walkStop(rc, out, pos)
		}
		if !checkKnown(check) {
			return walkStop(ErrUnsupported, out, pos)
		}
		pos += streamHeaderSize
		var recs []indexRecord
		for {
			if pos >= len(data) {
				return walkTrunc(out, data)
			}
			if data[pos] == 0 {
				break // the index
			}
			hs := (int(data[pos]) + 1) * 4
			if len(data)-pos < hs {
				return walkTrunc(out, data)
			}
			h, rc := parseBlockHeader(data[pos:pos+hs], check)
			if rc != 0 {
				return walkStop(rc, out, pos)
			}
			if !h.lzma2Only {
				return walkStop(ErrUnsupported, out, pos)
			}
			start := pos + hs
			avail := int64(len(data) - start)
			limited := h.compressed >= 0 && h.compressed <= avail
			if limited {
				avail = h.compressed
			}
			w := walkLZMA2(data[start : int64(start)+avail])
			switch {
			case w.rc != 0:
				return walkCorrupt(out+w.out, start)
			case w.truncated && limited:
				return walkCorrupt(out+w.out, start) // beyond the compressed size
			case w.truncated:
				return walkTrunc(out+w.out, data)
			case h.compressed >= 0 && w.n != h.compressed,
				h.uncompressed >= 0 && w.out != h.uncompressed:
				return walkCorrupt(out+w.out, start)
			}
			p := start + int(w.n)
			for (p-pos)%4 != 0 { // block padding
				if p >= len(data) {
					return walkTrunc(out+w.out, data)
				}
				if data[p] != 0 {
					return walkCorrupt(out+w.out, p)
				}
				p++
			}
			cs := int(checkSize(check))
			if len(data)-p < cs {
				return walkTrunc(out+w.out, data)
			}
			recs = append(recs, indexRecord{int64(hs) + w.n + int64(cs), w.out})
			out += w.out
			pos = p + cs
		}
		stop, r := walkIndex(data, pos, recs)
		if r != 0 {
			if r > 0 {
				return walkTrunc(out, data)
			}
			return walkCorrupt(out, pos)
		}
		if len(data)-stop < streamHeaderSize {
			return walkTrunc(out, data)
		}
		fcheck, backward, rc := decodeStreamFooter(data[stop : stop+streamHeaderSize])
		if rc != 0 {
			return walkStop(rc, out, stop)
		}
		if backward != int64(stop-pos) || fcheck != check {
			return walkCorrupt(out, stop)
		}
		pos = stop + streamHeaderSize
		if !concatenated {
			return walkClean(out, pos)
		}
		zeros := 0
		for pos < len(data) && data[pos] == 0 {
			pos++
			zeros++
		}
		if zeros%4 != 0 {
			return walkCorrupt(out, pos) // stream padding is whole groups of four
		}
		if pos == len(data) {
			return walkClean(out, pos)
		}
	}
}

// walkIndex checks the index at data[start] (its indicator already seen)
// against the blocks walked, as liblzma's index hash does: the count at
// once, the sums as records come, every record after the padding, then
// the CRC32. Returns the end of the index and 0, 1
// if the input ends inside it, or -1 if it is wrong.
func walkIndex(data []byte, start int, blocks []indexRecord) (int, int) {
	pos := start + 1
	next := func() (uint64, int) {
		var v uint64
		for i := 0; ; i++ {
			if pos >= len(data) {
				return 0, 1
			}
			c := data[pos]
			pos++
			v |= uint64(c&0x7F) << (7 * uint(i))
			if c&0x80 == 0 {
				if c == 0 && i > 0 {
					return 0, -1
				}
				return v, 0
			}
			if i+1 == 9 {
				return 0, -1
			}
		}
	}
	count, r := next()
	if r != 0 {
		return 0, r
	}
	if count != uint64(len(blocks)) {
		return 0, -1
	}
	var sumU, sumS, blkU, blkS int64
	for _, b := range blocks {
		blkU += ceil4(b.unpadded)
		blkS += b.uncompressed
	}
	recs := make([]indexRecord, 0, len(blocks))
	for range blocks {
		u, r := next()
		if r != 0 {
			return 0, r
		}
		if u < unpaddedSizeMin || u > unpaddedSizeMax {
			return 0, -1
		}
		s, r := next()
		if r != 0 {
			return 0, r
		}
		sumU += ceil4(int64(u))
		sumS += int64(s)
		if sumU > blkU || sumS > blkS || sumU < 0 || sumS < 0 {
			return 0, -1
		}
		recs = append(recs, indexRecord{int64(u), int64(s)})
	}
	for (pos-start)%4 != 0 {
		if pos >= len(data) {
			return 0, 1
		}
		if data[pos] != 0 {
			return 0, -1
		}
		pos++
	}
	for i, b := range blocks {
		if recs[i] != b {
			return 0, -1
		}
	}
	if len(data)-pos < 4 {
		return 0, 1
	}
	if crc32.ChecksumIEEE(data[start:pos]) != le32(data[pos:pos+4]) {
		return 0, -1
	}
	return pos + 4, 0
}
