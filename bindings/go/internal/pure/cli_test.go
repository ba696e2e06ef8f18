//go:build linux

package pure

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Interoperation with the C core's CLI, built from the same payloads:
//
//	cmake -S . -B /tmp/pure-c -G Ninja -DBUILD_TESTING=OFF && cmake --build /tmp/pure-c
//	SMK_C_CLI=/tmp/pure-c/core/supermachine-kernel go test ./internal/pure/

func cCLI(t *testing.T) string {
	t.Helper()
	cli := os.Getenv("SMK_C_CLI")
	if cli == "" {
		t.Skip("set SMK_C_CLI to the C core's supermachine-kernel to test interoperation")
	}
	return cli
}

func runCLI(t *testing.T, cli string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(cli, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), status
}

func TestCStampIsAcceptedAndReproduced(t *testing.T) {
	cli := cCLI(t)
	ps := loadPayloads(t)
	dir := t.TempDir()
	if _, e, st := runCLI(t, cli, "ensure", dir); st != 0 {
		t.Fatalf("C ensure: %s", e)
	}
	stamp := checkStamp(t, ps, dir)
	before := fileID(t, dir+"/"+stampName)
	kernel := fileID(t, dir+"/kernel")
	// The warm path: nothing rewritten.
	ensureOK(t, ps, dir)
	if fileID(t, dir+"/"+stampName) != before || fileID(t, dir+"/kernel") != kernel {
		t.Fatal("Go did not trust the C core's stamp")
	}
	// Go writes the same bytes for the same files.
	other := t.TempDir()
	writeStamp(other, ps, readStamp(dir, ps))
	if b, _ := os.ReadFile(other + "/" + stampName); string(b) != stamp {
		t.Fatalf("stamps differ:\nC:  %s\nGo: %s", stamp, b)
	}
}

func TestGoStampIsAcceptedByC(t *testing.T) {
	cli := cCLI(t)
	ps := loadPayloads(t)
	dir := t.TempDir()
	ensureOK(t, ps, dir)
	stamp := checkStamp(t, ps, dir)
	before := fileID(t, dir+"/"+stampName)
	if out, e, st := runCLI(t, cli, "ensure", dir); st != 0 || out != dir+"\n" {
		t.Fatalf("C ensure: %s %s", out, e)
	}
	if fileID(t, dir+"/"+stampName) != before {
		t.Fatal("the C core did not trust Go's stamp")
	}
	if b, _ := os.ReadFile(dir + "/" + stampName); string(b) != stamp {
		t.Fatal("stamp changed")
	}
	// A file Go repaired is trusted by C too.
	change(t, dir+"/init-oci", "flip-last-byte")
	ensureOK(t, ps, dir)
	before = fileID(t, dir+"/"+stampName)
	if _, e, st := runCLI(t, cli, "ensure", dir); st != 0 {
		t.Fatal(e)
	}
	if fileID(t, dir+"/"+stampName) != before {
		t.Fatal("the C core redid Go's repair")
	}
}

func TestEnsureTogetherWithC(t *testing.T) {
	cli := cCLI(t)
	ps := loadPayloads(t)
	for round := 0; round < 3; round++ {
		dir := t.TempDir() + "/shared"
		var wg sync.WaitGroup
		errs := make(chan string, 16)
		took := make([]time.Duration, 8)
		for i := 0; i < 4; i++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				start := time.Now()
				if _, rc := Ensure(ps, dir); rc != 0 {
					errs <- "Go: " + codeName(rc)
				}
				took[2*i] = time.Since(start)
			}()
			go func() {
				defer wg.Done()
				start := time.Now()
				out, err := exec.Command(cli, "ensure", dir).CombinedOutput()
				if err != nil {
					errs <- "C: " + string(out)
				}
				took[2*i+1] = time.Since(start)
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		checkStampAfterRace(t, ps, dir, took)
		noTemporaries(t, dir)
		if out, e, st := runCLI(t, cli, "verify", dir); st != 0 {
			t.Fatalf("C verify: %s %s", out, e)
		}
	}
}

// smkText is smk_strerror's text of the codes verify gives.
func smkText(rc int) string {
	switch rc {
	case ErrSize:
		return "size differs from the recorded size"
	case ErrChecksum:
		return "content differs from the asset's"
	case ErrMode:
		return "file mode differs from the asset's"
	case ErrNotRegular:
		return "not a regular file"
	}
	return syscall.Errno(-rc).Error()
}

func TestVerifyAgreesWithC(t *testing.T) {
	cli := cCLI(t)
	ps := loadPayloads(t)
	dir := t.TempDir()
	// Extracted by C, verified by Go.
	if _, e, st := runCLI(t, cli, "extract", dir); st != 0 {
		t.Fatal(e)
	}
	results, rc := Verify(ps, dir)
	wantCode(t, "Go verify of C's files", rc, 0)
	for i, r := range results {
		wantCode(t, "Go verify of C's "+ps[i].FileName, r, 0)
	}
	// Damaged alike, reported alike.
	for _, ch := range [][2]string{{"kernel", "delete"}, {"init-oci", "truncate"}, {"supermachine-agent", "chmod-0600"}} {
		change(t, dir+"/"+ch[0], ch[1])
	}
	results, rc = Verify(ps, dir)
	_, stderr, st := runCLI(t, cli, "verify", dir)
	if st != 1 || rc == 0 {
		t.Fatalf("C status %d, Go %s", st, codeName(rc))
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != len(ps) {
		t.Fatalf("C: %s", stderr)
	}
	for i, p := range ps {
		want := "supermachine-kernel: " + dir + "/" + p.FileName + ": "
		if !strings.HasPrefix(lines[i], want) || !strings.EqualFold(strings.TrimPrefix(lines[i], want), smkText(results[i])) {
			t.Errorf("C says %q, Go %s", lines[i], codeName(results[i]))
		}
	}
	// Extracted by Go, verified by C.
	dir2 := t.TempDir()
	if _, rc := ExtractAll(ps, dir2); rc != 0 {
		t.Fatal(codeName(rc))
	}
	if out, e, st := runCLI(t, cli, "verify", dir2); st != 0 {
		t.Fatalf("C verify of Go's files: %s %s", out, e)
	}
}

func TestKernelInfoAgreesWithC(t *testing.T) {
	cli := cCLI(t)
	out, e, st := runCLI(t, cli, "info", "--json")
	if st != 0 {
		t.Fatal(e)
	}
	var info struct {
		DefaultArch string `json:"default_arch"`
		Assets      []struct {
			Name   string `json:"name"`
			Arch   string `json:"arch"`
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		} `json:"assets"`
		Kernels []struct {
			Arch        string `json:"arch"`
			Format      string `json:"format"`
			TextOffset  uint64 `json:"text_offset"`
			ImageSize   uint64 `json:"image_size"`
			Flags       uint64 `json:"flags"`
			Entry       uint64 `json:"entry"`
			PVHEntry    uint64 `json:"pvh_entry"`
			LoadAddress uint64 `json:"load_address"`
		} `json:"kernels"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if info.DefaultArch != testArchs(t)[0] {
		t.Errorf("the C CLI's default architecture is %s, this test's %s", info.DefaultArch, testArchs(t)[0])
	}
	for _, a := range info.Assets {
		p := archPayloadNamed(t, a.Arch, a.Name)
		if a.Size != p.Size || a.SHA256 != p.SHA256 {
			t.Fatalf("the C CLI embeds other payloads than %s %s", a.Arch, p.Name)
		}
	}
	if len(info.Kernels) != len(testArchs(t)) {
		t.Fatalf("the C CLI describes %d kernels, the manifest has %d", len(info.Kernels), len(testArchs(t)))
	}
	for _, c := range info.Kernels {
		k, rc := KernelInfo(archPayloadNamed(t, c.Arch, "kernel"))
		wantCode(t, c.Arch+" KernelInfo", rc, 0)
		want := Kernel{Format: c.Format, TextOffset: c.TextOffset, ImageSize: c.ImageSize, Flags: c.Flags,
			Entry: c.Entry, PVHEntry: c.PVHEntry, LoadAddress: c.LoadAddress}
		if k != want {
			t.Errorf("%s: Go %+v, C %+v", c.Arch, k, want)
		}
	}
}

// listing describes dir's entries (name, type, permissions), temporaries
// counted rather than named.
func listing(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		name := e.Name()
		if isTempName(name) && fi.Mode().IsRegular() && fi.Sys().(*syscall.Stat_t).Nlink == 1 {
			name = tmpPrefix + "*"
		}
		fmt.Fprintf(&b, "%s %v\n", name, fi.Mode())
	}
	return b.String()
}

// The C core and this package, each ensuring a directory prepared alike
// with hostile files at the lock's, the stamp's and temporaries' names,
// leave the same directory behind, within a bounded time.
func TestHostileFilesAgreeWithC(t *testing.T) {
	cli := cCLI(t)
	ps := loadPayloads(t)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir, victim string)
	}{
		{"nothing", func(t *testing.T, dir, victim string) {}},
		{"FIFO at the stamp", func(t *testing.T, dir, victim string) { mkfifo(t, dir+"/"+stampName) }},
		{"FIFO at the lock", func(t *testing.T, dir, victim string) { mkfifo(t, dir+"/"+lockName) }},
		{"FIFO at a temporary's name", func(t *testing.T, dir, victim string) {
			mkfifo(t, dir+"/"+tmpPrefix+"0123456789abcdef")
		}},
		{"hard links at the stamp's names", func(t *testing.T, dir, victim string) {
			os.Link(victim, dir+"/"+stampName)
			os.Link(victim, dir+"/"+oldStampTmpName)
		}},
		{"symlink at the lock", func(t *testing.T, dir, victim string) { os.Symlink(victim, dir+"/"+lockName) }},
		{"directories at the lock and the stamp", func(t *testing.T, dir, victim string) {
			os.Mkdir(dir+"/"+lockName, 0755)
			os.Mkdir(dir+"/"+stampName, 0755)
		}},
		{"temporaries stale and held", func(t *testing.T, dir, victim string) {
			os.WriteFile(dir+"/"+tmpPrefix+"0123456789abcdef", []byte("stale"), 0600)
			held := dir + "/" + tmpPrefix + "1111111111111111"
			os.WriteFile(held, []byte("held"), 0600)
			f, err := os.Open(held)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
				t.Fatal(err)
			}
		}},
		{"a forged group-writable stamp", func(t *testing.T, dir, victim string) {
			if _, rc := ExtractAll(ps, dir); rc != 0 {
				t.Fatal(codeName(rc))
			}
			change(t, dir+"/init-oci", "flip-last-byte")
			forgeStamp(t, ps, dir)
			os.Chmod(dir+"/"+stampName, 0666)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lists [2]string
			for i, impl := range []string{"C", "Go"} {
				dir := t.TempDir()
				victim := t.TempDir() + "/victim"
				os.WriteFile(victim, []byte("victim\n"), 0644)
				tc.setup(t, dir, victim)
				start := time.Now()
				if impl == "C" {
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					out, err := exec.CommandContext(ctx, cli, "ensure", dir).CombinedOutput()
					cancel()
					if err != nil {
						t.Fatalf("C ensure: %v %s", err, out)
					}
				} else {
					ensureWithin(t, ps, dir)
				}
				if d := time.Since(start); d >= lockWait {
					t.Errorf("%s took %v", impl, d)
				}
				if b, _ := os.ReadFile(victim); string(b) != "victim\n" {
					t.Errorf("%s wrote through a link", impl)
				}
				if _, rc := Verify(ps, dir); rc != 0 {
					t.Errorf("%s left %s", impl, codeName(rc))
				}
				lists[i] = listing(t, dir)
			}
			if lists[0] != lists[1] {
				t.Errorf("C left\n%s\nGo left\n%s", lists[0], lists[1])
			}
		})
	}
}

// A lock held by this process: the C core waits as long, then works
// without it.
func TestLockWaitAgreesWithC(t *testing.T) {
	cli := cCLI(t)
	ps := loadPayloads(t)
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
	if out, e, st := runCLI(t, cli, "ensure", dir); st != 0 {
		t.Fatalf("C ensure: %s %s", out, e)
	}
	if d := time.Since(start); d < lockWait {
		t.Errorf("C done after %v with the lock held", d)
	}
	checkStamp(t, ps, dir)
}

func TestOverlongDirsAgreeWithC(t *testing.T) {
	cli := cCLI(t)
	ps := loadPayloads(t)
	base := t.TempDir()
	for _, dir := range []string{
		base + "/a/" + strings.Repeat("x", 256),
		// Shorter than PATH_MAX (the C CLI's ensure cuts a longer DIR to
		// 4095 bytes), with no room for a file in it.
		base + "/a" + strings.Repeat("/d", (pathMax-10-len(base))/2),
	} {
		for _, cmd := range []string{"extract", "ensure"} {
			_, stderr, st := runCLI(t, cli, cmd, dir)
			if want := "supermachine-kernel: " + dir + ": File name too long\n"; st != 1 || stderr != want {
				t.Errorf("C %s: status %d, %q", cmd, st, stderr)
			}
		}
		_, rc := ExtractAll(ps, dir)
		wantCode(t, "ExtractAll", rc, codeENAMETOOLONG)
		_, rc = Ensure(ps, dir)
		wantCode(t, "Ensure", rc, codeENAMETOOLONG)
		if _, err := os.Lstat(base + "/a"); err == nil {
			t.Fatal("directories made")
		}
	}
}

// The C core's cleaner and this package's named temporaries (and the
// reverse) in one directory at once: no live temporary is taken for a
// stale one.
func TestTemporariesAmongCExtractions(t *testing.T) {
	cli := cCLI(t)
	small := smallPayloads(t)
	noTmpfile.Store(true)
	defer noTmpfile.Store(false)
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 2; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				if out, err := exec.Command(cli, "extract", dir).CombinedOutput(); err != nil {
					errs <- "C: " + string(out)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				if _, rc := ExtractAll(small, dir); rc != 0 {
					errs <- "Go: " + codeName(rc)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	noTemporaries(t, dir)
}
