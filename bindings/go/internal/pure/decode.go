//go:build linux

package pure

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ulikunitz/xz"
	"golang.org/x/sys/unix"
)

// Decoding payloads in parallel across xz blocks, as core/src/decode.c.
//
// The stream's index gives every block's place in the compressed and the
// decoded data, so each block is decoded on its own, by whichever worker
// takes it, and handed on at its own offset: written to a file (pwrite),
// decoded straight into memory, or compared with a file's bytes there
// (pread; how Verify checks files). A block goes to the xz package as a
// standalone stream of its own (see miniStream), so the package verifies
// its header, its check and its sizes. Anything that is not one stream
// with a proper index falls back to one sequential decoder over the whole
// payload. The decoded total must equal the recorded size.

const (
	chunkSize  = 1 << 20 // decoded bytes handed on at a time
	readChunk  = 1 << 18 // file bytes read at a time to compare
	maxWorkers = 32
)

var errEOF = io.EOF

// decodeMode says where decoded bytes go.
type decodeMode int

const (
	modeFile    decodeMode = iota // pwrite to fd at the decoded offsets
	modeMemory                    // into mem, Size bytes
	modeCompare                   // pread fd at the decoded offsets and compare
)

// target is struct smk_decode_target: one payload to decode, and its
// result (0 or the first failure's code).
type target struct {
	p      *Payload
	mode   decodeMode
	fd     int
	mem    []byte
	result atomic.Int32
}

func (t *target) fail(code int)  { t.result.CompareAndSwap(0, int32(code)) }
func (t *target) failed() bool   { return t.result.Load() != 0 }
func (t *target) code() int      { return int(t.result.Load()) }
func (t *target) setCode(rc int) { t.result.Store(int32(rc)) }

type itemKind int

const (
	itemBlock  itemKind = iota // one block, from the index
	itemStream                 // the whole payload, sequentially
)

// item is one unit of work for the pool.
type item struct {
	t       *target
	kind    itemKind
	check   byte        // itemBlock: the stream's check ID
	header  []byte      // itemBlock: the stream header
	block   []byte      // itemBlock: the block, header to check
	rec     indexRecord // itemBlock: the block's index record
	outOff  int64
	outSize int64
}

// buffers are a worker's, allocated on first need.
type buffers struct {
	out []byte // chunkSize: decoded bytes (file and compare modes)
	in  []byte // readChunk: file bytes (compare mode)
}

func (b *buffers) get(mode decodeMode) {
	if mode != modeMemory && b.out == nil {
		b.out = make([]byte, chunkSize)
	}
	if mode == modeCompare && b.in == nil {
		b.in = make([]byte, readChunk)
	}
}

// planBlocks plans the blocks of a single-stream payload from its index
// (plan_blocks): 1 if the payload has another layout (the caller falls
// back to the sequential decoder), 0 when planned, or an error code.
func planBlocks(t *target, items *[]item) int {
	data := t.p.Data
	size := len(data)
	if size < 2*streamHeaderSize {
		return ErrCorrupt
	}
	check, rc := decodeStreamHeader(data[:streamHeaderSize])
	if rc != 0 {
		return rc
	}
	if !checkKnown(check) {
		return ErrUnsupported
	}
	fcheck, backward, rc := decodeStreamFooter(data[size-streamHeaderSize:])
	if rc != 0 || fcheck != check {
		return 1 // stream padding, or damage the stream decoder will name
	}
	indexEnd := size - streamHeaderSize
	if backward > int64(indexEnd-streamHeaderSize) {
		return ErrCorrupt
	}
	indexStart := indexEnd - int(backward)
	recs, stop, rc := decodeIndex(data, indexStart, indexEnd)
	if rc != 0 {
		return rc
	}
	var total, uncompressed int64
	for _, r := range recs {
		total += ceil4(r.unpadded)
		uncompressed += r.uncompressed
	}
	if stop != indexEnd || streamHeaderSize+total != int64(indexStart) {
		return 1 // several streams: not described by this index
	}
	if uncompressed != t.p.Size {
		return ErrSize
	}
	inOff, outOff := int64(streamHeaderSize), int64(0)
	for _, r := range recs {
		blockSize := ceil4(r.unpadded)
		if inOff+blockSize > int64(indexStart) {
			return ErrCorrupt
		}
		*items = append(*items, item{
			t:       t,
			kind:    itemBlock,
			check:   check,
			header:  data[:streamHeaderSize],
			block:   data[inOff : inOff+blockSize],
			rec:     r,
			outOff:  outOff,
			outSize: r.uncompressed,
		})
		inOff += blockSize
		outOff += r.uncompressed
	}
	return 0
}

func plan(t *target, items *[]item) int {
	if t.p == nil {
		return codeEINVAL
	}
	rc := planBlocks(t, items)
	if rc <= 0 {
		return rc
	}
	*items = append(*items, item{t: t, kind: itemStream, outSize: t.p.Size})
	return 0
}

// decode decodes every target (smk_decode), spreading the blocks of all
// of them over runtime.GOMAXPROCS workers (at most 32, the caller being
// one). A target stops being worked on at its first failure. Returns the
// first failing target's code, or 0.
func decode(targets []*target) int {
	var items []item
	for _, t := range targets {
		t.setCode(0)
		if rc := plan(t, &items); rc != 0 {
			t.setCode(rc)
		}
	}
	n := runtime.GOMAXPROCS(0)
	if n > len(items) {
		n = len(items)
	}
	if n > maxWorkers {
		n = maxWorkers
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker(items, &next)
		}()
	}
	worker(items, &next)
	wg.Wait()
	for _, t := range targets {
		if rc := t.code(); rc != 0 {
			return rc
		}
	}
	return 0
}

func worker(items []item, next *atomic.Int64) {
	var bufs buffers
	for {
		i := next.Add(1) - 1
		if i >= int64(len(items)) {
			return
		}
		it := &items[i]
		if it.t.failed() {
			continue
		}
		bufs.get(it.t.mode)
		var rc int
		if it.kind == itemBlock {
			rc = decodeBlock(it, &bufs)
		} else {
			rc = decodeStream(it, &bufs)
		}
		if rc != 0 {
			it.t.fail(rc)
		}
	}
}

func decodeBlock(it *item, bufs *buffers) int {
	if rc := checkBlockHeader(it.block, it.check, it.rec.unpadded, it.rec.uncompressed); rc != 0 {
		return rc
	}
	r, err := newReader(xz.ReaderConfig{SingleStream: true}, &segments{segs: miniStream(it.header, it.block, it.rec)})
	if err != nil {
		return xzCode(err)
	}
	return run(it.t, r, it.outOff, it.outSize, bufs, nil)
}

func decodeStream(it *item, bufs *buffers) int {
	data := it.t.p.Data
	w := walkStreams(data, true)
	in := bytes.NewReader(data)
	w.input = in
	// Several streams and stream padding, as LZMA_CONCATENATED.
	r, err := newReader(xz.ReaderConfig{}, in)
	if err != nil {
		return w.stopped(err, it.t.mode == modeMemory && it.outSize == 0)
	}
	return run(it.t, r, 0, it.outSize, bufs, &w)
}

// run is run_decoder: it reads the decoder to its end, sending the output
// to the target from outOff on, and checks that it produced exactly
// outSize bytes.
//
// w is nil for a block: then every size mismatch is corruption, as
// liblzma's block decoder, which knows the sizes from the index, reports
// it. For a sequential decode, w says where liblzma would stop: the
// decode stops after the output liblzma would have produced, with
// liblzma's code.
//
// In compare mode a difference from the file is not the answer yet (the
// bytes may be what the decoder made of damaged data before a check
// caught it): the decode runs on to its end, comparing no more, and the
// file's code (ErrChecksum, ErrSize) is returned only if the payload
// proves sound, as the core does.
func run(t *target, r io.Reader, outOff, outSize int64, bufs *buffers, w *walkResult) int {
	sizeErr := ErrSize
	if w == nil {
		sizeErr = ErrCorrupt
	}
	stops := w != nil && !w.clean
	var produced int64
	mismatch := 0
	// done is the answer of a decode that ended with rc.
	done := func(rc int) int {
		if rc == 0 {
			return mismatch
		}
		return rc
	}
	for {
		if stops && produced >= w.out {
			// Where liblzma stops producing: let the xz package read on
			// to there (a block's check comes first), then stop.
			var probe [1]byte
			if _, err := readFull(r, probe[:]); err != nil {
				return done(w.stopped(err, t.mode == modeMemory && produced == outSize))
			}
			return done(w.verdict(t.mode == modeMemory && produced == outSize))
		}
		var out []byte
		if t.mode == modeMemory {
			// Straight into memory, with no slack: a byte beyond the
			// recorded size is an error.
			out = t.mem[outOff+produced : outOff+outSize]
		} else {
			out = bufs.out
		}
		if stops && int64(len(out)) > w.out-produced {
			out = out[:w.out-produced]
		}
		var n int
		var err error
		if len(out) == 0 {
			// No room left: the decoder must end here.
			var probe [1]byte
			n, err = readFull(r, probe[:])
			if n > 0 {
				return sizeErr
			}
		} else {
			n, err = readFull(r, out)
		}
		if int64(n) > outSize-produced {
			return sizeErr
		}
		if t.mode != modeMemory && n > 0 && mismatch == 0 {
			rc := emit(t, out[:n], outOff+produced, bufs)
			if t.mode == modeCompare && (rc == ErrChecksum || rc == ErrSize) {
				mismatch = rc
			} else if rc != 0 {
				return rc
			}
		}
		produced += int64(n)
		if err == io.EOF && !stops {
			break
		}
		if err != nil {
			if stops {
				return done(w.stopped(err, t.mode == modeMemory && produced == outSize))
			}
			return done(xzCode(err))
		}
		if t.failed() {
			return mismatch // another part failed; stop early
		}
	}
	if produced != outSize {
		return sizeErr
	}
	return mismatch
}

var errNoProgress = errors.New("xz reader makes no progress")

// readFull reads until p is full or the reader fails; it is one
// lzma_code(LZMA_FINISH) call of the core.
func readFull(r io.Reader, p []byte) (n int, err error) {
	idle := 0
	for n < len(p) {
		var k int
		k, err = safeRead(r, p[n:])
		n += k
		if err != nil {
			return n, err
		}
		if k == 0 {
			if idle++; idle > 100 {
				return n, errNoProgress
			}
		}
	}
	return n, nil
}

var errPanic = errors.New("xz decoder failed on malformed input")

// safeRead reads from the xz package's reader; a panic in it (possible
// on malformed input) is reported as a decoding error.
func safeRead(r io.Reader, p []byte) (n int, err error) {
	defer func() {
		if recover() != nil {
			n, err = 0, errPanic
		}
	}()
	return r.Read(p)
}

func newReader(c xz.ReaderConfig, in io.Reader) (r *xz.Reader, err error) {
	defer func() {
		if recover() != nil {
			r, err = nil, errPanic
		}
	}()
	return c.NewReader(in)
}

// The xz package's errors for features it lacks, where liblzma reports
// LZMA_OPTIONS_ERROR or LZMA_UNSUPPORTED_CHECK. Its other errors are all
// of damaged data. (github.com/ulikunitz/xz v0.5.17 has no typed errors.)
var unsupportedMessages = map[string]bool{
	"xz: invalid flags":                                       true,
	"xz: invalid filter id":                                   true,
	"xz: unsupported filter count":                            true,
	"xz: reserved block header flags set":                     true,
	"xz: padding (4 zero bytes) encountered":                  true,
	"xz: wrong LZMA2 filter size":                             true,
	"xz: wrong LZMA2 dictionary size property":                true,
	"xz: data for LZMA2 filter has wrong length":              true,
	"xz: LZMA2 filter parameter dictionary capacity overflow": true,
}

// xzCode maps an error of the xz package as the core's lzma_code_to_error
// maps liblzma's.
func xzCode(err error) int {
	if err == nil {
		return 0
	}
	if unsupportedMessages[err.Error()] {
		return ErrUnsupported
	}
	return ErrCorrupt
}

// emit hands decoded bytes to a file target: compares them with the file,
// or writes them and starts writeback at once so the final fsync has
// little left to wait for.
func emit(t *target, buf []byte, off int64, bufs *buffers) int {
	if t.mode == modeCompare {
		return compareAt(t.fd, buf, off, bufs.in)
	}
	if rc := writeAllAt(t.fd, buf, off); rc != 0 {
		return rc
	}
	_ = unix.SyncFileRange(t.fd, off, int64(len(buf)), unix.SYNC_FILE_RANGE_WRITE)
	return 0
}

func writeAllAt(fd int, buf []byte, off int64) int {
	for len(buf) > 0 {
		n, err := unix.Pwrite(fd, buf, off)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return neg(err)
		}
		if n == 0 {
			return codeEIO
		}
		buf = buf[n:]
		off += int64(n)
	}
	return 0
}

// compareAt: does the file hold want at off? ErrChecksum at the first
// difference, ErrSize if the file ends first.
func compareAt(fd int, want []byte, off int64, buf []byte) int {
	for len(want) > 0 {
		n := len(want)
		if n > len(buf) {
			n = len(buf)
		}
		got, err := unix.Pread(fd, buf[:n], off)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return neg(err)
		}
		if got == 0 {
			return ErrSize // shorter than the asset
		}
		if !bytes.Equal(buf[:got], want[:got]) {
			return ErrChecksum
		}
		want = want[got:]
		off += int64(got)
	}
	return 0
}

// decodePrefix decodes only the first len(out) bytes of a payload
// (smk_decode_prefix), with one sequential decoder of the first stream.
func decodePrefix(p *Payload, out []byte) int {
	if int64(len(out)) > p.Size {
		return ErrSize
	}
	w := walkStreams(p.Data, false)
	in := bytes.NewReader(p.Data)
	w.input = in
	want := int64(len(out))
	// Where liblzma stops before len(out) bytes, LZMA_RUN runs out of
	// input (LZMA_BUF_ERROR) or fails.
	stops := !w.clean && w.out < want
	if stops {
		want = w.out
	}
	r, err := newReader(xz.ReaderConfig{SingleStream: true}, in)
	if err != nil {
		if stops {
			return w.stopped(err, false)
		}
		return xzCode(err)
	}
	n, err := readFull(r, out[:want])
	switch {
	case n == len(out):
		return 0
	case stops:
		if err == nil {
			var probe [1]byte
			_, err = readFull(r, probe[:])
		}
		return w.stopped(err, false)
	case w.clean && (err == io.EOF || err != nil && err.Error() == "xz: unexpected data after stream"):
		return ErrSize // the stream ended first (LZMA_STREAM_END)
	}
	return xzCode(err)
}

// decodeRange decodes the payload's bytes [offset, offset+len(out)) into
// out, decoding only the xz blocks that hold them, each on its own with
// its check verified (smk_decode_range): 0, ErrSize if the range passes
// the end, or the codes of decoding. A payload not laid out as one stream
// of indexed blocks is decoded from its start up to the end of the range.
func decodeRange(p *Payload, offset uint64, out []byte) int {
	size := uint64(p.Size)
	if offset > size || uint64(len(out)) > size-offset {
		return ErrSize
	}
	if offset == 0 {
		return decodePrefix(p, out)
	}
	end := offset + uint64(len(out))
	t := &target{p: p, mode: modeMemory, fd: -1}
	var items []item
	rc := plan(t, &items)
	switch {
	case rc != 0:
		return rc
	case len(items) > 0 && items[0].kind == itemBlock:
		for i := range items {
			it := &items[i]
			from, to := uint64(it.outOff), uint64(it.outOff+it.outSize)
			if to <= offset || from >= end {
				continue
			}
			if rc := decodeBlockPart(it, offset, out); rc != 0 {
				return rc
			}
		}
		return 0
	}
	prefix := make([]byte, end)
	if rc := decodePrefix(p, prefix); rc != 0 {
		return rc
	}
	copy(out, prefix[offset:])
	return 0
}

// decodeBlockPart copies what the block decodes of the range out stands
// for (from offset on), decoding the block alone into a buffer of its own
// (decode_block_part).
func decodeBlockPart(it *item, offset uint64, out []byte) int {
	t := &target{p: it.t.p, mode: modeMemory, fd: -1, mem: make([]byte, it.outSize)}
	one := *it
	one.t = t
	one.outOff = 0
	var bufs buffers
	rc := decodeBlock(&one, &bufs)
	if rc == 0 && t.failed() {
		rc = t.code()
	}
	if rc != 0 {
		return rc
	}
	from := max(offset, uint64(it.outOff))
	to := min(offset+uint64(len(out)), uint64(it.outOff+it.outSize))
	copy(out[from-offset:to-offset], t.mem[from-uint64(it.outOff):])
	return 0
}
