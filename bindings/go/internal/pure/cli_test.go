//go:build linux

package pure

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
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
	wantCode(t, "writeStamp", writeStamp(other, ps, readStamp(dir, ps)), 0)
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
		for i := 0; i < 4; i++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				if _, rc := Ensure(ps, dir); rc != 0 {
					errs <- "Go: " + codeName(rc)
				}
			}()
			go func() {
				defer wg.Done()
				out, err := exec.Command(cli, "ensure", dir).CombinedOutput()
				if err != nil {
					errs <- "C: " + string(out)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		checkStamp(t, ps, dir)
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

func TestKernelHeaderAgreesWithC(t *testing.T) {
	cli := cCLI(t)
	out, e, st := runCLI(t, cli, "info", "--json")
	if st != 0 {
		t.Fatal(e)
	}
	var info struct {
		Assets []struct {
			Name   string `json:"name"`
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		} `json:"assets"`
		Kernel struct {
			TextOffset uint64 `json:"text_offset"`
			ImageSize  uint64 `json:"image_size"`
			Flags      uint64 `json:"flags"`
		} `json:"kernel"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	kernel := payloadNamed(t, "kernel")
	for _, a := range info.Assets {
		p := payloadNamed(t, a.Name)
		if a.Size != p.Size || a.SHA256 != p.SHA256 {
			t.Fatalf("the C CLI embeds other payloads than %s", p.Name)
		}
	}
	textOffset, imageSize, flags, rc := KernelHeader(kernel)
	wantCode(t, "KernelHeader", rc, 0)
	if textOffset != info.Kernel.TextOffset || imageSize != info.Kernel.ImageSize || flags != info.Kernel.Flags {
		t.Fatalf("Go %d %d %d, C %+v", textOffset, imageSize, flags, info.Kernel)
	}
}
