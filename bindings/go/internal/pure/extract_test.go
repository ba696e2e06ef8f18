//go:build linux

package pure

import (
	casedata "github.com/supermachine-dev/supermachine-kernel/bindings/go/internal/cases"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// conformance is tests/conformance/cases.json, the cases every binding
// runs (internal/cases).
type conformance = casedata.File

func loadConformance(t *testing.T) conformance {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "tests", "conformance", "cases.json"))
	if err != nil {
		t.Skipf("no conformance cases: %v", err)
	}
	c, err := casedata.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return *c
}

// under joins a case's relative path to dir without cleaning it (a
// trailing slash matters); "" stays "".
func under(dir, rel string) string {
	if rel == "" {
		return ""
	}
	return dir + "/" + rel
}

func isRoot() bool { return os.Geteuid() == 0 }

func TestExtractConformance(t *testing.T) {
	c := loadConformance(t)
	for _, p := range loadPayloads(t) {
		if p.Name == "kernel" && (testing.Short() || raceEnabled) {
			continue // the other assets take the same paths, faster
		}
		for _, tc := range c.Extract {
			t.Run(p.Name+"/"+tc.ID, func(t *testing.T) {
				if tc.Unprivileged && isRoot() {
					t.Skip("permission bits do not apply to root (TestUnprivileged covers it)")
				}
				dir := t.TempDir()
				for _, s := range tc.Setup {
					switch {
					case s.Mkdir != "":
						mode, _ := strconv.ParseUint(s.Mode, 8, 32)
						if err := os.Mkdir(under(dir, s.Mkdir), os.FileMode(mode)); err != nil {
							t.Fatal(err)
						}
						t.Cleanup(func() { os.Chmod(under(dir, s.Mkdir), 0755) })
					case s.File != "":
						if err := os.WriteFile(under(dir, s.File), []byte(s.Content), 0644); err != nil {
							t.Fatal(err)
						}
					case s.Symlink != "":
						if err := os.Symlink(s.To, under(dir, s.Symlink)); err != nil {
							t.Fatal(err)
						}
					}
				}
				dest := under(dir, tc.Dest)
				var rc int
				if tc.WithParents {
					rc = ExtractToWithParents(p, dest)
				} else {
					rc = ExtractTo(p, dest)
				}
				want := 0
				if tc.Error != "" {
					want = codeOfName(t, tc.Error)
				}
				wantCode(t, "extract", rc, want)
				for rel, state := range tc.After {
					path := under(dir, rel)
					fi, err := os.Lstat(path)
					switch {
					case state == "absent":
						if err == nil {
							t.Errorf("%s exists", rel)
						}
					case state == "directory":
						if err != nil || !fi.IsDir() {
							t.Errorf("%s is not a directory", rel)
						}
					case state == "asset":
						checkAsset(t, p, path)
					case strings.HasPrefix(state, "content:"):
						b, err := os.ReadFile(path)
						if err != nil || string(b) != strings.TrimPrefix(state, "content:") || !fi.Mode().IsRegular() {
							t.Errorf("%s: %q, %v", rel, b, err)
						}
					default:
						t.Fatalf("unknown state %q", state)
					}
				}
				noTemporaries(t, dir)
			})
		}
	}
}

func TestExtractChecksNames(t *testing.T) {
	p := payloadNamed(t, "init_oci")
	dir := t.TempDir()
	long := dir + "/" + strings.Repeat("d/", 2100) + "f"
	for _, tc := range []struct {
		dest string
		want int
	}{
		{"", -int(syscall.ENOENT)},
		{dir + "/", -int(syscall.EISDIR)},
		{dir + "/.", -int(syscall.EISDIR)},
		{dir + "/..", -int(syscall.EISDIR)},
		{dir + "/" + strings.Repeat("n", 256), -int(syscall.ENAMETOOLONG)},
		{long, -int(syscall.ENAMETOOLONG)},
		{dir + "/a\x00b", -int(syscall.EINVAL)},
	} {
		wantCode(t, "ExtractTo "+tc.dest[len(tc.dest)/2:], ExtractTo(p, tc.dest), tc.want)
		// The name is checked before any directory is made.
		wantCode(t, "ExtractToWithParents", ExtractToWithParents(p, strings.Replace(tc.dest, dir, dir+"/x/y", 1)), tc.want)
		if _, err := os.Lstat(dir + "/x"); err == nil {
			t.Fatalf("%q: directories made before failing", tc.dest)
		}
	}
	wantCode(t, "nil payload", ExtractTo(nil, dir+"/f"), -int(syscall.EINVAL))
}

// The mode is the payload's, whatever the umask.
func TestExtractModeIgnoresUmask(t *testing.T) {
	old := syscall.Umask(0077)
	defer syscall.Umask(old)
	p := payloadNamed(t, "init_oci")
	dest := filepath.Join(t.TempDir(), "f")
	wantCode(t, "extract", ExtractTo(p, dest), 0)
	checkAsset(t, p, dest)
}

// Both kinds of temporary: unnamed (O_TMPFILE) and named.
func withTemporaries(t *testing.T, f func(t *testing.T)) {
	t.Run("O_TMPFILE", f)
	t.Run("named", func(t *testing.T) {
		noTmpfile.Store(true)
		defer noTmpfile.Store(false)
		f(t)
	})
}

func TestExtractFailuresLeaveNoTemporaries(t *testing.T) {
	withTemporaries(t, func(t *testing.T) {
		p := payloadNamed(t, "supermachine_agent")
		bad := variant(p, p.Data[:len(p.Data)-100], p.Size)
		dir := t.TempDir()
		wantCode(t, "corrupt", ExtractTo(bad, dir+"/f"), ErrCorrupt)
		wantCode(t, "wrong size", ExtractTo(variant(p, p.Data, p.Size+1), dir+"/f"), ErrSize)
		os.WriteFile(dir+"/old", []byte("old"), 0644)
		wantCode(t, "corrupt over a file", ExtractTo(bad, dir+"/old"), ErrCorrupt)
		if b, _ := os.ReadFile(dir + "/old"); string(b) != "old" {
			t.Fatal("a failed extraction changed the destination")
		}
		wantCode(t, "good", ExtractTo(p, dir+"/f"), 0)
		checkAsset(t, p, dir+"/f")
		noTemporaries(t, dir)
		ents, _ := os.ReadDir(dir)
		if len(ents) != 2 {
			t.Fatalf("directory holds %d entries, want 2", len(ents))
		}
	})
}

func TestConcurrentExtractionsOfOneDestination(t *testing.T) {
	withTemporaries(t, func(t *testing.T) {
		p := payloadNamed(t, "init_oci")
		dir := t.TempDir()
		dest := dir + "/asset"
		var wg sync.WaitGroup
		rcs := make([]int, 16)
		for i := range rcs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				rcs[i] = ExtractTo(p, dest)
			}(i)
		}
		wg.Wait()
		for i, rc := range rcs {
			wantCode(t, "extraction "+strconv.Itoa(i), rc, 0)
		}
		checkAsset(t, p, dest)
		noTemporaries(t, dir)
	})
}

func TestExtractAll(t *testing.T) {
	ps := loadPayloads(t)
	dir := t.TempDir()
	results, rc := ExtractAll(ps, dir+"/a/b")
	wantCode(t, "ExtractAll", rc, 0)
	for i, p := range ps {
		wantCode(t, p.Name, results[i], 0)
		checkAsset(t, p, dir+"/a/b/"+p.FileName)
	}
	os.WriteFile(dir+"/file", nil, 0644)
	for _, tc := range []struct {
		dir  string
		want int
	}{
		{"", -int(syscall.ENOENT)},
		{dir + "/file", -int(syscall.ENOTDIR)},
		{dir + "/file/sub", -int(syscall.ENOTDIR)},
		{dir + "/x\x00", -int(syscall.EINVAL)},
	} {
		results, rc := ExtractAll(ps, tc.dir)
		wantCode(t, "ExtractAll "+tc.dir, rc, tc.want)
		for i := range ps {
			wantCode(t, "result", results[i], NotAttempted)
		}
	}
	// One asset failing: the others are written, rc is the first failure.
	os.Mkdir(dir+"/c", 0755)
	os.Mkdir(dir+"/c/init-oci", 0755)
	results, rc = ExtractAll(ps, dir+"/c")
	wantCode(t, "rc", rc, -int(syscall.EISDIR))
	want := []int{0, -int(syscall.EISDIR), 0}
	for i, p := range ps {
		wantCode(t, p.Name, results[i], want[i])
	}
	checkAsset(t, ps[2], dir+"/c/supermachine-agent")
}
