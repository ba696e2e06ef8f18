package supermachinekernel

// The smoke suite of a build for one host: the package-level names are
// GOARCH's set, and they extract, ensure and verify it.  Fast, and needs
// nothing from the repository, so tests/cross/go-arm64.sh runs it (-run
// '^TestHost') in an arm64 test binary under qemu-user, cgo and pure-Go;
// on the build machine it runs with the rest.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// hostArch is the guest architecture KVM runs on this GOARCH; skips where
// there is none or the build does not embed it (a tag chose other sets).
func hostArch(t *testing.T) string {
	t.Helper()
	arch, ok := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	if !ok {
		t.Skipf("GOARCH %s runs no embedded guest under KVM", runtime.GOARCH)
	}
	for _, a := range Archs() {
		if a == arch {
			return arch
		}
	}
	t.Skipf("this build does not embed %s's set (Archs %v)", arch, Archs())
	return ""
}

func TestHostSetIsTheDefault(t *testing.T) {
	arch := hostArch(t)
	if DefaultArch() != arch || Archs()[0] != arch {
		t.Fatalf("GOARCH %s: DefaultArch() %q, Archs() %v, want %s first", runtime.GOARCH, DefaultArch(), Archs(), arch)
	}
	for _, info := range Assets() {
		if info.Arch != arch {
			t.Errorf("Assets(): %s is %s's", info.Name, info.Arch)
		}
	}
	kernel, err := KernelBytes()
	must(t, err)
	sum := sha256.Sum256(kernel)
	if len(kernel) != KernelLen || hex.EncodeToString(sum[:]) != Kernel.Info().SHA256 {
		t.Errorf("KernelBytes: %d bytes, sha256 %x; want %d, %s", len(kernel), sum, KernelLen, Kernel.Info().SHA256)
	}
	set, err := ForArch(runtime.GOARCH) // the Go name is an alias
	must(t, err)
	if set.Arch() != arch {
		t.Errorf("ForArch(%q).Arch() = %q", runtime.GOARCH, set.Arch())
	}
	if b, err := set.AssetBytes(Kernel); err != nil || !bytes.Equal(b, kernel) {
		t.Errorf("ForArch(%q).AssetBytes(Kernel) is not KernelBytes() (%v)", runtime.GOARCH, err)
	}
	// The header says which machine the kernel is for.
	info, err := KernelInfo()
	must(t, err)
	format := map[string]string{"aarch64": "Image", "x86_64": "ELF"}[arch]
	if info.Arch != arch || info.Format != format || info.Release != KernelRelease() || info.ImageSize == 0 {
		t.Errorf("KernelInfo() = %+v, want arch %s, format %s", info, arch, format)
	}
	switch arch {
	case "aarch64": // the arm64 Image header's magic "ARM\x64" at 56
		if len(kernel) < 64 || string(kernel[56:60]) != "ARM\x64" {
			t.Error("the kernel has no arm64 Image magic")
		}
	case "x86_64": // an ELF for EM_X86_64
		if len(kernel) < 20 || string(kernel[:4]) != "\x7fELF" || kernel[18] != 62 {
			t.Error("the kernel is not an x86_64 ELF")
		}
	}
}

func TestHostSetExtractsEnsuresAndVerifies(t *testing.T) {
	hostArch(t)
	root := t.TempDir()
	extracted := filepath.Join(root, "extracted")
	must(t, ExtractAll(extracted))
	for i, info := range Assets() {
		assertIsAsset(t, filepath.Join(extracted, info.FileName), Asset(i))
	}
	must(t, Verify(extracted))

	ensured := filepath.Join(root, "ensured")
	dir, err := EnsureAssets(ensured)
	if err != nil || dir != ensured {
		t.Fatalf("EnsureAssets(%q) = %q, %v", ensured, dir, err)
	}
	must(t, Verify(ensured))
	// A damaged file fails verification, naming it; ensure repairs it.
	agent := filepath.Join(ensured, SupermachineAgent.Info().FileName)
	must(t, os.WriteFile(agent, []byte("not the agent"), 0o755))
	var m *MismatchError
	if err := Verify(ensured); !errors.As(err, &m) || m.Path != agent || m.Asset != SupermachineAgent {
		t.Errorf("Verify of a damaged agent: %v", err)
	}
	if _, err := EnsureAssets(ensured); err != nil {
		t.Fatal(err)
	}
	must(t, Verify(ensured))
	assertIsAsset(t, agent, SupermachineAgent)
}

// Extracting into a path that is a file: a *fs.PathError saying so, and
// the file untouched.
func TestHostExtractIntoAFileIsRefused(t *testing.T) {
	hostArch(t)
	file := filepath.Join(t.TempDir(), "a-file")
	must(t, os.WriteFile(file, []byte("keep"), 0o644))
	for name, err := range map[string]error{
		"ExtractKernelTo": ExtractKernelTo(filepath.Join(file, "kernel")),
		"ExtractAll":      ExtractAll(file),
	} {
		var pe *fs.PathError
		if !errors.Is(err, syscall.ENOTDIR) || !errors.As(err, &pe) || !strings.HasPrefix(pe.Path, file) {
			t.Errorf("%s into a file: %#v, want a *fs.PathError with ENOTDIR", name, err)
			continue
		}
		if want := ": not a directory"; !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%s into a file: message %q", name, err)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep" {
		t.Errorf("the file changed: %q, %v", b, err)
	}
}
