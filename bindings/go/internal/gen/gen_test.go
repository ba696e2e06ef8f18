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

// A manifest the module cannot embed is refused, naming what is wrong.
func TestManifestChecks(t *testing.T) {
	good := func(arch, name string) manifestAsset {
		return manifestAsset{Name: name, File: name, XZ: arch + "/" + name + ".xz", Mode: "0644", Arch: arch,
			SHA256: strings.Repeat("0", 64), Compression: "--format=xz --check=crc64 --lzma2=preset=9 --block-size=1MiB --threads=2"}
	}
	set := func(arch string) []manifestAsset {
		return []manifestAsset{good(arch, "kernel"), good(arch, "init_oci"), good(arch, "supermachine_agent")}
	}
	both := append(set("x86_64"), set("aarch64")...)
	sets, err := setsOf(manifest{Format: 2, Assets: both})
	if err != nil || len(sets) != 2 || sets[0].arch.name != "aarch64" || sets[1].arch.name != "x86_64" {
		t.Fatalf("both sets: %v %v", sets, err)
	}
	for what, tc := range map[string]struct {
		m    manifest
		want string
	}{
		"format 1":   {manifest{Format: 1, Assets: set("aarch64")}, "format 1, want 2"},
		"duplicate":  {manifest{Format: 2, Assets: append(set("aarch64"), good("aarch64", "kernel"))}, "two aarch64 assets named \"kernel\""},
		"incomplete": {manifest{Format: 2, Assets: append(set("aarch64"), good("x86_64", "kernel"))}, "the x86_64 set is incomplete"},
		"unknown":    {manifest{Format: 2, Assets: set("riscv64")}, "arch \"riscv64\""},
		"outside":    {manifest{Format: 2, Assets: append(set("aarch64")[:2], manifestAsset{Name: "supermachine_agent", XZ: "../x.xz", Arch: "aarch64"})}, "not a plain path"},
		"BCJ": {manifest{Format: 2, Assets: func() []manifestAsset {
			s := set("x86_64")
			s[0].Compression = "--format=xz --x86 --lzma2=preset=9"
			return s
		}()}, "reads LZMA2 with CRC64 only"},
		"no assets":   {manifest{Format: 2}, "no assets"},
		"bad mode":    {manifest{Format: 2, Assets: func() []manifestAsset { s := set("x86_64"); s[1].Mode = "0777"; return s }()}, "mode \"0777\""},
		"bad digest":  {manifest{Format: 2, Assets: func() []manifestAsset { s := set("x86_64"); s[2].SHA256 = "AB"; return s }()}, "sha256"},
		"no compress": {manifest{Format: 2, Assets: func() []manifestAsset { s := set("x86_64"); s[2].Compression = ""; return s }()}, "no \"compression\""},
	} {
		if _, err := setsOf(tc.m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", what, err, tc.want)
		}
	}
}
