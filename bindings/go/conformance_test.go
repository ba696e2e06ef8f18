package supermachinekernel

// The shared cases of tests/conformance/cases.json, which the C, Python
// and Node suites run too: each extract case for each asset, each verify
// case for each asset.  The paths of "bytes" cases (not UTF-8) are decoded
// by cases(): a string holds them as they are.

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestCasesCoverEveryAsset(t *testing.T) {
	c := cases(t)
	if len(c.Assets) != len(Assets()) {
		t.Fatalf("cases.json names %d assets, the package has %d", len(c.Assets), len(Assets()))
	}
	for _, a := range c.Assets {
		info := assetByName(t, a.Asset).Info()
		if info.FileName != a.File || strconv.FormatUint(uint64(info.Mode), 8) != a.Mode[1:] {
			t.Errorf("%s: file %s mode %o, cases.json %s %s", a.Asset, info.FileName, info.Mode, a.File, a.Mode)
		}
	}
	for name, code := range c.ErrorCodes {
		if Code(code).Name() != name {
			t.Errorf("%s = %d: the package names it %q", name, code, Code(code).Name())
		}
	}
}

func TestExtractCases(t *testing.T) {
	c := cases(t)
	for _, a := range Assets() {
		asset := assetByName(t, a.Name)
		for _, tc := range c.Extract {
			tc := tc
			t.Run(a.Name+"/"+tc.ID, func(t *testing.T) {
				if tc.Unprivileged && os.Geteuid() == 0 {
					runUnprivileged(t, asset, tc)
					return
				}
				runExtractCase(t, asset, tc, t.TempDir())
			})
		}
	}
}

func runExtractCase(t testing.TB, a Asset, tc extractCase, root string) {
	applySetup(t, root, tc.Setup)
	dest := ""
	if tc.Dest != "" {
		dest = filepath.Join(root, tc.Dest)
		if tc.Dest[len(tc.Dest)-1] == '/' {
			dest += "/"
		}
	}
	var err error
	if tc.WithParents {
		err = a.ExtractToWithParents(dest)
	} else {
		err = a.ExtractTo(dest)
	}
	checkCode(t, err, tc.Error, dest, cases(t).ErrorCodes)
	checkAfter(t, root, a, tc.After)
}

// runUnprivileged runs an extract case as nobody, in a directory nobody
// may enter.
func runUnprivileged(t *testing.T, a Asset, tc extractCase) {
	if os.Getenv("SMK_GO_CASE") != "" {
		t.Skip("nested")
	}
	root, err := os.MkdirTemp("", "smk-go-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(root)
	if err := os.Chmod(root, 0o777); err != nil {
		t.Fatal(err)
	}
	bins, err := os.MkdirTemp("", "smk-go-bin-")
	must(t, err)
	defer os.RemoveAll(bins)
	must(t, os.Chmod(bins, 0o755))
	asNobody(t, bins, "TestUnprivilegedCase", "SMK_GO_CASE="+tc.ID, "SMK_GO_ASSET="+a.String(), "SMK_GO_ROOT="+root)
}

// TestUnprivilegedCase is the half of runUnprivileged that runs as nobody.
func TestUnprivilegedCase(t *testing.T) {
	id := os.Getenv("SMK_GO_CASE")
	if id == "" {
		t.Skip("run by TestExtractCases as nobody")
	}
	for _, tc := range cases(t).Extract {
		if tc.ID == id {
			runExtractCase(t, assetByName(t, os.Getenv("SMK_GO_ASSET")), tc, os.Getenv("SMK_GO_ROOT"))
			return
		}
	}
	t.Fatalf("no case %s", id)
}

func TestVerifyCases(t *testing.T) {
	c := cases(t)
	for _, a := range Assets() {
		asset := assetByName(t, a.Name)
		for _, tc := range c.Verify {
			tc := tc
			t.Run(a.Name+"/"+tc.ID, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), tc.Dir)
				must(t, os.MkdirAll(dir, 0o755))
				path := filepath.Join(dir, a.FileName)
				if err := asset.ExtractTo(path); err != nil {
					t.Fatal(err)
				}
				applyChange(t, path, tc.Change)
				err := VerifyFile(asset, path)
				checkCode(t, err, tc.Error, path, c.ErrorCodes)
				var m *MismatchError
				if errors.As(err, &m) && (m.Asset != asset || m.Path != path) {
					t.Errorf("%v: names asset %q file %q", err, m.Asset, m.Path)
				}
				// Verify of the whole directory names the same file.
				for i := range Assets() {
					if Asset(i) != asset {
						if err := Asset(i).ExtractTo(filepath.Join(dir, Asset(i).Info().FileName)); err != nil {
							t.Fatal(err)
						}
					}
				}
				checkCode(t, Verify(dir), tc.Error, path, c.ErrorCodes)
			})
		}
	}
}

// applyChange damages a file as a verify case's 'change' says.
func applyChange(t testing.TB, path, change string) {
	t.Helper()
	switch change {
	case "none":
	case "delete":
		must(t, os.Remove(path))
	case "truncate":
		st, err := os.Stat(path)
		must(t, err)
		must(t, os.Truncate(path, st.Size()/2))
	case "flip-last-byte":
		b, err := os.ReadFile(path)
		must(t, err)
		b[len(b)-1] ^= 1
		st, _ := os.Stat(path)
		must(t, os.WriteFile(path, b, st.Mode()))
	case "chmod-0600":
		must(t, os.Chmod(path, 0o600))
	case "replace-with-symlink":
		aside := path + ".real"
		must(t, os.Rename(path, aside))
		must(t, os.Symlink(filepath.Base(aside), path))
	default:
		t.Fatalf("unknown change %q", change)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
