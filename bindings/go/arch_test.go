package supermachinekernel

// The "architectures" section of tests/conformance/cases.json, which every
// language's suite runs: each embedded set against the manifest, reachable
// by every name of its architecture, extracted under the plain names,
// verified against its own set and refused by the others; the kernel info
// of each, the PVH entry read here from the vmlinux itself (debug/elf);
// the default architecture; the names no call accepts.

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func knownArch(t testing.TB, arch string) casesArch {
	for _, k := range cases(t).Architectures.Known {
		if k.Arch == arch {
			return k
		}
	}
	t.Fatalf("cases.json: %s is not a known architecture", arch)
	return casesArch{}
}

func mustSet(t testing.TB, arch string) *ArchSet {
	t.Helper()
	s, err := ForArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The build embeds the manifest's sets (all of them unless build tags
// chose fewer), the default first, the others in manifest order.
func TestArchsAreTheManifestsInSlotOrder(t *testing.T) {
	var inManifest []string
	for _, a := range manifestEntries(t) {
		if len(inManifest) == 0 || inManifest[len(inManifest)-1] != a.Arch {
			inManifest = append(inManifest, a.Arch)
		}
	}
	archs := Archs()
	if len(archs) == 0 || archs[0] != DefaultArch() {
		t.Fatalf("Archs() = %v, DefaultArch() = %q", archs, DefaultArch())
	}
	// The others, in manifest order.
	var others []string
	for _, a := range inManifest {
		for _, b := range archs[1:] {
			if a == b {
				others = append(others, a)
			}
		}
	}
	if strings.Join(others, ",") != strings.Join(archs[1:], ",") || len(others) != len(archs)-1 {
		t.Errorf("Archs() = %v, manifest %v", archs, inManifest)
	}
	if len(AllAssets()) != len(archs)*kindCount {
		t.Errorf("%d assets for %d architectures", len(AllAssets()), len(archs))
	}
	for i, info := range AllAssets() {
		a := Asset(i)
		set := mustSet(t, info.Arch)
		if set.Asset(a.Kind()) != a || a.Info() != info || archs[i/kindCount] != info.Arch {
			t.Errorf("asset %d (%v): set %s, kind %d", i, a, set.Arch(), a.Kind())
		}
	}
	if !embedsEveryManifestSet() {
		return
	}
	if len(archs) != len(inManifest) {
		t.Errorf("Archs() = %v, manifest %v", archs, inManifest)
	}
}

// embedsEveryManifestSet: no build tag chose fewer sets than the manifest
// has.
func embedsEveryManifestSet() bool { return archCount == len(archTable) }

// The default architecture is the host's when embedded, else the first
// embedded in table order.
func TestDefaultArchIsTheHostsWhenEmbedded(t *testing.T) {
	c := cases(t).Architectures
	host, ok := c.Host[runtime.GOARCH]
	if !ok {
		t.Logf("GOARCH %s has no architecture in cases.json", runtime.GOARCH)
	}
	embedded := map[string]bool{}
	for _, a := range Archs() {
		embedded[a] = true
	}
	want := ""
	if ok && embedded[host] {
		want = host
	} else {
		for _, a := range archTable {
			if embedded[a.name] {
				want = a.name
				break
			}
		}
	}
	if DefaultArch() != want {
		t.Errorf("DefaultArch() = %q, want %q (GOARCH %s, embedded %v)", DefaultArch(), want, runtime.GOARCH, Archs())
	}
	// The seed's names are the default set's.
	if Assets()[0] != mustSet(t, "").Assets()[0] || Assets()[0].Arch != want || KernelLen != Kernel.Len() ||
		InitOCILen != InitOCI.Len() || SupermachineAgentLen != SupermachineAgent.Len() {
		t.Errorf("the package-level names are not the %s set: %+v", want, Assets())
	}
}

func TestEachArchSetIsTheManifests(t *testing.T) {
	for _, arch := range Archs() {
		arch := arch
		t.Run(arch, func(t *testing.T) {
			set := mustSet(t, arch)
			names := append([]string{arch}, knownArch(t, arch).Aliases...)
			for _, name := range names {
				if s, err := ForArch(name); err != nil || s != set {
					t.Errorf("ForArch(%q) = %v, %v", name, s, err)
				}
			}
			m := manifestOf(t, arch)
			got := set.Assets()
			if len(got) != len(m) {
				t.Fatalf("%d assets, manifest %d", len(got), len(m))
			}
			for i, info := range got {
				want := m[info.Name]
				if info.FileName != want.File || info.Size != want.Size || info.SHA256 != want.SHA256 ||
					info.Arch != arch || "0"+modeOctal(info.Mode) != want.Mode || info.EmbeddedSize != want.XZSize {
					t.Errorf("%s: %+v, manifest %+v", info.Name, info, want)
				}
				if set.Asset(Asset(i)).Info() != info {
					t.Errorf("%s: Asset(%d) is %v", arch, i, set.Asset(Asset(i)))
				}
			}
			if set.KernelRelease() != m["kernel"].Release {
				t.Errorf("release %q, manifest %q", set.KernelRelease(), m["kernel"].Release)
			}
		})
	}
}

// Extracted into a fresh directory under the plain file names; verified
// by its own set, refused by every other embedded one (the kernel's size
// differs).
func TestEachArchSetExtractsAndVerifies(t *testing.T) {
	for _, arch := range Archs() {
		set := mustSet(t, arch)
		dir := filepath.Join(t.TempDir(), "new", arch)
		must(t, set.ExtractAllTo(dir))
		for i, info := range set.Assets() {
			if info.FileName != []string{"kernel", "init-oci", "supermachine-agent"}[i] {
				t.Errorf("%s: file name %q", arch, info.FileName)
			}
			assertIsAsset(t, filepath.Join(dir, info.FileName), set.Asset(Asset(i)))
		}
		must(t, set.Verify(dir))
		for _, other := range Archs() {
			if other == arch {
				continue
			}
			err := mustSet(t, other).Verify(dir)
			var m *MismatchError
			kernel := filepath.Join(dir, "kernel")
			if !errors.As(err, &m) || m.Path != kernel || m.Code != ErrSize || m.Asset != mustSet(t, other).Asset(Kernel) {
				t.Errorf("%s's set verified as %s's: %v", arch, other, err)
			}
			if mustSet(t, other).VerifyFile(Kernel, kernel) == nil {
				t.Errorf("%s's kernel verified as %s's", arch, other)
			}
		}
	}
}

func TestEachArchSetEnsuresIntoItsDefaultDir(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	base := filepath.Join(xdg, "supermachine-kernel", Version)
	for i, arch := range Archs() {
		set := mustSet(t, arch)
		want := base
		if i > 0 {
			want = base + "/" + arch
		}
		if d, err := set.DefaultDir(); err != nil || d != want {
			t.Errorf("%s: DefaultDir() = %q, %v, want %q", arch, d, err, want)
		}
		dir, err := set.EnsureAssets("")
		if err != nil || dir != want {
			t.Fatalf("%s: EnsureAssets(\"\") = %q, %v", arch, dir, err)
		}
		must(t, set.Verify(dir))
	}
	// The default set is still right: another set's directory is its own.
	must(t, Verify(base))
	// A directory holds one set: ensuring another replaces the files.
	if len(Archs()) > 1 {
		other := mustSet(t, Archs()[1])
		dir, err := other.EnsureAssets(base)
		must(t, err)
		must(t, other.Verify(dir))
		if Verify(dir) == nil {
			t.Error("the default set still verifies after another replaced it")
		}
	}
}

func TestEachArchKernelInfo(t *testing.T) {
	for _, arch := range Archs() {
		set := mustSet(t, arch)
		k, err := set.KernelInfo()
		must(t, err)
		b, err := set.AssetBytes(Kernel)
		must(t, err)
		want := kernelInfoOf(t, b)
		want.Arch, want.Release = arch, manifestOf(t, arch)["kernel"].Release
		if k != want {
			t.Errorf("%s: KernelInfo %+v, from the bytes %+v", arch, k, want)
		}
		if k.Format != knownArch(t, arch).KernelFormat {
			t.Errorf("%s: format %q, cases.json %q", arch, k.Format, knownArch(t, arch).KernelFormat)
		}
		if k.Format == "ELF" && k.PVHEntry == 0 {
			t.Errorf("%s: the vmlinux has no PVH entry", arch)
		}
	}
	if k, err := KernelInfo(); err != nil || k.Arch != DefaultArch() {
		t.Errorf("KernelInfo() = %+v, %v", k, err)
	}
}

// The Xen note type of the 32-bit PVH entry point (xen/include/public/elfnote.h).
const xenElfnotePhys32Entry = 18

// kernelInfoOf reads a kernel as a VMM would, with the standard library:
// the arm64 Image header, or the ELF's program headers and PVH note.
func kernelInfoOf(t testing.TB, b []byte) KernelImageInfo {
	t.Helper()
	le := binary.LittleEndian
	if len(b) >= 64 && string(b[56:60]) == "ARM\x64" {
		return KernelImageInfo{Format: "Image", TextOffset: le.Uint64(b[8:]), ImageSize: le.Uint64(b[16:]), Flags: le.Uint64(b[24:])}
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("neither an arm64 Image nor an ELF: %v", err)
	}
	k := KernelImageInfo{Format: "ELF", Entry: f.Entry}
	low, high := ^uint64(0), uint64(0)
	for _, p := range f.Progs {
		switch {
		case p.Type == elf.PT_LOAD && p.Memsz > 0:
			low, high = min(low, p.Paddr), max(high, p.Paddr+p.Memsz)
		case p.Type == elf.PT_NOTE && k.PVHEntry == 0:
			notes, err := io.ReadAll(p.Open())
			must(t, err)
			for len(notes) >= 12 {
				namesz, descsz, typ := le.Uint32(notes), le.Uint32(notes[4:]), le.Uint32(notes[8:])
				name := notes[12 : 12+namesz]
				desc := notes[12+(namesz+3)&^3:]
				desc = desc[:descsz]
				if string(name) == "Xen\x00" && typ == xenElfnotePhys32Entry {
					k.PVHEntry = uint64(le.Uint32(desc))
				}
				notes = notes[12+(namesz+3)&^3+(descsz+3)&^3:]
			}
		}
	}
	k.LoadAddress, k.ImageSize = low, high-low
	return k
}

// Names that are no architecture, or none embedded: refused with
// ErrNoArch, naming the name.
func TestUnknownArchIsRefused(t *testing.T) {
	names := cases(t).Architectures.Unknown
	for _, k := range cases(t).Architectures.Known {
		embedded := false
		for _, a := range Archs() {
			embedded = embedded || a == k.Arch
		}
		if !embedded {
			names = append(names, append([]string{k.Arch}, k.Aliases...)...)
		}
	}
	for _, name := range names {
		s, err := ForArch(name)
		var pe *PayloadError
		if s != nil || !errors.Is(err, ErrNoArch) || !errors.As(err, &pe) || pe.Arch != name {
			t.Errorf("ForArch(%q) = %v, %#v", name, s, err)
			continue
		}
		want := `arch "` + name + `": no guest set embedded for this architecture (this build embeds ` + strings.Join(Archs(), ", ") + ")"
		if err.Error() != want {
			t.Errorf("message %q, want %q", err.Error(), want)
		}
	}
}

func TestArchSetRefusesOtherKinds(t *testing.T) {
	set := mustSet(t, "")
	path := filepath.Join(t.TempDir(), "x")
	for _, kind := range []Asset{-1, kindCount, set.Asset(Kernel) + Asset(len(AllAssets()))} {
		if set.Asset(kind) != noAsset {
			t.Errorf("Asset(%d) = %v", kind, set.Asset(kind))
		}
		if _, err := set.AssetBytes(kind); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("AssetBytes(%d): %v", kind, err)
		}
		for name, err := range map[string]error{
			"ExtractAssetTo":            set.ExtractAssetTo(kind, path),
			"ExtractAssetToWithParents": set.ExtractAssetToWithParents(kind, path),
			"VerifyFile":                set.VerifyFile(kind, path),
		} {
			if !errors.Is(err, syscall.EINVAL) {
				t.Errorf("%s(%d): %v", name, kind, err)
			}
		}
	}
	if _, err := os.Lstat(path); err == nil {
		t.Error("something was written")
	}
}

func TestAssetNamesTheArchOfOtherSets(t *testing.T) {
	for i, arch := range Archs() {
		want := "kernel"
		if i > 0 {
			want = arch + "/kernel"
		}
		if got := mustSet(t, arch).Asset(Kernel).String(); got != want {
			t.Errorf("%s kernel: String() = %q, want %q", arch, got, want)
		}
	}
}

// Each set's per-asset operations work on that set's asset.
func TestArchSetAssetOperations(t *testing.T) {
	for _, arch := range Archs() {
		set := mustSet(t, arch)
		dir := t.TempDir()
		for i, info := range set.Assets() {
			kind := Asset(i)
			p := filepath.Join(dir, "n", info.FileName)
			must(t, set.ExtractAssetToWithParents(kind, p))
			must(t, set.VerifyFile(kind, p))
			q := filepath.Join(dir, info.FileName)
			must(t, set.ExtractAssetTo(kind, q))
			assertIsAsset(t, q, set.Asset(kind))
			if kind != Kernel {
				b, err := set.AssetBytes(kind)
				must(t, err)
				if sha256Hex(b) != info.SHA256 {
					t.Errorf("%s %s: bytes differ", arch, info.Name)
				}
			}
		}
	}
}
