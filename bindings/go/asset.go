package supermachinekernel

import (
	"fmt"
	"io/fs"
	"sync"
)

// Asset names one embedded artifact.  The values are those of the C core's
// smk_asset: [Kernel], [InitOCI] and [SupermachineAgent] (0, 1, 2) are the
// default architecture's, and [ArchSet.Asset] gives the others'
// (slot*3+kind, slot being the architecture's index in [Archs]).
type Asset int

// AssetInfo is what the build recorded about an asset.
type AssetInfo struct {
	Name         string      // "kernel", "init_oci", "supermachine_agent"
	FileName     string      // "kernel", "init-oci", "supermachine-agent", for every architecture
	Arch         string      // the guest architecture, "aarch64" or "x86_64"
	SHA256       string      // of the raw bytes, 64 lowercase hex digits, as recorded at build time
	Size         uint64      // raw (decoded) size in bytes
	Mode         fs.FileMode // permission bits of an extracted file: 0644 or 0755
	Compressed   bool        // embedded as xz
	EmbeddedSize uint64      // bytes the payload takes in the binary
}

// Assets describes the default architecture's assets, in kind order.  It
// never decodes.  See [ArchSet.Assets] for another architecture's, and
// [AllAssets].
func Assets() []AssetInfo { return defaultSet().Assets() }

// AllAssets describes every embedded asset of every architecture, in
// Asset order (the default architecture's set first).  It never decodes.
func AllAssets() []AssetInfo {
	out := make([]AssetInfo, len(assetTable))
	copy(out, assetTable[:])
	return out
}

func (a Asset) valid() bool { return a >= 0 && int(a) < len(assetTable) }

// Info describes the asset.  It never decodes.
func (a Asset) Info() AssetInfo {
	if !a.valid() {
		return AssetInfo{}
	}
	return assetTable[a]
}

// Kind is the asset's kind: [Kernel], [InitOCI] or [SupermachineAgent]
// (-1 for an invalid value).
func (a Asset) Kind() Asset {
	if !a.valid() {
		return noAsset
	}
	return a % kindCount
}

// String is the asset's name ("kernel") for the default architecture's,
// its architecture and name ("aarch64/kernel") for another's, or
// "Asset(N)" for an invalid value.
func (a Asset) String() string {
	switch {
	case !a.valid():
		return fmt.Sprintf("Asset(%d)", int(a))
	case a < kindCount:
		return assetTable[a].Name
	}
	return assetTable[a].Arch + "/" + assetTable[a].Name
}

// Len is the asset's raw size in bytes (0 for an invalid value).  It never
// decodes.
func (a Asset) Len() int {
	if !a.valid() {
		return 0
	}
	return int(assetTable[a].Size)
}

var decoded [len(assetTable)]struct {
	sync.Mutex
	data []byte
	done bool
}

// Bytes returns the asset's decoded bytes.  The first call decodes them
// into memory that lives as long as the process; later calls return the
// same slice.  Safe for concurrent use; a failed decode is retried by the
// next call.
//
// The slice is shared by every caller and must not be modified: it is a
// read-only mapping, and a write to it faults and ends the program.  Copy
// it (bytes.Clone) to change it.
func (a Asset) Bytes() ([]byte, error) {
	if !a.valid() {
		return nil, errInvalidAsset(a)
	}
	d := &decoded[a]
	d.Lock()
	defer d.Unlock()
	if d.done {
		return d.data, nil
	}
	data, rc := backendBytes(a)
	if rc != 0 {
		return nil, newError("decode", a, "", rc)
	}
	d.data, d.done = data, true
	return d.data, nil
}

// ExtractTo writes the asset to path atomically, with the asset's mode.
//
// The bytes are decoded into a temporary file in path's directory (an
// unnamed one where the file system allows), every xz block's check and
// the total size verified, the file synced, its mode set, and renamed over
// path; then the directory is synced.  An existing file is replaced; a
// symlink at path is replaced itself, never written through.  On failure
// path is left as it was and no temporary remains.  The directory must
// exist (see [Asset.ExtractToWithParents]).
func (a Asset) ExtractTo(path string) error {
	if !a.valid() {
		return errInvalidAsset(a)
	}
	if err := checkPath("extract", path); err != nil {
		return err
	}
	return newError("extract", a, path, backendExtract(a, path, false))
}

// ExtractToWithParents is [Asset.ExtractTo], first creating the missing
// directories leading to path, like `mkdir -p` (mode 0777 less the umask).
func (a Asset) ExtractToWithParents(path string) error {
	if !a.valid() {
		return errInvalidAsset(a)
	}
	if err := checkPath("extract", path); err != nil {
		return err
	}
	return newError("extract", a, path, backendExtract(a, path, true))
}

// VerifyFile checks that the file at path is the asset: a regular file
// (a symlink is not followed), of the asset's size and mode, holding exactly
// its bytes.  Type, size and mode are checked first, from the file's
// metadata, so a file failing them is not read.  Otherwise every byte is
// compared with the embedded payload as it is decoded; no digest is
// computed.  A file that is not the asset gives a [*MismatchError].
func VerifyFile(a Asset, path string) error {
	if !a.valid() {
		return errInvalidAsset(a)
	}
	if err := checkPath("verify", path); err != nil {
		return err
	}
	return newError("verify", a, path, backendVerifyFile(a, path))
}
