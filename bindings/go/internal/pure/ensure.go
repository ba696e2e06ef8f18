//go:build linux

package pure

import (
	"os"
	"os/user"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Ensure, as core/src/ensure.c. The warm path reads the stamp and lstat()s
// each file: device, inode, size, mode, mtime and ctime must be those
// recorded right after the file was written or fully checked, with the
// asset's recorded SHA-256. Every change made through the file system
// moves the ctime or replaces the inode, so it is caught; Verify is the
// full check. The slow path holds an exclusive flock on the lock file, so
// concurrent callers — goroutines, processes, the C core — do the work
// once; the later ones re-read the stamp under the lock and find it done.
//
// Both files are only optimisations, and are handled as hostile input:
// the assets' own atomic extraction is what keeps the directory right.
// Neither is opened in a way that follows a link or blocks (a FIFO at
// their names); the stamp is replaced through a fresh temporary, never
// written in place; the lock is waited for at most lockWait, then the
// work is done without it (duplicated, still correct); a stamp is trusted
// only if a regular file of this user, not writable by others, in a
// directory of this user or root; failing to write it fails nothing.

// lockWait is how long the slow path waits for another holder of the
// lock before doing the work without it (LOCK_WAIT_MS).
const lockWait = 5000 * time.Millisecond

// goodByStamp says which assets are good according to the stamp.
func goodByStamp(dir string, ps []*Payload, paths []string, ids []identity) []bool {
	copy(ids, readStamp(dir, ps))
	good := make([]bool, len(ps))
	for i, p := range ps {
		var st unix.Stat_t
		good[i] = p != nil && ids[i].valid && unix.Lstat(paths[i], &st) == nil &&
			stillGood(&ids[i], p, &st)
	}
	return good
}

// dirTrusted: may a stamp in dir be trusted at all? Only if no other user
// (root aside) owns the directory, and so could plant one.
func dirTrusted(dir string) bool {
	var st unix.Stat_t
	return unix.Stat(dir, &st) == nil && (st.Uid == uint32(os.Geteuid()) || st.Uid == 0)
}

// lockDir takes the directory's lock, waiting at most lockWait for
// another holder. It returns the lock's descriptor and 0; -1 and 0 to
// proceed without a lock (it being unusable — a link, a directory, a
// FIFO... — or held too long); or -1 and -EACCES, -EROFS, -EPERM when the
// directory cannot be written.
func lockDir(dir string) (int, int) {
	const flags = unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC
	path := pathJoin(dir, lockName)
	// An existing lock is opened read-only (flock needs no more), so a FIFO
	// or device planted there is never opened for writing; a new one is
	// created exclusively, 0600: a lock other users cannot open is one
	// they cannot hold.
	var fd int
	var err error
	creating := false
	for attempt := 0; attempt < 3; attempt++ {
		creating = false
		fd, err = unix.Open(path, unix.O_RDONLY|flags, 0)
		if err != unix.ENOENT {
			break
		}
		creating = true
		fd, err = unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|flags, 0600)
		if err != unix.EEXIST {
			break
		}
	}
	switch {
	case err != nil && creating && (err == unix.EACCES || err == unix.EROFS || err == unix.EPERM):
		// Not allowed to create one: the directory cannot be written.
		return -1, neg(err)
	case err != nil:
		// Someone else's 0600 lock, a link, a directory...: go without.
		return -1, 0
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return -1, 0
	}
	var waited time.Duration
	for step := time.Millisecond; ; {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return fd, 0
		}
		if err == unix.EINTR {
			continue
		}
		if err != unix.EWOULDBLOCK || waited >= lockWait {
			unix.Close(fd)
			return -1, 0
		}
		time.Sleep(step)
		waited += step
		if step < 50*time.Millisecond {
			step *= 2
		}
	}
}

// ownedByUs: a file another user (root aside) owns is never one of ours,
// whatever it holds: its owner could rewrite it in place at any moment
// after the check (a copy planted in a shared directory such as /tmp).
// ensure replaces it, or fails where it may not (a sticky directory).
func ownedByUs(st *unix.Stat_t) bool {
	return int(st.Uid) == unix.Geteuid() || st.Uid == 0
}

// dirAppendOnly is EPERM (negated) for an append-only or immutable dir.
func dirAppendOnly(dir string) int {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	return checkNotAppendOnly(fd)
}

func ensureIn(ps []*Payload, dir string) ([]int, int) {
	paths := make([]string, len(ps))
	for i, p := range ps {
		if p != nil {
			paths[i] = pathJoin(dir, p.FileName)
		}
	}
	results := make([]int, len(ps))
	ids := make([]identity, len(ps))
	trusted := dirTrusted(dir)
	good := make([]bool, len(ps))
	if trusted {
		good = goodByStamp(dir, ps, paths, ids)
	}
	if allTrue(good) {
		return results, 0
	}

	// An append-only or immutable directory: nothing could be replaced
	// there, and the lock and the stamp's temporary would stay for good.
	rc := dirAppendOnly(dir)
	lockfd := -1
	if rc == 0 {
		lockfd, rc = lockDir(dir)
	}
	if rc != 0 {
		// The directory cannot be written: fine if every file is already
		// right. A file that is not fails with the lock's code.
		checks, _ := verifyAll(ps, dir, false)
		for i, c := range checks {
			var st unix.Stat_t
			if c != 0 || unix.Lstat(paths[i], &st) != nil || !ownedByUs(&st) {
				results[i] = rc
			}
		}
		return results, firstFailure(results)
	}
	if lockfd >= 0 {
		defer unix.Close(lockfd) // releases the lock
	}
	// Remove what killed extractions left.
	if dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
		cleanStaleTemporaries(dirfd)
		unix.Close(dirfd)
	}

	// Someone may have finished the work while we waited.
	if trusted {
		good = goodByStamp(dir, ps, paths, ids)
	}
	// The others may be right but unknown to the stamp (copied, touched,
	// stamp lost): comparing them with the payloads, all at once, costs
	// no writes, and one of the wrong size costs nothing.
	var checks []*verifyJob
	var checkAsset []int
	for i, p := range ps {
		if good[i] {
			continue
		}
		checks = append(checks, &verifyJob{p: p, path: paths[i]})
		checkAsset = append(checkAsset, i)
	}
	verifyJobs(checks, false)
	var jobs []*extractJob
	var jobAsset []int
	for c, chk := range checks {
		i := checkAsset[c]
		if chk.result == 0 && ownedByUs(&chk.st) {
			ids[i] = identityOf(ps[i], &chk.st)
			continue
		}
		ids[i].valid = false
		jobs = append(jobs, &extractJob{p: ps[i], dest: paths[i]})
		jobAsset = append(jobAsset, i)
	}
	if len(jobs) > 0 {
		rc = extractJobs(jobs)
		for j, job := range jobs {
			i := jobAsset[j]
			results[i] = job.result
			if job.result == 0 {
				ids[i] = identityOf(ps[i], &job.st)
			}
		}
	}
	if trusted {
		writeStamp(dir, ps, ids)
	}
	return results, rc
}

func allTrue(v []bool) bool {
	for _, b := range v {
		if !b {
			return false
		}
	}
	return true
}

// Ensure makes dir hold every payload under its FileName, complete and
// current, extracting only those missing, truncated, altered or of the
// wrong mode (smk_ensure_assets(dir), with per-asset results). dir is
// created with its parents if needed; the caller resolves the default
// directory (DefaultDir). Idempotent and safe under concurrent callers
// in any process, including ones using the C core: the slow path runs
// under flock(".supermachine-kernel.lock") and records each file's
// identity in ".supermachine-kernel.stamp", in the core's format, so a
// later call that finds every identity unchanged reads no file.
//
// rc is the core's return value. results[i] is 0 once payload i's file is
// right, else its failure (the extraction's code; for a directory that
// cannot be locked for writing — -EACCES, -EROFS, -EPERM — and does not
// already hold the right file, that code). When the directory itself
// fails (empty: -ENOENT; a NUL byte: -EINVAL; too long: -ENAMETOOLONG, as
// for ExtractAll; not a directory: -ENOTDIR; mkdir -p failing otherwise)
// every results[i] is NotAttempted. A lock that cannot be used (not a
// regular file, held by another for more than 5 s) only means the work is
// done without it; a stamp that cannot be written fails nothing (the next
// call takes the slow path again); neither is ever followed if a link.
func Ensure(ps []*Payload, dir string) (results []int, rc int) {
	if hasNUL(dir) {
		return notAttempted(len(ps)), codeEINVAL
	}
	if rc := checkDirName(ps, dir); rc != 0 {
		return notAttempted(len(ps)), rc
	}
	// Cheapest case first: the directory exists.
	var st unix.Stat_t
	if unix.Stat(dir, &st) != nil {
		if rc := mkdirP(dir); rc != 0 {
			return notAttempted(len(ps)), rc
		}
	} else if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return notAttempted(len(ps)), codeENOTDIR
	}
	return ensureIn(ps, dir)
}

// maxDefaultDir is the size of the buffer smk_ensure_assets(NULL) gives
// smk_default_dir: a longer path is -ERANGE there.
const maxDefaultDir = 4096

// DefaultDir is smk_default_dir_for for the given version string:
// "$XDG_CACHE_HOME/supermachine-kernel/<version>" when XDG_CACHE_HOME is
// an absolute path, else "$HOME/.cache/supermachine-kernel/<version>"
// (HOME when absolute, else the user database's home directory), with
// "/<arch>" appended when arch is not "" (the default directory of an
// architecture other than the default one). Returns -ENOENT if no home
// directory can be found, -ERANGE if the path would not fit the core's
// 4096-byte buffer.
func DefaultDir(version, arch string) (string, int) {
	base := os.Getenv("XDG_CACHE_HOME")
	suffix := ""
	// The XDG spec says to ignore relative values.
	if base == "" || base[0] != '/' {
		base = homeDir()
		if base == "" {
			return "", codeENOENT
		}
		suffix = "/.cache"
	}
	dir := base + suffix + "/supermachine-kernel/" + version
	if arch != "" {
		dir += "/" + arch
	}
	if len(dir) >= maxDefaultDir {
		return "", codeERANGE
	}
	return dir, 0
}

// homeDir is home_dir: $HOME, else the password database's idea of it
// (os/user reads /etc/passwd when cgo is off).
func homeDir() string {
	if home := os.Getenv("HOME"); home != "" && home[0] == '/' {
		return home
	}
	u, err := user.LookupId(strconv.Itoa(os.Getuid()))
	if err == nil && u.HomeDir != "" && u.HomeDir[0] == '/' {
		return u.HomeDir
	}
	return ""
}
