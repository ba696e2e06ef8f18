//go:build linux

package pure

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// The cases permission bits decide, which need a caller they apply to.
// As root, the test binary runs itself again as nobody (uid 65534).
const unprivilegedEnv = "SMK_PURE_UNPRIVILEGED_DIR"

func TestUnprivileged(t *testing.T) {
	if dir := os.Getenv(unprivilegedEnv); dir != "" {
		unprivilegedCases(t, dir)
		return
	}
	if !isRoot() {
		unprivilegedCases(t, t.TempDir())
		return
	}
	base, err := os.MkdirTemp("", "smk-pure-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	work := filepath.Join(base, "work")
	exe := filepath.Join(base, "pure.test")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := copyFile(self, exe); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(work, 0755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{base, exe} {
		os.Chmod(p, 0755)
	}
	if err := os.Chown(work, 65534, 65534); err != nil {
		t.Skipf("cannot give a directory to nobody: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^TestUnprivileged$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), unprivilegedEnv+"="+work)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Skipf("cannot run as nobody: %v", err)
		}
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	t.Logf("as nobody:\n%s", out)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func unprivilegedCases(t *testing.T, dir string) {
	if isRoot() {
		t.Fatal("still root")
	}
	ps := loadPayloads(t)
	p := payloadNamed(t, "init_oci")
	eacces := -int(syscall.EACCES)
	mk := func(path string, mode os.FileMode) {
		if err := os.Mkdir(path, 0755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(path, 0755) })
		defer os.Chmod(path, mode)
	}

	// A read-only directory refuses the temporary.
	mk(dir+"/ro", 0555)
	wantCode(t, "read-only directory", ExtractTo(p, dir+"/ro/asset"), eacces)
	wantCode(t, "read-only directory, with parents", ExtractToWithParents(p, dir+"/ro/sub/asset"), eacces)
	if ents, _ := os.ReadDir(dir + "/ro"); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}

	// Writable but not readable: still usable through O_PATH.
	mk(dir+"/wo", 0300)
	wantCode(t, "write-only directory", ExtractTo(p, dir+"/wo/asset"), 0)
	checkAsset(t, p, dir+"/wo/asset")

	// Nor can it be listed, so it is not cleaned of stale temporaries.
	os.Mkdir(dir+"/wo2", 0755)
	stale := dir + "/wo2/" + tmpPrefix + "0123456789abcdef"
	os.WriteFile(stale, nil, 0600)
	os.Chmod(dir+"/wo2", 0300)
	t.Cleanup(func() { os.Chmod(dir+"/wo2", 0755) })
	wantCode(t, "write-only directory with a stale temporary", ExtractTo(p, dir+"/wo2/asset"), 0)
	if _, err := os.Lstat(stale); err != nil {
		t.Errorf("a directory that cannot be listed was cleaned: %v", err)
	}

	// An existing directory we may not write in, on the way to one we may.
	os.Mkdir(dir+"/top", 0755)
	os.Mkdir(dir+"/top/mid", 0755)
	os.Chmod(dir+"/top", 0555)
	t.Cleanup(func() { os.Chmod(dir+"/top", 0755) })
	wantCode(t, "mkdir -p through it", ExtractToWithParents(p, dir+"/top/mid/a/b/asset"), 0)

	// Ensure in a directory that cannot be written: fine if complete...
	os.Mkdir(dir+"/done", 0755)
	if _, rc := ExtractAll(ps, dir+"/done"); rc != 0 {
		t.Fatal(codeName(rc))
	}
	os.Chmod(dir+"/done", 0555)
	t.Cleanup(func() { os.Chmod(dir+"/done", 0755) })
	results, rc := Ensure(ps, dir+"/done")
	wantCode(t, "read-only, complete", rc, 0)
	for i := range ps {
		wantCode(t, ps[i].Name, results[i], 0)
	}
	// ... else the wrong file fails for want of the lock.
	os.Mkdir(dir+"/wrong", 0755)
	ExtractAll(ps, dir+"/wrong")
	os.Chmod(dir+"/wrong/init-oci", 0600)
	os.Chmod(dir+"/wrong", 0555)
	t.Cleanup(func() { os.Chmod(dir+"/wrong", 0755) })
	results, rc = Ensure(ps, dir+"/wrong")
	wantCode(t, "read-only, incomplete", rc, eacces)
	for i, want := range []int{0, eacces, 0} {
		wantCode(t, ps[i].Name, results[i], want)
	}
	// The C core agrees, where its CLI is at hand.
	if cli := os.Getenv("SMK_C_CLI"); cli != "" {
		if out, err := exec.Command(cli, "ensure", dir+"/done").CombinedOutput(); err != nil {
			t.Errorf("C ensure of a complete read-only directory: %s", out)
		}
		out, err := exec.Command(cli, "ensure", dir+"/wrong").CombinedOutput()
		if want := "supermachine-kernel: " + dir + "/wrong/init-oci: Permission denied\n"; err == nil || string(out) != want {
			t.Errorf("C ensure of an incomplete read-only directory: %q, want %q", out, want)
		}
		out, err = exec.Command(cli, "extract", dir+"/ro").CombinedOutput()
		if err == nil {
			t.Errorf("C extract into a read-only directory: %s", out)
		}
	}
	// A directory we cannot create.
	results, rc = Ensure(ps, dir+"/ro/new")
	wantCode(t, "cannot create", rc, eacces)
	wantCode(t, "result", results[0], NotAttempted)
}
