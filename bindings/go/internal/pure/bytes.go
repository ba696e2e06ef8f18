//go:build linux

package pure

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Decoding a payload into memory, as core/src/bytes.c does on first use.

var (
	emptyOnce sync.Once
	emptyPage []byte
	emptyRC   int
)

// emptyMapping is a read-only page, something page-aligned to point at
// for an empty payload; one for the process.
func emptyMapping() ([]byte, int) {
	emptyOnce.Do(func() {
		m, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			emptyRC = neg(err)
			return
		}
		emptyPage = m[:0:0]
	})
	return emptyPage, emptyRC
}

// Bytes decodes the whole payload, in parallel across its xz blocks, into
// a fresh page-aligned anonymous mapping and makes it read-only, so that a
// stray write faults instead of changing what every other user sees. The
// mapping is never unmapped: the caller decodes once and keeps the slice
// for the life of the process. An empty payload is not decoded; it gets a
// shared read-only page, sliced to length 0. Returns 0, -ENOMEM (or the
// mmap's -errno), ErrCorrupt, ErrSize or ErrUnsupported.
func Bytes(p *Payload) ([]byte, int) {
	if p == nil {
		return nil, codeEINVAL
	}
	if p.Size == 0 {
		return emptyMapping()
	}
	page := int64(os.Getpagesize())
	mapped := (p.Size + page - 1) / page * page
	if mapped != int64(int(mapped)) || mapped < p.Size {
		return nil, -int(unix.ENOMEM)
	}
	m, err := unix.Mmap(-1, 0, int(mapped), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, neg(err)
	}
	t := &target{p: p, mode: modeMemory, fd: -1, mem: m[:p.Size]}
	if rc := decode([]*target{t}); rc != 0 {
		_ = unix.Munmap(m)
		return nil, rc
	}
	_ = unix.Mprotect(m, unix.PROT_READ)
	return m[:p.Size:p.Size], 0
}
