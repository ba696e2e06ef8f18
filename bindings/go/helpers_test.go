package supermachinekernel

// What the tests compare against comes from the repository, read on its
// own: payloads/manifest.json and tests/conformance/cases.json (the cases
// every language's suite runs).  Outside a checkout (the module cache)
// these tests are skipped.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	casedata "github.com/supermachine-dev/supermachine-kernel/bindings/go/internal/cases"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

const repoRoot = "../.."

type manifestAsset struct {
	Name, File, Mode, Arch, SHA256, Release, XZ string
	Size                                        uint64
	XZSize                                      uint64 `json:"xz_size"`
}

func readJSON(t testing.TB, rel string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s: not in a checkout of the repository", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// manifest is the default architecture's entries of the manifest, by
// name.
func manifest(t testing.TB) map[string]manifestAsset { return manifestOf(t, DefaultArch()) }

// manifestOf is an architecture's entries of the manifest, by name.
func manifestOf(t testing.TB, arch string) map[string]manifestAsset {
	out := map[string]manifestAsset{}
	for _, a := range manifestEntries(t) {
		if a.Arch == arch {
			out[a.Name] = a
		}
	}
	return out
}

// manifestEntries is the manifest's assets, in its order.
func manifestEntries(t testing.TB) []manifestAsset {
	var m struct {
		Format int
		Assets []manifestAsset
	}
	readJSON(t, "payloads/manifest.json", &m)
	if m.Format != 2 {
		t.Fatalf("payloads/manifest.json: format %d, want 2", m.Format)
	}
	return m.Assets
}

type (
	setupStep   = casedata.Setup
	extractCase = casedata.Extract
	conformance = casedata.File
	casesArch   = casedata.Arch
)

// cases is tests/conformance/cases.json, with the paths of its "bytes"
// cases decoded (internal/cases).
func cases(t testing.TB) conformance {
	t.Helper()
	var raw json.RawMessage
	readJSON(t, "tests/conformance/cases.json", &raw)
	c, err := casedata.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return *c
}

func assetByName(t testing.TB, name string) Asset {
	for i, info := range Assets() {
		if info.Name == name {
			return Asset(i)
		}
	}
	t.Fatalf("no asset %q", name)
	return noAsset
}

func applySetup(t testing.TB, root string, steps []setupStep) {
	t.Helper()
	for _, s := range steps {
		switch {
		case s.Mkdir != "":
			p := filepath.Join(root, s.Mkdir)
			mode, _ := strconv.ParseUint(s.Mode, 8, 32)
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, fs.FileMode(mode)); err != nil {
				t.Fatal(err)
			}
		case s.File != "":
			if err := os.WriteFile(filepath.Join(root, s.File), []byte(s.Content), 0o644); err != nil {
				t.Fatal(err)
			}
		case s.Symlink != "":
			if err := os.Symlink(s.To, filepath.Join(root, s.Symlink)); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unknown setup step %+v", s)
		}
	}
}

// checkAfter checks the 'after' states of a case.
func checkAfter(t testing.TB, root string, a Asset, after map[string]string) {
	t.Helper()
	for rel, state := range after {
		p := filepath.Join(root, rel)
		st, err := os.Lstat(p)
		switch {
		case state == "absent":
			if err == nil {
				t.Errorf("%s: exists, want absent", rel)
			}
		case state == "directory":
			if err != nil || !st.IsDir() {
				t.Errorf("%s: not a directory (%v)", rel, err)
			}
		case state == "asset":
			assertIsAsset(t, p, a)
		case strings.HasPrefix(state, "content:"):
			b, err := os.ReadFile(p)
			if err != nil || string(b) != strings.TrimPrefix(state, "content:") {
				t.Errorf("%s: content %q (%v), want %q", rel, b, err, state)
			}
		default:
			t.Fatalf("unknown state %q", state)
		}
	}
	if n := temporaries(t, root); n != 0 {
		t.Errorf("%d temporaries left under %s", n, root)
	}
}

// assertIsAsset: a regular file with exactly the asset's bytes (by the
// manifest's digest, computed here) and mode.
func assertIsAsset(t testing.TB, path string, a Asset) {
	t.Helper()
	info := a.Info()
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() {
		t.Errorf("%s: not a regular file (%v)", path, err)
		return
	}
	if st.Mode().Perm() != info.Mode {
		t.Errorf("%s: mode %v, want %v", path, st.Mode().Perm(), info.Mode)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256Hex(b); got != info.SHA256 {
		t.Errorf("%s: sha256 %s, want %s", path, got, info.SHA256)
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// temporaries counts the core's temporary files (".smk-tmp.*") under root.
func temporaries(t testing.TB, root string) int {
	n := 0
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".smk-tmp") {
			n++
		}
		return nil
	})
	return n
}

// checkCode checks that err is what cases.json's name says: an errno name
// gives a *fs.PathError wrapping that syscall.Errno and naming path; an
// SMK_ERR_* name gives the matching Code.
func checkCode(t testing.TB, err error, want string, path string, codes map[string]int) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("unexpected error %v", err)
		}
		return
	}
	if err == nil {
		t.Errorf("no error, want %s", want)
		return
	}
	if code, ok := codes[want]; ok {
		if !errors.Is(err, Code(code)) {
			t.Errorf("%v: not %s", err, want)
		}
		var c Code
		if !errors.As(err, &c) || c.Name() != want {
			t.Errorf("%v: code %q, want %s", err, c.Name(), want)
		}
		return
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		t.Errorf("%v (%T): not a *fs.PathError", err, err)
		return
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) || errnoName(errno) != want {
		t.Errorf("%v: errno %d, want %s", err, errno, want)
	}
	if pe.Path != path {
		t.Errorf("%v: path %q, want %q", err, pe.Path, path)
	}
}

// errnoName is the symbolic name of an errno, as cases.json spells it.
func errnoName(e syscall.Errno) string {
	for name, v := range map[string]syscall.Errno{
		"ENOENT": syscall.ENOENT, "EISDIR": syscall.EISDIR, "ENOTDIR": syscall.ENOTDIR,
		"EACCES": syscall.EACCES, "EPERM": syscall.EPERM, "ENAMETOOLONG": syscall.ENAMETOOLONG,
		"EEXIST": syscall.EEXIST, "EROFS": syscall.EROFS, "ENOSPC": syscall.ENOSPC, "EINVAL": syscall.EINVAL,
	} {
		if v == e {
			return name
		}
	}
	return "errno " + strconv.Itoa(int(e))
}

// asNobody runs this test binary's test named run as user nobody, with env
// added, and fails t if it fails.  For cases where permission bits must
// apply (root ignores them).  The binary is copied into dir, which nobody
// can reach (the go tool's build directory is private).
func asNobody(t *testing.T, dir, run string, env ...string) {
	t.Helper()
	self, err := os.ReadFile(os.Args[0])
	must(t, err)
	bin := filepath.Join(dir, "go.test")
	must(t, os.WriteFile(bin, self, 0o755))
	defer os.Remove(bin)
	cmd := exec.Command(bin, "-test.run=^"+run+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s as nobody: %v\n%s", run, err, out.String())
	}
}

// concurrently runs f in n goroutines at once and fails t for each error.
func concurrently(t testing.TB, n int, f func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = f()
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
}
