//go:build linux

package pure

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// identityOfFile is what the warm path compares (not the access time).
type identityOfFile struct {
	Dev, Ino   uint64
	Mode       uint32
	Size       int64
	Mtim, Ctim unix.Timespec
}

func fileID(t *testing.T, path string) identityOfFile {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return identityOfFile{uint64(st.Dev), st.Ino, st.Mode, st.Size, st.Mtim, st.Ctim}
}

// checkStamp fails unless dir's stamp is the core's format, one line per
// asset, describing the files as they are.
func checkStamp(t *testing.T, ps []*Payload, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(dir + "/" + stampName)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if lines[0] != "supermachine-kernel-stamp 1" || len(lines) != len(ps)+1 {
		t.Fatalf("stamp:\n%s", raw)
	}
	for i, p := range ps {
		st := fileID(t, dir+"/"+p.FileName)
		want := fmt.Sprintf("%s %s %d %d %d %o %d %d %d %d", p.Name, p.SHA256, st.Dev, st.Ino,
			st.Size, st.Mode, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
		if lines[i+1] != want {
			t.Fatalf("stamp line %d:\n%s\nwant\n%s", i+1, lines[i+1], want)
		}
	}
	return string(raw)
}

func ensureOK(t *testing.T, ps []*Payload, dir string) {
	t.Helper()
	results, rc := Ensure(ps, dir)
	wantCode(t, "Ensure", rc, 0)
	for i, p := range ps {
		wantCode(t, p.Name, results[i], 0)
		checkAsset(t, p, dir+"/"+p.FileName)
	}
}

func TestEnsureTwiceTakesTheWarmPath(t *testing.T) {
	ps := loadPayloads(t)
	dir := t.TempDir() + "/cache/v"
	ensureOK(t, ps, dir)
	stamp := checkStamp(t, ps, dir)
	before := fileID(t, dir+"/"+stampName)
	ids := make([]identityOfFile, len(ps))
	for i, p := range ps {
		ids[i] = fileID(t, dir+"/"+p.FileName)
	}
	ensureOK(t, ps, dir)
	after := fileID(t, dir+"/"+stampName)
	if after.Ino != before.Ino || after.Mtim != before.Mtim || checkStamp(t, ps, dir) != stamp {
		t.Fatal("the second call rewrote the stamp")
	}
	for i, p := range ps {
		if fileID(t, dir+"/"+p.FileName) != ids[i] {
			t.Fatalf("the second call touched %s", p.FileName)
		}
	}
}

func TestEnsureRepairs(t *testing.T) {
	ps := loadPayloads(t)
	dir := t.TempDir()
	ensureOK(t, ps, dir)
	for _, what := range []string{"flip-last-byte", "truncate", "delete", "chmod-0600", "replace-with-symlink"} {
		change(t, dir+"/init-oci", what)
		kernelBefore := fileID(t, dir+"/kernel")
		ensureOK(t, ps, dir)
		checkStamp(t, ps, dir)
		if fileID(t, dir+"/kernel") != kernelBefore {
			t.Fatalf("%s: the intact kernel was rewritten", what)
		}
		os.Remove(dir + "/init-oci.real")
	}
}

// Files that are right but unknown to the stamp are compared, not
// rewritten.
func TestEnsureKeepsRightFilesItDoesNotKnow(t *testing.T) {
	ps := loadPayloads(t)
	dir := t.TempDir()
	if _, rc := ExtractAll(ps, dir); rc != 0 {
		t.Fatal(codeName(rc))
	}
	before := fileID(t, dir+"/kernel")
	ensureOK(t, ps, dir)
	if fileID(t, dir+"/kernel") != before {
		t.Fatal("a right file was rewritten")
	}
	checkStamp(t, ps, dir)
	// A touched file: its identity moved, its bytes did not.
	mt := time.Unix(before.Mtim.Unix())
	os.Chtimes(dir+"/kernel", mt, mt)
	ensureOK(t, ps, dir)
	if fileID(t, dir+"/kernel").Ino != before.Ino {
		t.Fatal("a touched file was rewritten")
	}
	checkStamp(t, ps, dir)
}

// checkStampAfterRace is checkStamp after ensures of one directory ran at
// once, each taking took[i]. Serialised by the lock, the last writer's
// stamp names the files in place. One that waited out lockWait (a machine
// so loaded that the others took longer) worked unlocked, as designed, and
// its stamp may name a file replaced after it: harmless (a mismatch only
// costs the next call a verify), but not what checkStamp asserts.
func checkStampAfterRace(t *testing.T, ps []*Payload, dir string, took []time.Duration) {
	t.Helper()
	for _, d := range took {
		if d >= lockWait {
			t.Logf("an ensure took %v (>= lockWait): worked unlocked; stamp not compared", d)
			return
		}
	}
	checkStamp(t, ps, dir)
}

func TestEnsureConcurrently(t *testing.T) {
	ps := loadPayloads(t)
	dir := t.TempDir() + "/new"
	var wg sync.WaitGroup
	rcs := make([]int, 8)
	took := make([]time.Duration, len(rcs))
	for i := range rcs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			start := time.Now()
			_, rcs[i] = Ensure(ps, dir)
			took[i] = time.Since(start)
		}(i)
	}
	wg.Wait()
	for _, rc := range rcs {
		wantCode(t, "Ensure", rc, 0)
	}
	checkStampAfterRace(t, ps, dir, took)
	noTemporaries(t, dir)
}

func TestEnsureDirectoryFailures(t *testing.T) {
	ps := loadPayloads(t)
	dir := t.TempDir()
	os.WriteFile(dir+"/file", nil, 0644)
	for _, tc := range []struct {
		dir  string
		want int
	}{
		{"", -int(syscall.ENOENT)},
		{dir + "/file", -int(syscall.ENOTDIR)},
		{dir + "/file/sub", -int(syscall.ENOTDIR)},
		{dir + "/a\x00", -int(syscall.EINVAL)},
	} {
		results, rc := Ensure(ps, tc.dir)
		wantCode(t, "Ensure "+tc.dir, rc, tc.want)
		for i := range ps {
			wantCode(t, "result", results[i], NotAttempted)
		}
	}
	// A lock that cannot be opened (a symlink: O_NOFOLLOW): the work is
	// done without it.
	os.Mkdir(dir+"/d", 0755)
	os.Symlink("elsewhere", dir+"/d/"+lockName)
	ensureOK(t, ps, dir+"/d")
	checkStamp(t, ps, dir+"/d")
	if target, err := os.Readlink(dir + "/d/" + lockName); err != nil || target != "elsewhere" {
		t.Fatalf("the symlinked lock was replaced: %q %v", target, err)
	}
	if _, err := os.Lstat(dir + "/d/elsewhere"); err == nil {
		t.Fatal("the lock's symlink was followed")
	}
	// A stamp that cannot be written (a directory at its name): that
	// fails nothing, and no temporary is left.
	os.Mkdir(dir+"/e", 0755)
	os.Mkdir(dir+"/e/"+stampName, 0755)
	for i := 0; i < 2; i++ {
		ensureOK(t, ps, dir+"/e")
		noTemporaries(t, dir+"/e")
	}
	// A damaged payload: that asset fails, the others are written.
	bad := append([]*Payload(nil), ps...)
	bad[1] = variant(ps[1], ps[1].Data[:100], ps[1].Size)
	results, rc := Ensure(bad, dir+"/f")
	wantCode(t, "damaged payload", rc, ErrCorrupt)
	for i, want := range []int{0, ErrCorrupt, 0} {
		wantCode(t, ps[i].Name, results[i], want)
	}
}

func TestStampLines(t *testing.T) {
	good := "kernel 5043cc7b847c2d500f463c89843ef8df6b26b67fc9dd52a5dc7e2c0ed923c8ea 2049 12345 8157192 100644 1700000000 123456789 1700000001 987654321\n"
	name, id, ok := scanStampLine(good)
	if !ok || name != "kernel" || id.dev != 2049 || id.ino != 12345 || id.size != 8157192 ||
		id.mode != 0100644 || id.mtimeS != 1700000000 || id.mtimeNs != 123456789 ||
		id.ctimeS != 1700000001 || id.ctimeNs != 987654321 {
		t.Fatalf("%q: %v %+v", name, ok, id)
	}
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{"kernel abc 1 2 3 644 5 6 7 8 extra", true}, // sscanf ignores the rest
		{"  kernel\tabc 1 2 3 644 5 6 7 +8", true},
		{"kernel abc 1 2 3 648 5 6 7 8", true}, // the mode stops at 64, "8" is the next field
		{"kernel abc 1 2 3 9 5 6 7 8", false},  // 9 is no octal digit
		{"kernel abc 1 2 3 644 5 6 7", false},
		{"kernel abc -1 2 3 644 5 6 7 8", true}, // strtoull negates
		{"kernel abc x 2 3 644 5 6 7 8", false},
		{"", false},
	} {
		if _, _, ok := scanStampLine(tc.line); ok != tc.ok {
			t.Errorf("%q: ok=%v, want %v", tc.line, ok, tc.ok)
		}
	}
	if _, id, _ := scanStampLine("k s -1 99999999999999999999 0 0 -9223372036854775809 9223372036854775808 0 0"); id.dev != 1<<64-1 ||
		id.ino != 1<<64-1 || id.mtimeS != -1<<63 || id.mtimeNs != 1<<63-1 {
		t.Fatalf("saturation: %+v", id)
	}
	// A name longer than 63 bytes runs on into the digest, as %63s does.
	long := strings.Repeat("n", 70)
	if name, id, ok := scanStampLine(long + " 1 2 3 644 5 6 7 8 9"); !ok || name != long[:63] || id.sha256 != "nnnnnnn" {
		t.Fatalf("%q %q %v", name, id.sha256, ok)
	}
	// fgets(512): a long line is read in pieces.
	r := bufio.NewReader(strings.NewReader(strings.Repeat("x", 600) + "\nab\x00cd\n"))
	var got []int
	for {
		s, ok := fgets(r, 512)
		if !ok {
			break
		}
		got = append(got, len(s))
	}
	if fmt.Sprint(got) != "[511 90 2]" {
		t.Fatalf("fgets pieces: %v", got)
	}
}

func TestStampRoundTrip(t *testing.T) {
	ps := loadPayloads(t)
	dir := t.TempDir()
	ensureOK(t, ps, dir)
	ids := readStamp(dir, ps)
	for i := range ps {
		if !ids[i].valid {
			t.Fatalf("record %d not read back", i)
		}
	}
	other := t.TempDir()
	writeStamp(other, ps, ids)
	a, _ := os.ReadFile(dir + "/" + stampName)
	b, _ := os.ReadFile(other + "/" + stampName)
	if string(a) != string(b) {
		t.Fatalf("stamp not reproduced:\n%s\n%s", a, b)
	}
	// A bad magic line invalidates everything.
	os.WriteFile(other+"/"+stampName, append([]byte("supermachine-kernel-stamp 2\n"), a[28:]...), 0644)
	for _, id := range readStamp(other, ps) {
		if id.valid {
			t.Fatal("a stamp of another format was trusted")
		}
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	t.Setenv("HOME", "/home/u")
	for _, tc := range []struct {
		xdg, home, want string
	}{
		{"/xdg", "/home/u", "/xdg/supermachine-kernel/1.2.3"},
		{"relative", "/home/u", "/home/u/.cache/supermachine-kernel/1.2.3"},
		{"", "/home/u", "/home/u/.cache/supermachine-kernel/1.2.3"},
	} {
		os.Setenv("XDG_CACHE_HOME", tc.xdg)
		os.Setenv("HOME", tc.home)
		got, rc := DefaultDir("1.2.3", "")
		wantCode(t, "DefaultDir", rc, 0)
		if got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	// HOME relative or unset: the user database.
	os.Setenv("XDG_CACHE_HOME", "")
	os.Setenv("HOME", "relative")
	got, rc := DefaultDir("1.2.3", "")
	if rc == 0 && !strings.HasPrefix(got, "/") {
		t.Errorf("got %q", got)
	}
	os.Setenv("XDG_CACHE_HOME", "/"+strings.Repeat("x", 4096))
	_, rc = DefaultDir("1.2.3", "")
	wantCode(t, "too long", rc, -int(syscall.ERANGE))
}
