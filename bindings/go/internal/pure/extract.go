//go:build linux

package pure

import (
	"io"
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
//
// A temporary is flock()ed by its writer from creation to the rename, so
// that a later extraction into the same directory can tell one left by a
// killed process (a ".smk-tmp.*" file of ours that nobody holds) from one
// in use, and remove it (cleanStaleTemporaries).

const (
	pathMax   = 4096 // PATH_MAX
	nameMax   = 255  // NAME_MAX
	tmpPrefix = ".smk-tmp."
	// tmpNameLen is the length of a temporary's name: the prefix and 16
	// hex digits.
	tmpNameLen = len(tmpPrefix) + 16

	// linux/fs.h's inode flags (FS_IOC_GETFLAGS), which x/sys/unix lacks.
	fsImmutableFl = 0x10
	fsAppendFl    = 0x20
)

// isDir is is_dir: stat (following symlinks) says directory.
func isDir(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

// checkDirName is smk_check_dir_name: the checks on a directory of
// assets that need no file system, so that nothing is created for one
// that cannot be used. -ENOENT if empty; -ENAMETOOLONG if a component is
// longer than NAME_MAX, or if a file of ps (or a temporary) in it would
// not fit in PATH_MAX.
func checkDirName(ps []*Payload, dir string) int {
	if dir == "" {
		return codeENOENT
	}
	// Room for "/" and the longest name we put there: an asset, a
	// temporary, ensure's stamp or lock.
	longest := max(tmpNameLen, len(stampName), len(lockName))
	for _, p := range ps {
		if p != nil && len(p.FileName) > longest {
			longest = len(p.FileName)
		}
	}
	if len(dir)+1+longest >= pathMax {
		return codeENAMETOOLONG
	}
	for _, part := range strings.Split(dir, "/") {
		if len(part) > nameMax {
			return codeENAMETOOLONG
		}
	}
	return 0
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

	dirPath     string
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
	switch slash := len(j.dest) - len(base) - 1; {
	case slash < 0:
		j.dirPath = "."
	case slash == 0:
		j.dirPath = "/"
	default:
		j.dirPath = j.dest[:slash]
	}
	fd, err := unix.Open(j.dirPath, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	j.dirSyncable = err == nil
	if err == unix.EACCES {
		// Writable but not readable (mode 0300): still usable for *at()
		// calls, only not for fsync.
		fd, err = unix.Open(j.dirPath, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
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
	return checkNotAppendOnly(j.dirfd)
}

// checkNotAppendOnly refuses, before anything is written, a directory
// whose entries cannot be removed or replaced (chattr +a, +i): the rename
// would fail after the whole decode and leave the named temporary behind
// for good.
func checkNotAppendOnly(dirfd int) int {
	flags, err := unix.IoctlGetUint32(dirfd, unix.FS_IOC_GETFLAGS)
	if err == nil && flags&(fsAppendFl|fsImmutableFl) != 0 {
		return -int(unix.EPERM)
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
	return tmpPrefix + strings.Repeat("0", 16-len(s)) + s
}

// lockTemp takes the writer's lock on a temporary just created (never
// contended but by cleanStaleTemporaries, which holds it only briefly).
func lockTemp(fd int) int {
	for {
		err := unix.Flock(fd, unix.LOCK_EX)
		if err == nil {
			return 0
		}
		if err != unix.EINTR {
			return neg(err)
		}
	}
}

// sameFile: is name in dirfd (not followed) the file open as fd?
func sameFile(dirfd int, name string, fd int) bool {
	var a, b unix.Stat_t
	return unix.Fstat(fd, &a) == nil &&
		unix.Fstatat(dirfd, name, &b, unix.AT_SYMLINK_NOFOLLOW) == nil &&
		a.Dev == b.Dev && a.Ino == b.Ino
}

// isTempName: is name one of our temporaries, ".smk-tmp." and 16
// lowercase hex digits?
func isTempName(name string) bool {
	if len(name) != tmpNameLen || !strings.HasPrefix(name, tmpPrefix) {
		return false
	}
	for _, c := range []byte(name[len(tmpPrefix):]) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// cleanStaleTemporaries is smk_clean_stale_temporaries: removes the
// temporaries killed extractions left in the directory, files named as
// ours, regular, of this user, with one link, that no writer holds
// locked. Never follows a link or blocks on a FIFO. Best effort.
func cleanStaleTemporaries(dirfd int) {
	fd, err := unix.FcntlInt(uintptr(dirfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return
	}
	// The duplicate shares dirfd's offset: read from the start whatever it.
	_, _ = unix.Seek(fd, 0, io.SeekStart)
	d := os.NewFile(uintptr(fd), ".")
	names, _ := d.Readdirnames(-1) // fails for an O_PATH descriptor: nothing done
	d.Close()
	euid := uint32(os.Geteuid())
	for _, name := range names {
		if !isTempName(name) {
			continue
		}
		tfd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(tfd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG &&
			st.Uid == euid && st.Nlink == 1 &&
			unix.Flock(tfd, unix.LOCK_EX|unix.LOCK_NB) == nil && sameFile(dirfd, name, tfd) {
			_ = unix.Unlinkat(dirfd, name, 0)
		}
		unix.Close(tfd)
	}
}

// createTempIn is smk_create_temp: a temporary in dirfd under a fresh
// name, created exclusively (never an inode someone else made: no FIFO,
// no hard link written through) with mode, and holding the writer's lock.
func createTempIn(dirfd int, mode uint32) (string, int, int) {
	for attempt := 0; attempt < 100; attempt++ {
		name := randomName()
		fd, err := unix.Openat(dirfd, name,
			unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC|unix.O_NOFOLLOW, mode)
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return "", -1, neg(err)
		}
		if rc := lockTemp(fd); rc != 0 {
			unix.Close(fd)
			_ = unix.Unlinkat(dirfd, name, 0)
			return "", -1, rc
		}
		still, err := stillNamed(dirfd, name, fd)
		if err != nil {
			// Not known either way (a stat failed): fail as a failed
			// lock does, without leaving the name behind.
			unix.Close(fd)
			_ = unix.Unlinkat(dirfd, name, 0)
			return "", -1, neg(err)
		}
		if !still {
			// A cleaner took it for a stale one between our create and
			// our lock: try another name.
			unix.Close(fd)
			continue
		}
		return name, fd, 0
	}
	return "", -1, codeEEXIST
}

// stillNamed: is name in dirfd (not followed) still the file open as fd?
// False if the name is gone or another file's; an error if a stat failed
// otherwise, and so whether the name is still ours cannot be told.
func stillNamed(dirfd int, name string, fd int) (bool, error) {
	var a, b unix.Stat_t
	if err := unix.Fstat(fd, &a); err != nil {
		return false, err
	}
	if err := unix.Fstatat(dirfd, name, &b, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return false, nil
		}
		return false, err
	}
	return a.Dev == b.Dev && a.Ino == b.Ino, nil
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
			if rc := lockTemp(fd); rc != 0 {
				unix.Close(fd)
				return rc
			}
			j.fd = fd
			j.namedTmp = false
			return 0
		}
		// No /proc to give it a name by later: use a named file.
		unix.Close(fd)
	}
	// Unsupported here (EOPNOTSUPP, EISDIR, EINVAL) or refused: the named
	// path below reports the refusal in its own words.
	name, fd, rc := createTempIn(j.dirfd, 0600)
	if rc != 0 {
		return rc
	}
	j.tmpName, j.fd, j.namedTmp = name, fd, true
	return 0
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

// commit sets the mode, syncs and renames the temporary into place.
// Everything that can fail happens before the rename: once the file is in
// place the extraction has succeeded. The directory sync after it only
// makes the rename durable sooner; if it fails, the file is complete and
// in place all the same, so that is not reported.
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
	// The identity after the rename, which moves the file's ctime. If even
	// fstat fails, the file is in place all the same: record no identity,
	// so that ensure's stamp vouches for nothing.
	if unix.Fstat(j.fd, &j.st) != nil {
		j.st = unix.Stat_t{}
	}
	unix.Close(j.fd) // releases the writer's lock
	j.fd = -1
	if j.dirSyncable {
		_ = fsyncRetry(j.dirfd)
	}
	return 0
}

// extractJobs is smk_extract_jobs: runs every job, decoding all of them
// together; returns the first failure's code (in job order) or 0.
func extractJobs(jobs []*extractJob) int {
	for next := 0; next < len(jobs); {
		next = runBatch(jobs, next)
	}
	return firstFailure(resultsOf(jobs))
}

func resultsOf(jobs []*extractJob) []int {
	r := make([]int, len(jobs))
	for i, j := range jobs {
		r[i] = j.result
	}
	return r
}

// runBatch is run_batch: opens the jobs from first on (two descriptors
// each), cleaning each distinct directory of stale temporaries before its
// first temporary is made, and decodes them together. A job refused for
// want of descriptors (EMFILE, ENFILE) when others are already open waits
// for the next batch, so that a low RLIMIT_NOFILE makes extraction
// slower, never fail. Returns where the next batch starts.
func runBatch(jobs []*extractJob, first int) int {
	var targets []*target
	var targetJob []*extractJob
	cleaned := map[string]bool{}
	i := first
	for ; i < len(jobs); i++ {
		j := jobs[i]
		j.result = 0
		j.dirPath = ""
		j.dirfd = -1
		j.fd = -1
		j.namedTmp = false
		j.st = unix.Stat_t{}
		if j.p == nil {
			j.result = codeEINVAL
			continue
		}
		j.result = j.openDestinationDir()
		if j.result == 0 && !cleaned[j.dirPath] {
			cleanStaleTemporaries(j.dirfd)
		}
		if j.dirPath != "" {
			cleaned[j.dirPath] = true
		}
		if j.result == 0 {
			j.result = j.createTemp()
		}
		if (j.result == -int(unix.EMFILE) || j.result == -int(unix.ENFILE)) && len(targets) > 0 {
			j.release()
			break
		}
		if j.result != 0 {
			continue
		}
		targets = append(targets, &target{p: j.p, mode: modeFile, fd: j.fd})
		targetJob = append(targetJob, j)
	}
	decode(targets)
	for k, t := range targets {
		j := targetJob[k]
		j.result = t.code()
		if j.result == 0 {
			j.result = j.commit()
		}
	}
	for _, j := range jobs[first:i] {
		j.release()
	}
	return i
}

// release closes what a job holds, removing its temporary if any.
func (j *extractJob) release() {
	j.discardTemp()
	if j.dirfd >= 0 {
		unix.Close(j.dirfd)
	}
	j.dirfd = -1
}

// ExtractTo writes the payload to dest atomically, with the payload's
// mode (smk_asset_extract_to). The parent directory must exist. An
// existing file at dest is replaced; a symlink at dest is replaced
// itself, never written through. On failure dest is as it was and no
// temporary remains. Returns 0 or the core's code: -ENOENT (dest empty or
// its directory missing), -ENOTDIR, -EISDIR (dest is, or ends with a
// slash naming, a directory), -ENAMETOOLONG, -EACCES, -EPERM (an
// append-only or immutable directory, refused before writing), -ENOSPC,
// ..., ErrCorrupt, ErrSize, ErrUnsupported; -EINVAL for a nil payload or
// a path holding a NUL byte. Stale temporaries that killed extractions
// left in the directory are removed first.
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
// -ENOENT; a NUL byte: -EINVAL; too long for a file or a temporary in it
// to be named, or a component longer than NAME_MAX: -ENAMETOOLONG, before
// anything is created; mkdir -p failing, e.g. -ENOTDIR), rc is that code
// and every results[i] is NotAttempted. Otherwise rc is the first failure
// in payload order, or 0.
func ExtractAll(ps []*Payload, dir string) (results []int, rc int) {
	if hasNUL(dir) {
		return notAttempted(len(ps)), codeEINVAL
	}
	if rc := checkDirName(ps, dir); rc != 0 {
		return notAttempted(len(ps)), rc
	}
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
	results = resultsOf(jobs)
	return results, firstFailure(results)
}
