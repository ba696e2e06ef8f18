package main

import (
	"os"
	"strings"
	"testing"
)

// The drift check: the generated files committed in the module are what
// the generator makes of core/ and payloads/ now.
func TestGeneratedFilesMatchTheRepository(t *testing.T) {
	if _, err := os.Stat("../../../../payloads/manifest.json"); err != nil {
		t.Skip("not in a checkout of the repository")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wd, err := os.Getwd()
	must(err)
	must(os.Chdir("../.."))
	defer os.Chdir(wd)
	files, err := generate("../..", "../../payloads")
	must(err)
	if drifted := drift(files); len(drifted) > 0 {
		t.Errorf("generated files differ from core/ and payloads/; run `go generate` in bindings/go:\n  %s",
			strings.Join(drifted, "\n  "))
	}
	// Every core source is compiled by the cgo build.
	entries, err := os.ReadDir("../../core/src")
	must(err)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".c") {
			if _, ok := files["core_"+e.Name()]; !ok {
				t.Errorf("core/src/%s is not copied into the module", e.Name())
			}
		}
	}
}

func TestDriftIsDetected(t *testing.T) {
	files := map[string][]byte{"gen_test.go": []byte("not this file's content")}
	if d := drift(files); len(d) != 1 || d[0] != "gen_test.go" {
		t.Errorf("drift = %q", d)
	}
}
