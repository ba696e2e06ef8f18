//go:build linux

package pure

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// change applies a conformance 'change' to an extracted file.
func change(t *testing.T, path, what string) {
	t.Helper()
	var err error
	switch what {
	case "none":
	case "delete":
		err = os.Remove(path)
	case "truncate":
		fi, _ := os.Stat(path)
		err = os.Truncate(path, fi.Size()/2)
	case "flip-last-byte":
		var f *os.File
		if f, err = os.OpenFile(path, os.O_RDWR, 0); err == nil {
			fi, _ := f.Stat()
			b := make([]byte, 1)
			f.ReadAt(b, fi.Size()-1)
			b[0] ^= 0xFF
			_, err = f.WriteAt(b, fi.Size()-1)
			f.Close()
		}
	case "chmod-0600":
		err = os.Chmod(path, 0600)
	case "replace-with-symlink":
		if err = os.Rename(path, path+".real"); err == nil {
			err = os.Symlink(filepath.Base(path)+".real", path)
		}
	default:
		t.Fatalf("unknown change %q", what)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerifyConformance(t *testing.T) {
	c := loadConformance(t)
	for _, p := range loadPayloads(t) {
		if p.Name == "kernel" && (testing.Short() || raceEnabled) {
			continue // the other assets take the same paths, faster
		}
		for _, tc := range c.Verify {
			t.Run(p.Name+"/"+tc.ID, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), tc.Dir, p.FileName)
				wantCode(t, "extract", ExtractToWithParents(p, path), 0)
				change(t, path, tc.Change)
				want := 0
				if tc.Error != "" {
					want = codeOfName(t, tc.Error)
				}
				wantCode(t, "VerifyFile", VerifyFile(p, path), want)
			})
		}
	}
}

func TestVerifyChecksInOrder(t *testing.T) {
	p := payloadNamed(t, "init_oci")
	dir := t.TempDir()
	// Wrong size and wrong mode: the size is named.
	os.WriteFile(dir+"/small", []byte("x"), 0600)
	wantCode(t, "size before mode", VerifyFile(p, dir+"/small"), ErrSize)
	// Right size, wrong mode and bytes: the mode is named, nothing read.
	os.WriteFile(dir+"/zeros", make([]byte, p.Size), 0600)
	wantCode(t, "mode before bytes", VerifyFile(p, dir+"/zeros"), ErrMode)
	os.Chmod(dir+"/zeros", os.FileMode(p.Mode))
	wantCode(t, "bytes", VerifyFile(p, dir+"/zeros"), ErrChecksum)
	// Not regular files: never opened (a FIFO would block).
	os.Mkdir(dir+"/dir", 0755)
	wantCode(t, "directory", VerifyFile(p, dir+"/dir"), ErrNotRegular)
	if err := syscall.Mkfifo(dir+"/fifo", 0644); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "fifo", VerifyFile(p, dir+"/fifo"), ErrNotRegular)
	os.Symlink("nowhere", dir+"/dangling")
	wantCode(t, "dangling symlink", VerifyFile(p, dir+"/dangling"), ErrNotRegular)
	wantCode(t, "missing parent", VerifyFile(p, dir+"/no/file"), -int(syscall.ENOENT))
	wantCode(t, "through a file", VerifyFile(p, dir+"/small/file"), -int(syscall.ENOTDIR))
	wantCode(t, "empty path", VerifyFile(p, ""), -int(syscall.ENOENT))
	wantCode(t, "NUL", VerifyFile(p, dir+"/a\x00"), -int(syscall.EINVAL))
	wantCode(t, "nil", VerifyFile(nil, dir+"/small"), -int(syscall.EINVAL))
	// A damaged payload cannot vouch for anything.
	bad := variant(p, p.Data[:len(p.Data)-100], p.Size)
	good := dir + "/good"
	wantCode(t, "extract", ExtractTo(p, good), 0)
	wantCode(t, "damaged payload", VerifyFile(bad, good), ErrCorrupt)
}

func TestVerifyEveryAsset(t *testing.T) {
	ps := loadPayloads(t)
	dir := t.TempDir()
	if _, rc := ExtractAll(ps, dir); rc != 0 {
		t.Fatal(codeName(rc))
	}
	results, rc := Verify(ps, dir)
	wantCode(t, "Verify", rc, 0)
	for i := range ps {
		wantCode(t, ps[i].Name, results[i], 0)
	}
	// Every asset is checked, not only up to the first failure.
	change(t, dir+"/init-oci", "truncate")
	change(t, dir+"/supermachine-agent", "chmod-0600")
	results, rc = Verify(ps, dir+"/")
	wantCode(t, "Verify", rc, ErrSize)
	for i, want := range []int{0, ErrSize, ErrMode} {
		wantCode(t, ps[i].Name, results[i], want)
	}
	change(t, dir+"/kernel", "flip-last-byte")
	results, rc = Verify(ps, dir)
	wantCode(t, "Verify", rc, ErrChecksum)
	wantCode(t, "kernel", results[0], ErrChecksum)
	for _, d := range []struct {
		dir  string
		want int
	}{{"", -int(syscall.ENOENT)}, {"a\x00", -int(syscall.EINVAL)}} {
		results, rc = Verify(ps, d.dir)
		wantCode(t, "Verify "+d.dir, rc, d.want)
		for i := range ps {
			wantCode(t, "result", results[i], NotAttempted)
		}
	}
	results, rc = Verify(ps, dir+"/missing")
	wantCode(t, "missing dir", rc, -int(syscall.ENOENT))
	for i := range ps {
		wantCode(t, "result", results[i], -int(syscall.ENOENT))
	}
}
