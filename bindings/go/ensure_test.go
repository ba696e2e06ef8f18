package supermachinekernel

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestDefaultDirFollowsXDGThenHome(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if d, err := DefaultDir(); err != nil || d != "/xdg/supermachine-kernel/"+Version {
		t.Errorf("with XDG_CACHE_HOME: %q %v", d, err)
	}
	t.Setenv("XDG_CACHE_HOME", "relative") // ignored, as the spec says
	t.Setenv("HOME", "/home/someone")
	if d, err := DefaultDir(); err != nil || d != "/home/someone/.cache/supermachine-kernel/"+Version {
		t.Errorf("with HOME: %q %v", d, err)
	}
}

func TestEnsureAssetsIntoTheDefaultDir(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	dir, err := EnsureAssets("")
	must(t, err)
	if want := filepath.Join(xdg, "supermachine-kernel", Version); dir != want {
		t.Errorf("EnsureAssets(\"\") = %q, want %q", dir, want)
	}
	must(t, Verify(dir))
}

func TestEnsureAssetsIsIdempotentAndRepairs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	got, err := EnsureAssets(dir)
	must(t, err)
	if got != dir {
		t.Errorf("returned %q", got)
	}
	for i := range Assets() {
		assertIsAsset(t, filepath.Join(dir, Asset(i).Info().FileName), Asset(i))
	}
	// The warm path writes nothing: files and stamp untouched.
	stamp := filepath.Join(dir, ".supermachine-kernel.stamp")
	before := identities(t, dir, stamp)
	time.Sleep(10 * time.Millisecond)
	_, err = EnsureAssets(dir)
	must(t, err)
	if after := identities(t, dir, stamp); after != before {
		t.Errorf("a warm ensure changed files:\n%s\n%s", before, after)
	}
	// Damage: other bytes of the same size and mode, a wrong mode, a
	// missing file; each repaired.
	kernel := filepath.Join(dir, "kernel")
	b, err := os.ReadFile(kernel)
	must(t, err)
	b[len(b)/2] ^= 1
	must(t, os.WriteFile(kernel, b, 0o644))
	must(t, os.Chmod(filepath.Join(dir, "init-oci"), 0o700))
	must(t, os.Remove(filepath.Join(dir, "supermachine-agent")))
	_, err = EnsureAssets(dir)
	must(t, err)
	must(t, Verify(dir))
}

func identities(t testing.TB, dir, stamp string) string {
	s := ""
	for _, p := range []string{stamp, filepath.Join(dir, "kernel"), filepath.Join(dir, "init-oci")} {
		st, err := os.Stat(p)
		must(t, err)
		sys := st.Sys().(*syscall.Stat_t)
		s += p + " " + st.ModTime().String() + " " + time.Unix(sys.Ctim.Unix()).String() + "\n"
	}
	return s
}

func TestEnsureAssetsNamesWhatFailed(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	must(t, os.WriteFile(file, []byte("x"), 0o644))
	_, err := EnsureAssets(file)
	var pe *fs.PathError
	if !errors.Is(err, syscall.ENOTDIR) || !errors.As(err, &pe) || pe.Path != file {
		t.Errorf("ensure into a file: %v", err)
	}
	// A directory where the kernel belongs: only the kernel fails.
	dir := filepath.Join(root, "d")
	must(t, os.MkdirAll(filepath.Join(dir, "kernel"), 0o755))
	_, err = EnsureAssets(dir)
	if !errors.Is(err, syscall.EISDIR) || !errors.As(err, &pe) || pe.Path != filepath.Join(dir, "kernel") {
		t.Errorf("ensure with a directory at kernel: %v", err)
	}
	assertIsAsset(t, filepath.Join(dir, "init-oci"), InitOCI)
}

func TestConcurrentEnsure(t *testing.T) {
	dir := t.TempDir()
	concurrently(t, 16, func() error {
		_, err := EnsureAssets(dir)
		return err
	})
	must(t, Verify(dir))
}

func TestExtractAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	must(t, ExtractAll(dir))
	must(t, Verify(dir))
	if err := ExtractAll(""); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ExtractAll(\"\"): %v", err)
	}
}
