//go:build linux

package pure

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Atomic extraction, as core/src/extract.c: decode into a temporary file
// in the destination's directory, check, set the mode, sync, rename over
// the destination, sync the directory. Readers of the destination see the
// old file or the whole new one; every failure removes the temporary.
//
// Where the file system supports O_TMPFILE the temporary has no name
// while it is written, so even a killed process leaves nothing behind; it
// is named (linkat through /proc/self/fd) only when complete, just before
// the rename. Elsewhere it is created with O_EXCL as ".smk-tmp.<random>".

const (
	pathMax = 4096 // PATH_MAX
	nameMax = 255  // NAME_MAX
)

// isDir is is_dir: stat (following symlinks) says directory.
func isDir(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

// mkdirP is smk_mkdir_p: mkdir -p of path itself, mode 0777 less umask.
func mkdirP(path string) int {
	if hasNUL(path) {
		return codeEINVAL
	}
	if path == "" {
		return codeENOENT
	}
	if isDir(path) {
		return 0
	}
	for i := 1; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		if path[i-1] == '/' {
			continue // repeated slashes
		}
		part := path[:i]
		err := unix.Mkdir(part, 0777)
		if err == nil {
			continue
		}
		switch {
		case err == unix.EEXIST || err == unix.EISDIR:
			if !isDir(part) {
				return codeENOTDIR
			}
		case err == unix.EACCES && isDir(part):
			// An existing component we may not write in.
		default:
			return neg(err)
		}
	}
	return 0
}

// mkdirParents is smk_mkdir_parents: mkdir -p of the directory holding
// path.
func mkdirParents(path string) int {
	slash := strings.LastIndexByte(path, '/')
	if slash <= 0 {
		return 0 // the current or the root directory
	}
	return mkdirP(path[:slash])
}

// checkDestName is check_dest_name: the checks on a destination that need
// no file system. On success it returns the last component.
func checkDestName(dest string) (string, int) {
	if hasNUL(dest) {
		return "", codeEINVAL
	}
	if dest == "" {
		return "", codeENOENT
	}
	if len(dest) >= pathMax {
		return "", codeENAMETOOLONG
	}
	if dest[len(dest)-1] == '/' {
		return "", codeEISDIR
	}
	base := dest[strings.LastIndexByte(dest, '/')+1:]
	if len(base) > nameMax {
		return "", codeENAMETOOLONG
	}
	if base == "." || base == ".." {
		return "", codeEISDIR
	}
	return base, 0
}

// extractJob is struct smk_extract_job.
type extractJob struct {
	p      *Payload
	dest   string
	result int
	st     unix.Stat_t // out: identity of the file renamed into place

	dirfd       int
	dirSyncable bool
	fd          int
	namedTmp    bool
	tmpName     string
	base        string
}

// openDestinationDir splits dest into an open directory and a last
// component, and fails early if the rename is bound to fail (a
// directory at dest).
func (j *extractJob) openDestinationDir() int {
	base, rc := checkDestName(j.dest)
	if rc != 0 {
		return rc
	}
	j.base = base
	var dir string
	switch slash := len(j.dest) - len(base) - 1; {
	case slash < 0:
		dir = "."
	case slash == 0:
		dir = "/"
	default:
		dir = j.dest[:slash]
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	j.dirSyncable = err == nil
	if err == unix.EACCES {
		// Writable but not readable (mode 0300): still usable for *at()
		// calls, only not for fsync.
		fd, err = unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return neg(err)
	}
	j.dirfd = fd
	var st unix.Stat_t
	if unix.Fstatat(j.dirfd, j.base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil &&
		st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return codeEISDIR
	}
	return 0
}

var tmpCounter atomic.Uint64

// randomName is random_name: ".smk-tmp." and 16 hex digits mixed from the
// time, the pid and a counter.
func randomName() string {
	now := time.Now()
	x := uint64(now.Nanosecond())*0x9E3779B97F4A7C15 ^
		uint64(now.Unix()) ^
		uint64(os.Getpid())<<32 ^
		tmpCounter.Add(1)*0xBF58476D1CE4E5B9
	x ^= x >> 31
	x *= 0x94D049BB133111EB
	x ^= x >> 29
	s := strconv.FormatUint(x, 16)
	return ".smk-tmp." + strings.Repeat("0", 16-len(s)) + s
}

func procPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// noTmpfile makes createTemp skip O_TMPFILE, so tests can take the path
// of file systems without it.
var noTmpfile atomic.Bool

func (j *extractJob) createTemp() int {
	fd, err := unix.Openat(j.dirfd, ".", unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0600)
	if err == nil && noTmpfile.Load() {
		unix.Close(fd)
		err = unix.EOPNOTSUPP
	}
	if err == nil {
		if unix.Access(procPath(fd), unix.F_OK) == nil {
			j.fd = fd
			j.namedTmp = false
			return 0
		}
		// No /proc to give it a name by later: use a named file.
		unix.Close(fd)
	}
	// Unsupported here (EOPNOTSUPP, EISDIR, EINVAL) or refused: the named
	// path below reports the refusal in its own words.
	for attempt := 0; attempt < 100; attempt++ {
		j.tmpName = randomName()
		fd, err = unix.Openat(j.dirfd, j.tmpName,
			unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0600)
		if err == nil {
			j.fd = fd
			j.namedTmp = true
			return 0
		}
		if err != unix.EEXIST {
			return neg(err)
		}
	}
	return codeEEXIST
}

func (j *extractJob) discardTemp() {
	if j.fd >= 0 {
		unix.Close(j.fd)
		j.fd = -1
	}
	if j.namedTmp {
		_ = unix.Unlinkat(j.dirfd, j.tmpName, 0)
		j.namedTmp = false
	}
}

// nameTemp gives an unnamed temporary a random name in the directory.
func (j *extractJob) nameTemp() int {
	proc := procPath(j.fd)
	for attempt := 0; attempt < 100; attempt++ {
		j.tmpName = randomName()
		err := unix.Linkat(unix.AT_FDCWD, proc, j.dirfd, j.tmpName, unix.AT_SYMLINK_FOLLOW)
		if err == nil {
			j.namedTmp = true
			return 0
		}
		if err != unix.EEXIST {
			return neg(err)
		}
	}
	return codeEEXIST
}

func fsyncRetry(fd int) int {
	for {
		err := unix.Fsync(fd)
		if err == nil {
			return 0
		}
		if err != unix.EINTR {
			return neg(err)
		}
	}
}

func (j *extractJob) commit() int {
	if err := unix.Fchmod(j.fd, j.p.Mode); err != nil {
		return neg(err)
	}
	if rc := fsyncRetry(j.fd); rc != 0 {
		return rc
	}
	if !j.namedTmp {
		if rc := j.nameTemp(); rc != 0 {
			return rc
		}
	}
	if err := unix.Renameat(j.dirfd, j.tmpName, j.dirfd, j.base); err != nil {
		return neg(err)
	}
	j.namedTmp = false // it is the destination now
	if err := unix.Fstat(j.fd, &j.st); err != nil {
		return neg(err)
	}
	unix.Close(j.fd)
	j.fd = -1
	if j.dirSyncable {
		rc := fsyncRetry(j.dirfd)
		// Some file systems cannot sync directories; the rename is done
		// all the same.
		if rc == -int(unix.EINVAL) || rc == -int(unix.EROFS) {
			rc = 0
		}
		return rc
	}
	return 0
}

// extractJobs is smk_extract_jobs: runs every job, decoding all of them
// together; returns the first failure's code (in job order) or 0.
func extractJobs(jobs []*extractJob) int {
	var targets []*target
	var targetJob []*extractJob
	for _, j := range jobs {
		j.result = 0
		j.dirfd = -1
		j.fd = -1
		j.namedTmp = false
		j.st = unix.Stat_t{}
		if j.p == nil {
			j.result = codeEINVAL
			continue
		}
		j.result = j.openDestinationDir()
		if j.result == 0 {
			j.result = j.createTemp()
		}
		if j.result != 0 {
			continue
		}
		targets = append(targets, &target{p: j.p, mode: modeFile, fd: j.fd})
		targetJob = append(targetJob, j)
	}
	decode(targets)
	for i, t := range targets {
		j := targetJob[i]
		j.result = t.code()
		if j.result == 0 {
			j.result = j.commit()
		}
	}
	first := 0
	for _, j := range jobs {
		j.discardTemp()
		if j.dirfd >= 0 {
			unix.Close(j.dirfd)
		}
		j.dirfd = -1
		if j.result != 0 && first == 0 {
			first = j.result
		}
	}
	return first
}

// ExtractTo writes the payload to dest atomically, with the payload's
// mode (smk_asset_extract_to). The parent directory must exist. An
// existing file at dest is replaced; a symlink at dest is replaced
// itself, never written through. On failure dest is as it was and no
// temporary remains. Returns 0 or the core's code: -ENOENT (dest empty or
// its directory missing), -ENOTDIR, -EISDIR (dest is, or ends with a
// slash naming, a directory), -ENAMETOOLONG, -EACCES, -ENOSPC, ...,
// ErrCorrupt, ErrSize, ErrUnsupported; -EINVAL for a nil payload or a
// path holding a NUL byte.
func ExtractTo(p *Payload, dest string) int {
	if p == nil || hasNUL(dest) {
		return codeEINVAL
	}
	return extractJobs([]*extractJob{{p: p, dest: dest}})
}

// ExtractToWithParents is ExtractTo after creating the missing
// directories leading to dest, like mkdir -p with mode 0777 less the
// umask (smk_asset_extract_to_with_parents). The name is checked before
// any directory is made. Returns the codes of ExtractTo, and -ENOTDIR if
// an existing component is not a directory, or a failed mkdir's -errno.
func ExtractToWithParents(p *Payload, dest string) int {
	if p == nil {
		return codeEINVAL
	}
	if _, rc := checkDestName(dest); rc != 0 {
		return rc
	}
	if rc := mkdirParents(dest); rc != 0 {
		return rc
	}
	return ExtractTo(p, dest)
}

// ExtractAll extracts every payload into dir under its FileName, creating
// dir and its parents if missing (smk_extract_all_to, with per-asset
// results). Each file is written atomically as by ExtractTo; all payloads
// are decoded together, their blocks sharing one pool of workers. Files
// already renamed into place stay when another fails.
//
// results[i] is 0 or payload i's failure. If dir itself fails (empty:
// -ENOENT; a NUL byte: -EINVAL; mkdir -p failing, e.g. -ENOTDIR), rc is
// that code and every results[i] is NotAttempted. Otherwise rc is the
// first failure in payload order, or 0.
func ExtractAll(ps []*Payload, dir string) (results []int, rc int) {
	if rc := mkdirP(dir); rc != 0 {
		return notAttempted(len(ps)), rc
	}
	jobs := make([]*extractJob, len(ps))
	for i, p := range ps {
		jobs[i] = &extractJob{p: p}
		if p != nil {
			jobs[i].dest = pathJoin(dir, p.FileName)
		}
	}
	extractJobs(jobs)
	results = make([]int, len(ps))
	for i, j := range jobs {
		results[i] = j.result
	}
	return results, firstFailure(results)
}
