package supermachinekernel

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"testing"
)

// The length constants are untyped constants: they size arrays.
type kernelSized [KernelLen]byte

const _ = InitOCILen + SupermachineAgentLen

func TestLengthsAndInfoMatchTheManifest(t *testing.T) {
	m := manifest(t)
	if len(Assets()) != len(m) {
		t.Fatalf("%d assets, manifest %d", len(Assets()), len(m))
	}
	lens := map[string]int{"kernel": KernelLen, "init_oci": InitOCILen, "supermachine_agent": SupermachineAgentLen}
	for i, info := range Assets() {
		want := m[info.Name]
		if info.FileName != want.File || info.Size != want.Size || info.SHA256 != want.SHA256 ||
			info.Arch != want.Arch || "0"+modeOctal(info.Mode) != want.Mode || info.EmbeddedSize != want.XZSize || !info.Compressed {
			t.Errorf("%s: %+v, manifest %+v", info.Name, info, want)
		}
		if Asset(i).Len() != int(want.Size) || lens[info.Name] != int(want.Size) {
			t.Errorf("%s: Len %d, constant %d, manifest %d", info.Name, Asset(i).Len(), lens[info.Name], want.Size)
		}
		if Asset(i).String() != info.Name || Asset(i).Info() != info {
			t.Errorf("asset %d: String %q Info %+v", i, Asset(i), Asset(i).Info())
		}
	}
	if len(kernelSized{}) != int(m["kernel"].Size) {
		t.Error("KernelLen as an array length")
	}
	if KernelRelease() != m["kernel"].Release {
		t.Errorf("release %q, manifest %q", KernelRelease(), m["kernel"].Release)
	}
	// Assets returns a copy.
	Assets()[0].Name = "changed"
	if Assets()[0].Name != "kernel" {
		t.Error("Assets() exposes the table")
	}
}

func modeOctal(m fs.FileMode) string {
	return string([]byte{'0' + byte(m>>6&7), '0' + byte(m>>3&7), '0' + byte(m&7)})
}

func TestInvalidAsset(t *testing.T) {
	for _, a := range []Asset{-1, Asset(len(AllAssets()))} {
		if _, err := a.Bytes(); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%v.Bytes: %v", a, err)
		}
		if err := a.ExtractTo(filepath.Join(t.TempDir(), "x")); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%v.ExtractTo: %v", a, err)
		}
		if err := VerifyFile(a, "x"); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("VerifyFile(%v): %v", a, err)
		}
		if a.Len() != 0 || a.Info() != (AssetInfo{}) {
			t.Errorf("%v: Len %d Info %+v", a, a.Len(), a.Info())
		}
	}
}

func TestBytesAreTheAssetsDecodedOnce(t *testing.T) {
	for name, f := range map[string]func() ([]byte, error){
		"kernel": KernelBytes, "init_oci": InitOCIBytes, "supermachine_agent": SupermachineAgentBytes,
	} {
		a := assetByName(t, name)
		var wg sync.WaitGroup
		got := make([][]byte, 16)
		for i := range got {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				b, err := f()
				if err != nil {
					t.Error(err)
				}
				got[i] = b
			}(i)
		}
		wg.Wait()
		if len(got[0]) != a.Len() || sha256Hex(got[0]) != a.Info().SHA256 {
			t.Errorf("%s: %d bytes, sha256 %s", name, len(got[0]), sha256Hex(got[0]))
		}
		for _, b := range got[1:] {
			if &b[0] != &got[0][0] {
				t.Errorf("%s: concurrent callers got different buffers", name)
			}
		}
	}
}

// The bytes are a read-only mapping: a write faults (here turned into a
// panic) and changes nothing.
func TestBytesAreReadOnly(t *testing.T) {
	b, err := InitOCIBytes()
	must(t, err)
	before := b[0]
	faulted := func() (faulted bool) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() { faulted = recover() != nil }()
		b[0] = before + 1
		return false
	}()
	if !faulted || b[0] != before {
		t.Errorf("a write to the bytes did not fault (faulted %v, byte %d -> %d)", faulted, before, b[0])
	}
}

func TestKernelInfoIsTheDefaultKernels(t *testing.T) {
	k, err := KernelInfo()
	must(t, err)
	b, err := KernelBytes()
	must(t, err)
	want := kernelInfoOf(t, b)
	want.Arch, want.Release = DefaultArch(), manifest(t)["kernel"].Release
	if k != want {
		t.Errorf("KernelInfo %+v, from the bytes %+v", k, want)
	}
}

func TestSeedFunctionsWriteTheirAsset(t *testing.T) {
	dir := t.TempDir()
	for name, f := range map[string][2]func(string) error{
		"kernel":             {ExtractKernelTo, ExtractKernelToWithParents},
		"init_oci":           {ExtractInitOCITo, ExtractInitOCIToWithParents},
		"supermachine_agent": {ExtractSupermachineAgentTo, ExtractSupermachineAgentToWithParents},
		"deprecated":         {ExtractTo, ExtractToWithParents},
	} {
		a := Kernel
		if name != "deprecated" {
			a = assetByName(t, name)
		}
		p := filepath.Join(dir, name)
		must(t, f[0](p))
		assertIsAsset(t, p, a)
		nested := filepath.Join(dir, "n", name, "x", "file")
		if err := f[0](nested); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s into a missing directory: %v", name, err)
		}
		must(t, f[1](nested))
		assertIsAsset(t, nested, a)
	}
}

func TestPathWithNULIsRefused(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "kernel\x00junk")
	for name, err := range map[string]error{
		"ExtractKernelTo": ExtractKernelTo(p), "ExtractAll": ExtractAll(p), "Verify": Verify(p),
		"VerifyFile": VerifyFile(Kernel, p),
	} {
		if !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := EnsureAssets(p); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("EnsureAssets: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("wrote %v", entries)
	}
}

func TestErrorsAreFsErrors(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "missing", "kernel")
	err := ExtractKernelTo(dest)
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, syscall.ENOENT) || !errors.As(err, &pe) || pe.Path != dest || pe.Op != "extract" {
		t.Errorf("extract into a missing directory: %#v", err)
	}
	if err.Error() != "extract "+dest+": no such file or directory" {
		t.Errorf("message %q", err.Error())
	}
	err = Verify(filepath.Join(dir, "nowhere"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("verify of a missing dir: %v", err)
	}
	// One error per asset, each naming its file.
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok || len(joined.Unwrap()) != len(Assets()) {
		t.Fatalf("verify of a missing dir: %v", err)
	}
	for i, e := range joined.Unwrap() {
		if !errors.As(e, &pe) || pe.Path != filepath.Join(dir, "nowhere", Asset(i).Info().FileName) {
			t.Errorf("asset %d: %v", i, e)
		}
	}
	// A mismatch names the asset and the file.
	p := filepath.Join(dir, "agent")
	must(t, os.WriteFile(p, bytes.Repeat([]byte{'x'}, SupermachineAgentLen), 0o755))
	err = VerifyFile(SupermachineAgent, p)
	var m *MismatchError
	if !errors.Is(err, ErrChecksum) || !errors.As(err, &m) || m.Asset != SupermachineAgent || m.Path != p {
		t.Errorf("verify of other bytes: %#v", err)
	}
	if m != nil && m.Error() != "verify "+p+": content differs from the asset's (asset supermachine_agent)" {
		t.Errorf("message %q", m.Error())
	}
}

// A full file system: ENOSPC, the destination left as it was, no temporary.
func TestFullFileSystem(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	defer syscall.Unmount(mnt, syscall.MNT_DETACH)
	dest := filepath.Join(mnt, "kernel")
	must(t, os.WriteFile(dest, []byte("old"), 0o644))
	err := ExtractKernelTo(dest)
	var pe *fs.PathError
	if !errors.Is(err, syscall.ENOSPC) || !errors.As(err, &pe) || pe.Path != dest {
		t.Errorf("extract onto a full file system: %v", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "old" {
		t.Errorf("destination changed to %d bytes", len(b))
	}
	if n := temporaries(t, mnt); n != 0 {
		t.Errorf("%d temporaries left", n)
	}
	if _, err := EnsureAssets(filepath.Join(mnt, "cache")); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("ensure on a full file system: %v", err)
	}
}

func TestConcurrentExtractionToOneDestination(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "kernel")
	concurrently(t, 16, func() error { return ExtractKernelTo(dest) })
	assertIsAsset(t, dest, Kernel)
	if n := temporaries(t, filepath.Dir(dest)); n != 0 {
		t.Errorf("%d temporaries left", n)
	}
}
