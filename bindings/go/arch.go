package supermachinekernel

import (
	"fmt"
	"sync"
	"syscall"
)

// Guest architectures.  A build embeds one set (kernel, init-oci, agent)
// per architecture it chose (doc.go: build tags); the package-level names
// (KernelBytes, ExtractKernelTo, EnsureAssets, ...) are the default
// architecture's set, and [ForArch] reaches every embedded one.
//
// The generated files say which sets a build has: archTable
// (assets_gen.go) holds every architecture of the manifest, and the one
// archs_*_gen.go file that the build tags select holds embeddedArchs (in
// slot order: the default first, then the others in table order, as the C
// core numbers them) and the default set's length constants.

// archData is one architecture of the manifest.
type archData struct {
	name    string // canonical: "aarch64", "x86_64"
	goarch  string // the GOARCH of its hosts: "arm64", "amd64"
	release string // the kernel's release, as recorded at build time
	assets  [kindCount]AssetInfo
}

// archCount is the number of embedded architectures.
const archCount = len(embeddedArchs)

// assetTotal is the number of embedded assets: the valid Asset values are
// 0 .. assetTotal-1, value slot*kindCount+kind being the asset of that
// kind of the slot's architecture (the C core's smk_asset values).
const assetTotal = archCount * kindCount

// assetTable is every embedded asset, in Asset order.
var assetTable = func() (t [assetTotal]AssetInfo) {
	for slot, i := range embeddedArchs {
		copy(t[slot*kindCount:], archTable[i].assets[:])
	}
	return t
}()

func archOfSlot(slot int) *archData { return &archTable[embeddedArchs[slot]] }

// Archs returns the architectures whose sets the build embeds ("aarch64",
// "x86_64"), the default one first, then the others in table order.  It
// never decodes.
func Archs() []string {
	out := make([]string, archCount)
	for slot := range out {
		out[slot] = archOfSlot(slot).name
	}
	return out
}

// DefaultArch is the architecture whose set the names without an
// architecture mean (the seed's names): GOARCH's (x86_64 for amd64,
// aarch64 for arm64) when the build embeds its set, else the first the
// build embeds.  The C core, compiled for the same target, decides alike.
func DefaultArch() string { return defaultArch }

// canonicalArch maps the names other ecosystems give an architecture onto
// the canonical one, as the core's smk_asset_find does; other names are
// returned as they are.
func canonicalArch(arch string) string {
	switch arch {
	case "arm64":
		return "aarch64"
	case "amd64", "x64":
		return "x86_64"
	}
	return arch
}

// ArchSet is the embedded set of one architecture: its kernel, init-oci
// and agent, and the operations on the set as a whole.  Get one from
// [ForArch]; the zero value is not usable.  Safe for concurrent use.
type ArchSet struct {
	slot int
}

var archSets = func() (s [archCount]ArchSet) {
	for i := range s {
		s[i].slot = i
	}
	return s
}()

// ForArch returns the set of an architecture: "aarch64" or "x86_64", also
// under the names GOARCH and Node give them ("arm64"; "amd64", "x64"); ""
// is the default architecture.  An architecture the build does not embed
// gives a [*PayloadError] with code [ErrNoArch], naming it.
func ForArch(arch string) (*ArchSet, error) {
	if arch == "" {
		return defaultSet(), nil
	}
	name := canonicalArch(arch)
	for slot := range archSets {
		if archOfSlot(slot).name == name {
			return &archSets[slot], nil
		}
	}
	return nil, &PayloadError{Op: "arch", Asset: noAsset, Arch: arch, Code: ErrNoArch}
}

// defaultSet is the default architecture's.  (Sliced, so that a build
// embedding no set fails only at archs_none_gen.go's message.)
func defaultSet() *ArchSet { return &archSets[:][0] }

// Arch is the set's architecture, by its canonical name.
func (s *ArchSet) Arch() string { return archOfSlot(s.slot).name }

// Asset is the set's asset of a kind ([Kernel], [InitOCI] or
// [SupermachineAgent]): a value usable with every [Asset] method.  It is
// -1, which no method accepts, for any other kind.
func (s *ArchSet) Asset(kind Asset) Asset {
	if kind < 0 || kind >= kindCount {
		return noAsset
	}
	return Asset(s.slot*kindCount) + kind
}

// Assets describes the set's assets, in kind order.  It never decodes.
func (s *ArchSet) Assets() []AssetInfo {
	out := make([]AssetInfo, kindCount)
	copy(out, assetTable[s.slot*kindCount:])
	return out
}

// KernelRelease is the release of the set's kernel recorded at build time
// ("6.12.117").  It never decodes.
func (s *ArchSet) KernelRelease() string { return archOfSlot(s.slot).release }

// kindOf checks a kind argument.
func (s *ArchSet) kindOf(kind Asset) (Asset, error) {
	a := s.Asset(kind)
	if a == noAsset {
		return noAsset, fmt.Errorf("supermachine-kernel: %d is not an asset kind (Kernel, InitOCI, SupermachineAgent): %w", int(kind), syscall.EINVAL)
	}
	return a, nil
}

// AssetBytes is [Asset.Bytes] of the set's asset of a kind.
func (s *ArchSet) AssetBytes(kind Asset) ([]byte, error) {
	a, err := s.kindOf(kind)
	if err != nil {
		return nil, err
	}
	return a.Bytes()
}

// ExtractAssetTo is [Asset.ExtractTo] of the set's asset of a kind.
func (s *ArchSet) ExtractAssetTo(kind Asset, path string) error {
	a, err := s.kindOf(kind)
	if err != nil {
		return err
	}
	return a.ExtractTo(path)
}

// ExtractAssetToWithParents is [Asset.ExtractToWithParents] of the set's
// asset of a kind.
func (s *ArchSet) ExtractAssetToWithParents(kind Asset, path string) error {
	a, err := s.kindOf(kind)
	if err != nil {
		return err
	}
	return a.ExtractToWithParents(path)
}

// VerifyFile is [VerifyFile] of the set's asset of a kind.
func (s *ArchSet) VerifyFile(kind Asset, path string) error {
	a, err := s.kindOf(kind)
	if err != nil {
		return err
	}
	return VerifyFile(a, path)
}

// KernelInfo describes the set's kernel; see [KernelInfo].
func (s *ArchSet) KernelInfo() (KernelImageInfo, error) {
	k := &kernelInfos[s.slot]
	k.Lock()
	defer k.Unlock()
	if !k.done {
		info, rc := backendKernelInfo(s.slot)
		if rc != 0 {
			return KernelImageInfo{}, newError("decode", s.Asset(Kernel), "", rc)
		}
		k.info, k.done = info, true
	}
	return k.info, nil
}

var kernelInfos [archCount]struct {
	sync.Mutex
	info KernelImageInfo
	done bool
}
