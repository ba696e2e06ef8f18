//go:build linux

package pure

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// The ensure stamp, byte for byte as core/src/ensure.c reads and writes
// it, so that either implementation trusts the other's:
//
//	supermachine-kernel-stamp 1
//	NAME SHA256 DEV INO SIZE MODE MTIME_S MTIME_NS CTIME_S CTIME_NS
//
// one line per asset whose file was last written or fully checked, MODE
// being st_mode in octal.

const (
	stampName  = ".supermachine-kernel.stamp"
	lockName   = ".supermachine-kernel.lock"
	stampMagic = "supermachine-kernel-stamp 1"
)

// identity is what a stamp line records about one file.
type identity struct {
	valid                            bool
	sha256                           string // the asset's recorded digest: names its content
	dev, ino, size, mode             uint64
	mtimeS, mtimeNs, ctimeS, ctimeNs int64
}

func identityOf(p *Payload, st *unix.Stat_t) identity {
	sha := p.SHA256
	if len(sha) > 64 {
		sha = sha[:64] // char sha256[65]
	}
	return identity{
		valid:   true,
		sha256:  sha,
		dev:     uint64(st.Dev),
		ino:     uint64(st.Ino),
		size:    uint64(st.Size),
		mode:    uint64(st.Mode),
		mtimeS:  int64(st.Mtim.Sec),
		mtimeNs: int64(st.Mtim.Nsec),
		ctimeS:  int64(st.Ctim.Sec),
		ctimeNs: int64(st.Ctim.Nsec),
	}
}

// stillGood: does the file as it is now still have the identity recorded,
// and is that identity one of a correct file?
func stillGood(rec *identity, p *Payload, st *unix.Stat_t) bool {
	if !rec.valid || st.Mode&unix.S_IFMT != unix.S_IFREG || !ownedByUs(st) || st.Mode&07777 != p.Mode ||
		st.Size != p.Size || rec.sha256 != p.SHA256 {
		return false
	}
	now := identityOf(p, st)
	return now.dev == rec.dev && now.ino == rec.ino && now.size == rec.size &&
		now.mode == rec.mode && now.mtimeS == rec.mtimeS && now.mtimeNs == rec.mtimeNs &&
		now.ctimeS == rec.ctimeS && now.ctimeNs == rec.ctimeNs
}

// readStamp reads the stamp in dir; missing, unreadable or untrustworthy
// records stay invalid. The stamp is never followed if a link nor waited
// for if a FIFO, and trusted only if a regular file of this user that no
// one else may write. Lines are taken as the core's fgets(512) and sscanf
// take them.
func readStamp(dir string, ps []*Payload) []identity {
	ids := make([]identity, len(ps))
	fd, err := unix.Open(pathJoin(dir, stampName),
		unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return ids
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG ||
		st.Uid != uint32(os.Geteuid()) || st.Mode&022 != 0 {
		unix.Close(fd)
		return ids
	}
	f := os.NewFile(uintptr(fd), stampName)
	defer f.Close()
	r := bufio.NewReader(f)
	line, ok := fgets(r, 512)
	if !ok || !strings.HasPrefix(line, stampMagic+"\n") {
		return ids
	}
	for {
		line, ok := fgets(r, 512)
		if !ok {
			return ids
		}
		name, id, ok := scanStampLine(line)
		if !ok {
			continue
		}
		for i, p := range ps {
			if p != nil && name == p.Name {
				id.valid = true
				ids[i] = id
			}
		}
	}
}

// fgets reads as C's fgets(buf, size, f): up to size-1 bytes, through the
// first newline; false at the end (or on an error) with nothing read. The
// result is cut at its first NUL, as C sees it.
func fgets(r *bufio.Reader, size int) (string, bool) {
	var b []byte
	for len(b) < size-1 {
		c, err := r.ReadByte()
		if err != nil {
			if len(b) == 0 {
				return "", false
			}
			break
		}
		b = append(b, c)
		if c == '\n' {
			break
		}
	}
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b), true
}

// scanStampLine is the core's
// sscanf("%63s %64s %llu %llu %llu %llo %lld %lld %lld %lld") == 10.
func scanStampLine(line string) (string, identity, bool) {
	var id identity
	sc := cscanner{s: line}
	name, ok := sc.str(63)
	if !ok {
		return "", id, false
	}
	if id.sha256, ok = sc.str(64); !ok {
		return "", id, false
	}
	for _, u := range []struct {
		dst  *uint64
		base uint64
	}{{&id.dev, 10}, {&id.ino, 10}, {&id.size, 10}, {&id.mode, 8}} {
		if *u.dst, ok = sc.unsigned(u.base); !ok {
			return "", id, false
		}
	}
	for _, dst := range []*int64{&id.mtimeS, &id.mtimeNs, &id.ctimeS, &id.ctimeNs} {
		if *dst, ok = sc.signed(); !ok {
			return "", id, false
		}
	}
	return name, id, true
}

// cscanner scans a string as glibc's sscanf does for %Ns, %llu, %llo and
// %lld (strtoull/strtoll semantics: an optional sign, wrap-around negation
// for unsigned, saturation on overflow).
type cscanner struct {
	s string
	i int
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func (sc *cscanner) skipSpace() {
	for sc.i < len(sc.s) && isCSpace(sc.s[sc.i]) {
		sc.i++
	}
}

func (sc *cscanner) str(width int) (string, bool) {
	sc.skipSpace()
	start := sc.i
	for sc.i < len(sc.s) && !isCSpace(sc.s[sc.i]) && sc.i-start < width {
		sc.i++
	}
	return sc.s[start:sc.i], sc.i > start
}

// digits reads an optional sign and digits of base; overflow reports the
// magnitude as saturated.
func (sc *cscanner) digits(base uint64) (neg bool, mag uint64, overflow, ok bool) {
	sc.skipSpace()
	if sc.i < len(sc.s) && (sc.s[sc.i] == '+' || sc.s[sc.i] == '-') {
		neg = sc.s[sc.i] == '-'
		sc.i++
	}
	start := sc.i
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		if c < '0' || uint64(c-'0') >= base {
			break
		}
		d := uint64(c - '0')
		if mag > (math.MaxUint64-d)/base {
			overflow = true
		} else {
			mag = mag*base + d
		}
		sc.i++
	}
	return neg, mag, overflow, sc.i > start
}

func (sc *cscanner) unsigned(base uint64) (uint64, bool) {
	neg, mag, overflow, ok := sc.digits(base)
	switch {
	case !ok:
		return 0, false
	case overflow:
		return math.MaxUint64, true
	case neg:
		return -mag, true
	}
	return mag, true
}

func (sc *cscanner) signed() (int64, bool) {
	neg, mag, overflow, ok := sc.digits(10)
	switch {
	case !ok:
		return 0, false
	case neg && (overflow || mag > 1<<63):
		return math.MinInt64, true
	case neg:
		return -int64(mag), true
	case overflow || mag > math.MaxInt64:
		return math.MaxInt64, true
	}
	return int64(mag), true
}

// writeStamp replaces the stamp, through a fresh temporary (created as
// extraction's are) renamed into place, so that nothing is ever written
// into an inode someone else made. Not synced: a stamp lost in a crash
// only sends the next call down the slow path, and the files it describes
// were synced before it. Best effort: on failure the temporary is removed
// and the old stamp (if any) stays, and any stamp is only ever a hint.
func writeStamp(dir string, ps []*Payload, ids []identity) {
	var b strings.Builder
	b.WriteString(stampMagic + "\n")
	for i, id := range ids {
		if !id.valid {
			continue
		}
		fmt.Fprintf(&b, "%s %s %d %d %d %o %d %d %d %d\n", ps[i].Name, id.sha256,
			id.dev, id.ino, id.size, id.mode, id.mtimeS, id.mtimeNs, id.ctimeS, id.ctimeNs)
	}
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(dirfd)
	tmp, fd, rc := createTempIn(dirfd, 0644)
	if rc != 0 {
		return
	}
	// The umask may have narrowed the mode; the reader wants exactly this.
	ok := unix.Fchmod(fd, 0644) == nil && writeAll(fd, []byte(b.String())) &&
		// Renamed before the close, which drops the writer's lock: a
		// cleaner never sees it named and unlocked.
		unix.Renameat(dirfd, tmp, dirfd, stampName) == nil
	if unix.Close(fd) != nil {
		ok = false
	}
	if !ok {
		_ = unix.Unlinkat(dirfd, tmp, 0)
	}
}

// writeAll writes all of data to fd.
func writeAll(fd int, data []byte) bool {
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return false
		}
		data = data[n:]
	}
	return true
}
