//go:build linux

package pure

import "golang.org/x/sys/unix"

// Checking files on disk against payloads, as core/src/verify.c: type,
// size and mode from fstat, then every byte against the payload, decoded
// in compare mode (the blocks of all files checked at once share the
// worker pool). Nothing is hashed.

// verifyJob is struct smk_verify_job.
type verifyJob struct {
	p      *Payload
	path   string
	result int
	st     unix.Stat_t // out, on success: the identity of the file checked
	fd     int
}

// checkStat is check_stat: the checks that need no reading, in the
// documented order.
func checkStat(p *Payload, st *unix.Stat_t) int {
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return ErrNotRegular
	}
	if st.Size != p.Size {
		return ErrSize
	}
	if st.Mode&07777 != p.Mode {
		return ErrMode
	}
	return 0
}

// openChecked is open_checked: on success the file is open in j.fd and
// j.st is its fstat.
func (j *verifyJob) openChecked() int {
	var st unix.Stat_t
	// lstat first: never open a FIFO or follow a symlink. O_NOFOLLOW and
	// O_NONBLOCK cover a swap between the lstat and the open.
	if err := unix.Lstat(j.path, &st); err != nil {
		return neg(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return ErrNotRegular
	}
	fd, err := unix.Open(j.path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ELOOP {
			return ErrNotRegular
		}
		return neg(err)
	}
	if err := unix.Fstat(fd, &j.st); err != nil {
		unix.Close(fd)
		return neg(err)
	}
	if rc := checkStat(j.p, &j.st); rc != 0 {
		unix.Close(fd)
		return rc
	}
	j.fd = fd
	return 0
}

// unchanged: after a successful comparison the file must not have been
// written while it was read (its mtime would have moved), or a byte read
// early could have changed since. The ctime is not compared: it also
// moves when the file is only renamed over or unlinked (another process
// re-extracting the same bytes) or linked, none of which changes a byte
// read. The identity returned is the file's as it stands after the check.
func (j *verifyJob) unchanged() int {
	var after unix.Stat_t
	if err := unix.Fstat(j.fd, &after); err != nil {
		return neg(err)
	}
	if rc := checkStat(j.p, &after); rc != 0 {
		return rc
	}
	if after.Mtim != j.st.Mtim {
		return ErrChecksum // written while it was read
	}
	j.st = after
	return 0
}

// verifyJobs is smk_verify_jobs: everything that fails without decoding
// fails first, then the files that passed are compared together. With
// firstFailureOnly, the jobs after the first cheap failure are not looked
// at (their results stay 0 and mean nothing). Returns the first failure in
// job order, or 0.
func verifyJobs(jobs []*verifyJob, firstFailureOnly bool) int {
	for _, j := range jobs {
		j.result = 0
		j.fd = -1
		j.st = unix.Stat_t{}
	}
	var targets []*target
	var targetJob []*verifyJob
	lookedAt := len(jobs)
	for i, j := range jobs {
		if j.p == nil || hasNUL(j.path) {
			j.result = codeEINVAL
		} else {
			j.result = j.openChecked()
		}
		if j.result != 0 {
			if firstFailureOnly {
				// Its code is the answer unless an earlier file's bytes
				// differ.
				lookedAt = i + 1
				break
			}
			continue
		}
		targets = append(targets, &target{p: j.p, mode: modeCompare, fd: j.fd})
		targetJob = append(targetJob, j)
	}
	if len(targets) > 0 {
		decode(targets)
	}
	for i, t := range targets {
		j := targetJob[i]
		j.result = t.code()
		if j.result == 0 {
			j.result = j.unchanged()
		}
	}
	first := 0
	for _, j := range jobs[:lookedAt] {
		if j.fd >= 0 {
			unix.Close(j.fd)
		}
		j.fd = -1
		if j.result != 0 && first == 0 {
			first = j.result
		}
	}
	return first
}

// VerifyFile checks one file against a payload (smk_verify_file): a
// regular file (not followed if a symlink), of the payload's size and
// mode, holding exactly its bytes. Type, size and mode come first, from
// the file's metadata, so a file failing them is neither read nor is
// anything decoded. Returns 0 if it matches; -ENOENT or another -errno if
// it cannot be opened or read; ErrNotRegular, ErrSize, ErrMode,
// ErrChecksum (a byte differs, or the file changed while it was read),
// checked in that order; ErrCorrupt, ErrUnsupported for a payload that
// cannot be decoded; -EINVAL for a nil payload or a path holding a NUL.
func VerifyFile(p *Payload, path string) int {
	if p == nil || hasNUL(path) {
		return codeEINVAL
	}
	return verifyJobs([]*verifyJob{{p: p, path: path}}, true)
}

// Verify checks every payload's file in dir, under its FileName, as
// VerifyFile does, comparing all of them together (smk_verify, with
// per-asset results: every asset is checked, not only up to the first
// failure). results[i] is payload i's code; rc is the first failure in
// payload order, or 0 — the code smk_verify returns. If dir is empty, rc
// is -ENOENT (or -EINVAL for a dir holding a NUL) and every results[i] is
// NotAttempted.
func Verify(ps []*Payload, dir string) (results []int, rc int) {
	if hasNUL(dir) {
		return notAttempted(len(ps)), codeEINVAL
	}
	if dir == "" {
		return notAttempted(len(ps)), codeENOENT // as open(""), and as extraction into ""
	}
	return verifyAll(ps, dir, false)
}

// verifyAll checks every payload's file in dir and returns the per-asset
// codes, the identities of the files that matched, and the first failure.
func verifyAll(ps []*Payload, dir string, firstFailureOnly bool) ([]int, int) {
	jobs := make([]*verifyJob, len(ps))
	for i, p := range ps {
		jobs[i] = &verifyJob{p: p}
		if p != nil {
			jobs[i].path = pathJoin(dir, p.FileName)
		}
	}
	rc := verifyJobs(jobs, firstFailureOnly)
	results := make([]int, len(ps))
	for i, j := range jobs {
		results[i] = j.result
	}
	return results, rc
}
