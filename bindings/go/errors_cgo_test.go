//go:build cgo && !purego

package supermachinekernel

import (
	"strings"
	"syscall"
	"testing"
)

// The Go package's texts are the core's, so that every CLI prints the same
// lines with cgo and without.
func TestCodeTextsAreTheCores(t *testing.T) {
	for code := range codeTexts {
		if code.Error() != cStrerror(int(code)) {
			t.Errorf("%s: %q, core %q", code.Name(), code.Error(), cStrerror(int(code)))
		}
	}
	for e := syscall.Errno(1); e < 133; e++ {
		s := e.Error()
		if strings.HasPrefix(s, "errno ") {
			continue // unassigned here; the CLI says "unknown error" as the core does
		}
		goText := strings.ToUpper(s[:1]) + s[1:]
		if goText != cStrerror(-int(e)) {
			t.Errorf("errno %d: Go %q, core %q", int(e), goText, cStrerror(-int(e)))
		}
	}
}

// The Go table is the core's: the same architectures in the same slot
// order, and every Asset value the core's smk_asset of the same asset (the
// cgo backend hands the values over as they are).
func TestTablesAreTheCores(t *testing.T) {
	archs, total := cArchs()
	if strings.Join(archs, ",") != strings.Join(Archs(), ",") || total != len(AllAssets()) {
		t.Fatalf("core: %v, %d assets; Go: %v, %d", archs, total, Archs(), len(AllAssets()))
	}
	for i, info := range AllAssets() {
		if c, ok := cAssetInfo(Asset(i)); !ok || c != info {
			t.Errorf("asset %d: core %+v, Go %+v", i, c, info)
		}
	}
	if _, ok := cAssetInfo(Asset(len(AllAssets()))); ok {
		t.Error("the core has more assets")
	}
}
