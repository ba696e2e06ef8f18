//go:build linux

package pure

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The lock and the stamp as hostile input, stale temporaries, and the
// other reliability rules of core/src/ensure.c, extract.c and verify.c.

// oldStampTmpName is the fixed name the stamp used to be written through.
const oldStampTmpName = ".supermachine-kernel.stamp.tmp"

// smallPayloads are the payloads but the kernel: the same paths, faster.
func smallPayloads(t *testing.T) []*Payload {
	t.Helper()
	return []*Payload{payloadNamed(t, "init_oci"), payloadNamed(t, "supermachine_agent")}
}

// within runs f and fails the test if it has not returned after d (an
// open that waits for a FIFO's writer waits for good).
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still running after %v", what, d)
	}
}

// ensureWithin is ensureOK, failing if Ensure has not returned in a
// minute.
func ensureWithin(t *testing.T, ps []*Payload, dir string) {
	t.Helper()
	var results []int
	var rc int
	within(t, time.Minute, "Ensure", func() { results, rc = Ensure(ps, dir) })
	wantCode(t, "Ensure", rc, 0)
	for i, p := range ps {
		wantCode(t, p.Name, results[i], 0)
		checkAsset(t, p, dir+"/"+p.FileName)
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := unix.Mkfifo(path, 0644); err != nil {
		t.Fatal(err)
	}
	// Should anything be stuck opening it, a writer lets it go.
	t.Cleanup(func() {
		if fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK, 0); err == nil {
			unix.Close(fd)
		}
	})
}

func isFIFO(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&os.ModeNamedPipe != 0
}

func TestEnsureFIFOs(t *testing.T) {
	ps := smallPayloads(t)
	for _, name := range []string{stampName, lockName, tmpPrefix + "0123456789abcdef"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			mkfifo(t, dir+"/"+name)
			start := time.Now()
			ensureWithin(t, ps, dir)
			if name == lockName && time.Since(start) >= lockWait {
				t.Errorf("waited %v for a FIFO at the lock", time.Since(start))
			}
			ensureWithin(t, ps, dir)
			if name == stampName {
				// Renamed over: the stamp is a regular file now.
				checkStamp(t, ps, dir)
			} else if !isFIFO(dir + "/" + name) {
				t.Errorf("the FIFO at %s was replaced or removed", name)
			}
		})
	}
}

// Hard links and symlinks at the stamp's names: nothing is written
// through them.
func TestEnsureNeverWritesThroughTheStamp(t *testing.T) {
	ps := smallPayloads(t)
	for _, kind := range []string{"hard link", "symlink"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			victim := t.TempDir() + "/victim"
			if err := os.WriteFile(victim, []byte("victim\n"), 0644); err != nil {
				t.Fatal(err)
			}
			link := os.Link
			if kind == "symlink" {
				link = os.Symlink
			}
			for _, name := range []string{oldStampTmpName, stampName} {
				if err := link(victim, dir+"/"+name); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 2; i++ {
				ensureOK(t, ps, dir)
			}
			if b, err := os.ReadFile(victim); err != nil || string(b) != "victim\n" {
				t.Fatalf("written through: %q %v", b, err)
			}
			checkStamp(t, ps, dir) // replaced by one of ours
			// The old fixed name is not ours any more: left as it is.
			old, err1 := os.Lstat(dir + "/" + oldStampTmpName)
			v, err2 := os.Stat(victim)
			if err1 != nil || err2 != nil || (kind == "hard link") != os.SameFile(old, v) {
				t.Fatalf("the old temporary name was touched: %v %v", err1, err2)
			}
			noTemporaries(t, dir)
		})
	}
}

// The stamp is exactly 0644 whatever the umask, and trusted again.
func TestStampModeIgnoresUmask(t *testing.T) {
	old := syscall.Umask(0077)
	defer syscall.Umask(old)
	ps := smallPayloads(t)
	dir := t.TempDir()
	ensureOK(t, ps, dir)
	fi, err := os.Stat(dir + "/" + stampName)
	if err != nil || fi.Mode().Perm() != 0644 {
		t.Fatalf("stamp: %v %v", fi, err)
	}
	before := fileID(t, dir+"/"+stampName)
	ensureOK(t, ps, dir)
	if fileID(t, dir+"/"+stampName) != before {
		t.Fatal("the stamp was not trusted")
	}
}

// A lock held through another open file description: waited for some
// 5 s, then the work is done without it.
func TestEnsureWaitsForAHeldLockOnlySoLong(t *testing.T) {
	ps := smallPayloads(t)
	dir := t.TempDir()
	fd, err := unix.Open(dir+"/"+lockName, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0600)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ensureWithin(t, ps, dir)
	if d := time.Since(start); d < lockWait {
		t.Errorf("done after %v, without waiting %v for the lock", d, lockWait)
	}
	checkStamp(t, ps, dir)
	// Released while waited for: taken then, long before the limit.
	change(t, dir+"/init-oci", "delete")
	time.AfterFunc(200*time.Millisecond, func() { unix.Flock(fd, unix.LOCK_UN) })
	start = time.Now()
	ensureOK(t, ps, dir)
	if d := time.Since(start); d >= lockWait {
		t.Errorf("a released lock was waited for %v", d)
	}
	checkStamp(t, ps, dir)
}

// plantTemporaries plants, in dir, files at temporaries' names of every
// kind; the check it returns fails unless the stale one, and only it, is
// gone.
func plantTemporaries(t *testing.T, dir string) func() {
	t.Helper()
	hex := func(c byte) string { return tmpPrefix + strings.Repeat(string(c), 16) }
	stale := hex('0')
	write := func(name string) {
		if err := os.WriteFile(dir+"/"+name, []byte("left by a killed extraction"), 0600); err != nil {
			t.Fatal(err)
		}
	}
	write(stale)
	// Held by a writer (another open file description's flock).
	held := hex('1')
	write(held)
	hfd, err := unix.Open(dir+"/"+held, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(hfd) })
	if err := unix.Flock(hfd, unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	// With another name.
	linked := hex('2')
	write(linked)
	os.Link(dir+"/"+linked, dir+"/linked")
	fifo := hex('3')
	mkfifo(t, dir+"/"+fifo)
	symlink := hex('4')
	write("target")
	os.Symlink("target", dir+"/"+symlink)
	sub := hex('5')
	os.Mkdir(dir+"/"+sub, 0755)
	kept := []string{held, linked, fifo, symlink, sub, "linked", "target",
		// Not our names.
		tmpPrefix + "ABCDEF0123456789", tmpPrefix + "0123", tmpPrefix + "0123456789abcdef0",
		".smk-tmq.0123456789abcdef"}
	for _, name := range kept[7:] {
		write(name)
	}
	if isRoot() {
		// Another user's.
		theirs := hex('6')
		write(theirs)
		if err := os.Chown(dir+"/"+theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, theirs)
	}
	return func() {
		t.Helper()
		if _, err := os.Lstat(dir + "/" + stale); err == nil {
			t.Error("the stale temporary was not removed")
		}
		for _, name := range kept {
			if _, err := os.Lstat(dir + "/" + name); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if b, _ := os.ReadFile(dir + "/target"); string(b) != "left by a killed extraction" {
			t.Error("the symlink was followed")
		}
	}
}

func TestStaleTemporariesAreRemoved(t *testing.T) {
	ps := smallPayloads(t)
	p := ps[0]
	for _, tc := range []struct {
		name string
		run  func(dir string) int
	}{
		{"Ensure", func(dir string) int { _, rc := Ensure(ps, dir); return rc }},
		{"ExtractAll", func(dir string) int { _, rc := ExtractAll(ps, dir); return rc }},
		{"ExtractTo", func(dir string) int { return ExtractTo(p, dir+"/"+p.FileName) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withTemporaries(t, func(t *testing.T) {
				dir := t.TempDir()
				check := plantTemporaries(t, dir)
				var rc int
				within(t, time.Minute, tc.name, func() { rc = tc.run(dir) })
				wantCode(t, tc.name, rc, 0)
				check()
				checkAsset(t, p, dir+"/"+p.FileName)
			})
		})
	}
}

// The writers' locks keep cleaners (every extraction starts with one)
// off temporaries in use, named or not yet.
func TestCleanersSpareLiveTemporaries(t *testing.T) {
	withTemporaries(t, func(t *testing.T) {
		p := payloadNamed(t, "init_oci")
		dir := t.TempDir()
		dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(dirfd)
		var stop atomic.Bool
		var cleaner, writers sync.WaitGroup
		cleaner.Add(1)
		go func() {
			defer cleaner.Done()
			for !stop.Load() {
				cleanStaleTemporaries(dirfd)
			}
		}()
		rounds := 20
		if raceEnabled || testing.Short() {
			rounds = 5
		}
		rcs := make([]int, 4*rounds)
		for g := 0; g < 4; g++ {
			writers.Add(1)
			go func(g int) {
				defer writers.Done()
				for i := 0; i < rounds; i++ {
					// Two by two on one destination.
					rcs[g*rounds+i] = ExtractTo(p, dir+"/asset"+strconv.Itoa(g/2))
				}
			}(g)
		}
		// createTempIn against the cleaner: the name stays ours while held.
		for i := 0; i < 200; i++ {
			name, fd, rc := createTempIn(dirfd, 0600)
			if rc != 0 {
				t.Error(codeName(rc))
				break
			}
			kept := sameFile(dirfd, name, fd)
			unix.Unlinkat(dirfd, name, 0)
			unix.Close(fd)
			if !kept {
				t.Error("a held temporary was removed")
				break
			}
		}
		writers.Wait()
		stop.Store(true)
		cleaner.Wait()
		for i, rc := range rcs {
			wantCode(t, "extraction "+strconv.Itoa(i), rc, 0)
		}
		noTemporaries(t, dir)
		// Once unlocked (its writer gone), a temporary is stale.
		name, fd, rc := createTempIn(dirfd, 0600)
		if rc != 0 {
			t.Fatal(codeName(rc))
		}
		unix.Close(fd)
		cleanStaleTemporaries(dirfd)
		if _, err := os.Lstat(dir + "/" + name); err == nil {
			t.Fatal("an unlocked temporary was kept")
		}
	})
}

// forgeStamp writes a stamp vouching for dir's files as they are.
func forgeStamp(t *testing.T, ps []*Payload, dir string) {
	t.Helper()
	ids := make([]identity, len(ps))
	for i, p := range ps {
		var st unix.Stat_t
		if err := unix.Lstat(dir+"/"+p.FileName, &st); err != nil {
			t.Fatal(err)
		}
		ids[i] = identityOf(p, &st)
	}
	writeStamp(dir, ps, ids)
	checkStamp(t, ps, dir)
}

// A stamp is trusted only if this user's, writable by no one else, in a
// directory of this user or root.
func TestStampTrust(t *testing.T) {
	ps := loadPayloads(t)
	small := smallPayloads(t)
	// damaged extracts into a new directory, flips a byte of victim and
	// forges a stamp vouching for it.
	damaged := func(t *testing.T, ps []*Payload, victim string) string {
		t.Helper()
		dir := t.TempDir() + "/d"
		if _, rc := ExtractAll(ps, dir); rc != 0 {
			t.Fatal(codeName(rc))
		}
		change(t, dir+"/"+victim, "flip-last-byte")
		forgeStamp(t, ps, dir)
		return dir
	}
	t.Run("trusted", func(t *testing.T) {
		// The control: a forged stamp of ours is believed (the warm path
		// reads no file), so the cases below test the trust rules.
		dir := damaged(t, small, "init-oci")
		Ensure(small, dir)
		wantCode(t, "the forged stamp was not believed", VerifyFile(small[0], dir+"/init-oci"), ErrChecksum)
	})
	t.Run("group-writable", func(t *testing.T) {
		dir := damaged(t, small, "init-oci")
		os.Chmod(dir+"/"+stampName, 0664)
		ensureOK(t, small, dir)
		checkStamp(t, small, dir)
	})
	t.Run("another user's stamp", func(t *testing.T) {
		if !isRoot() {
			t.Skip("needs root to give the stamp away")
		}
		dir := damaged(t, small, "init-oci")
		if err := os.Chown(dir+"/"+stampName, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		ensureOK(t, small, dir)
		checkStamp(t, small, dir)
	})
	t.Run("another user's directory", func(t *testing.T) {
		if !isRoot() {
			t.Skip("needs root to give the directory away")
		}
		dir := damaged(t, ps, "kernel")
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		stamp, _ := os.ReadFile(dir + "/" + stampName)
		before := fileID(t, dir+"/"+stampName)
		ensureOK(t, ps, dir) // the kernel repaired
		// The stamp is neither believed nor written.
		if b, _ := os.ReadFile(dir + "/" + stampName); fileID(t, dir+"/"+stampName) != before || string(b) != string(stamp) {
			t.Fatal("a stamp in another user's directory was rewritten")
		}
		kernel := fileID(t, dir+"/kernel")
		ensureOK(t, ps, dir)
		if fileID(t, dir+"/kernel") != kernel {
			t.Fatal("a right kernel was rewritten")
		}
	})
}

func TestOverlongDirs(t *testing.T) {
	ps := smallPayloads(t)
	base := t.TempDir()
	for _, tc := range []struct{ what, top, dir string }{
		{"a component of 256 bytes", "a", base + "/a/" + strings.Repeat("x", 256) + "/b"},
		{"no room for a temporary", "c", base + "/c" + strings.Repeat("/d", (pathMax-10-len(base))/2)},
		{"longer than PATH_MAX", "e", base + "/e/" + strings.Repeat("d/", pathMax/2)},
	} {
		for _, f := range []struct {
			name string
			run  func(dir string) ([]int, int)
		}{
			{"ExtractAll", func(dir string) ([]int, int) { return ExtractAll(ps, dir) }},
			{"Ensure", func(dir string) ([]int, int) { return Ensure(ps, dir) }},
		} {
			results, rc := f.run(tc.dir)
			wantCode(t, f.name+", "+tc.what, rc, codeENAMETOOLONG)
			for i := range ps {
				wantCode(t, "result", results[i], NotAttempted)
			}
			if _, err := os.Lstat(base + "/" + tc.top); err == nil {
				t.Fatalf("%s, %s: directories made before failing", f.name, tc.what)
			}
		}
	}
	// The limits: the longest name we put there (a file name, a
	// temporary's, the stamp's or the lock's) after a slash, within
	// PATH_MAX; components within NAME_MAX.
	ours := max(tmpNameLen, len(stampName), len(lockName))
	long := &Payload{FileName: strings.Repeat("f", 40)}
	for _, tc := range []struct {
		ps   []*Payload
		len  int
		want int
	}{
		{ps, pathMax - 1 - ours - 1, 0},
		{ps, pathMax - 1 - ours, codeENAMETOOLONG},
		{[]*Payload{nil, long}, pathMax - 1 - 40 - 1, 0},
		{[]*Payload{nil, long}, pathMax - 1 - 40, codeENAMETOOLONG},
	} {
		dir := strings.Repeat("/d", tc.len/2+1)[:tc.len]
		wantCode(t, "checkDirName of "+strconv.Itoa(tc.len), checkDirName(tc.ps, dir), tc.want)
	}
	wantCode(t, "255", checkDirName(ps, "/"+strings.Repeat("n", 255)+"/"), 0)
	wantCode(t, "256", checkDirName(ps, strings.Repeat("n", 256)), codeENAMETOOLONG)
	wantCode(t, "empty", checkDirName(ps, ""), codeENOENT)
}

// The ctime moves when another extraction renames its copy over the
// file being read; the bytes read do not change, and verify says so.
func TestVerifyDuringReextraction(t *testing.T) {
	withTemporaries(t, func(t *testing.T) {
		p := payloadNamed(t, "init_oci")
		path := t.TempDir() + "/asset"
		wantCode(t, "extract", ExtractTo(p, path), 0)
		var stop atomic.Bool
		var extractions atomic.Int64
		done := make(chan int)
		go func() {
			for !stop.Load() {
				if rc := ExtractTo(p, path); rc != 0 {
					done <- rc
					return
				}
				extractions.Add(1)
			}
			done <- 0
		}()
		n := 50
		if raceEnabled {
			n = 20
		}
		for i := 0; i < n || extractions.Load() < 20; i++ {
			if rc := VerifyFile(p, path); rc != 0 {
				t.Errorf("verify %d, after %d extractions: %s", i, extractions.Load(), codeName(rc))
				break
			}
		}
		stop.Store(true)
		wantCode(t, "re-extraction", <-done, 0)
	})
}

// setInodeFlags sets FS_IOC_SETFLAGS flags on path, or skips the test.
func setInodeFlags(t *testing.T, path string, flags int) {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	old, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err == nil {
		err = unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(old)|flags)
	}
	if err != nil {
		t.Skipf("cannot set inode flags here: %v", err)
	}
	t.Cleanup(func() {
		if fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(old))
			unix.Close(fd)
		}
	})
}

// An append-only or immutable directory is refused before anything is
// written into it (its temporary could never be renamed or removed).
func TestAppendOnlyDirectoriesRefused(t *testing.T) {
	ps := smallPayloads(t)
	for _, f := range []struct {
		name  string
		flags int
	}{{"append-only", fsAppendFl}, {"immutable", fsImmutableFl}} {
		t.Run(f.name, func(t *testing.T) {
			withTemporaries(t, func(t *testing.T) {
				dir := t.TempDir()
				setInodeFlags(t, dir, f.flags)
				wantCode(t, "ExtractTo", ExtractTo(ps[0], dir+"/asset"), -int(unix.EPERM))
				results, rc := ExtractAll(ps, dir)
				wantCode(t, "ExtractAll", rc, -int(unix.EPERM))
				for i := range ps {
					wantCode(t, ps[i].Name, results[i], -int(unix.EPERM))
				}
				if ents, _ := os.ReadDir(dir); len(ents) != 0 {
					t.Fatalf("left %v", ents)
				}
			})
		})
	}
}

// freeDescriptorsBelow returns a limit on descriptors that leaves n free:
// every number below it but n is in use.
func freeDescriptorsBelow(t *testing.T, n int) uint64 {
	t.Helper()
	free := 0
	for fd := 0; fd < 1<<16; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == unix.EBADF {
			if free++; free == n {
				return uint64(fd + 1)
			}
		}
	}
	t.Fatal("no free descriptors")
	return 0
}

// Few descriptors left: the extractions are done in batches, none fails.
func TestExtractWithFewDescriptors(t *testing.T) {
	small := smallPayloads(t)
	var ps []*Payload
	for i := 0; i < 4; i++ {
		for _, p := range small {
			q := *p
			q.FileName += "-" + strconv.Itoa(i)
			ps = append(ps, &q)
		}
	}
	// The runtime's poller, made now rather than under the limit.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	for free := 2; free <= 5; free++ {
		dir := t.TempDir()
		lim := unix.Rlimit{Cur: freeDescriptorsBelow(t, free), Max: old.Max}
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatal(err)
		}
		results, rc := ExtractAll(ps, dir)
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
			t.Fatal(err)
		}
		wantCode(t, strconv.Itoa(free)+" descriptors free", rc, 0)
		for i, p := range ps {
			wantCode(t, p.FileName, results[i], 0)
			checkAsset(t, p, dir+"/"+p.FileName)
		}
		noTemporaries(t, dir)
	}
}
