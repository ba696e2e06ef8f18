package gotests

// An outside module gets the package the way users do: the module zip
// (golang.org/x/mod/zip, as the proxy serves it) from a file-system
// GOPROXY, then `go get`, `go build` and a run, with cgo and without; and
// the same vendored.  A replace directive to the checkout would not do: it
// sees files a module zip leaves out.

import (
	stdzip "archive/zip"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

const maxZipSize = 6 << 20

const consumerMain = `package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	smk "` + modulePath + `"
)

// A constant context, as the seed's *_LEN allow.
var buf [smk.InitOCILen]byte

func main() {
	dir := os.Args[1]
	if err := smk.ExtractKernelToWithParents(filepath.Join(dir, "kernel")); err != nil {
		panic(err)
	}
	if _, err := smk.EnsureAssets(dir); err != nil {
		panic(err)
	}
	if err := smk.Verify(dir); err != nil {
		panic(err)
	}
	b, err := smk.InitOCIBytes()
	if err != nil {
		panic(err)
	}
	copy(buf[:], b)
	k, err := smk.KernelInfo()
	if err != nil {
		panic(err)
	}
	fmt.Println(smk.Version, smk.KernelLen, len(buf), bytes.Equal(buf[:], b), k.Release)
}
`

// serveModule writes the module's zip, .mod and .info into a GOPROXY tree
// and returns the proxy URL and the zip's size.
func serveModule(t *testing.T, v string) (string, int64) {
	proxy := t.TempDir()
	dir := filepath.Join(proxy, modulePath, "@v")
	must(t, os.MkdirAll(dir, 0o755))
	mv := module.Version{Path: modulePath, Version: "v" + v}
	f, err := os.Create(filepath.Join(dir, mv.Version+".zip"))
	must(t, err)
	must(t, zip.CreateFromDir(f, mv, moduleDir))
	must(t, f.Close())
	st, err := os.Stat(f.Name())
	must(t, err)
	checkZipHoldsTheCommittedFiles(t, f.Name())
	gomod, err := os.ReadFile(filepath.Join(moduleDir, "go.mod"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, mv.Version+".mod"), gomod, 0o644))
	info, _ := json.Marshal(map[string]string{"Version": mv.Version, "Time": "2026-11-01T00:00:00Z"})
	must(t, os.WriteFile(filepath.Join(dir, mv.Version+".info"), info, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "list"), []byte(mv.Version+"\n"), 0o644))
	return "file://" + proxy, st.Size()
}

func TestOutsideConsumer(t *testing.T) {
	v := version(t)
	proxy, size := serveModule(t, v)
	checkZipSize(t, size)

	consumer := t.TempDir()
	must(t, os.WriteFile(filepath.Join(consumer, "go.mod"), []byte("module example.com/consumer\n\ngo 1.22\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(consumer, "main.go"), []byte(consumerMain), 0o644))
	// A module cache of its own, so that no earlier run's copy of the
	// module is used; the module's own dependencies come from the
	// machine's module cache, itself a GOPROXY tree (the module's own
	// build downloaded them), ours only from the file-system proxy.
	env := []string{
		"GOPROXY=" + proxy + ",file://" + filepath.Join(goEnv(t, "GOMODCACHE"), "cache", "download") + ",off",
		"GOMODCACHE=" + filepath.Join(t.TempDir(), "modcache"),
		"GOFLAGS=-mod=mod -modcacherw",
		"GOSUMDB=off",
		"GOWORK=off",
	}
	run(t, consumer, env, goTool(), "get", modulePath+"@v"+v)
	want := v + " "
	for _, cgo := range []string{"1", "0"} {
		for _, vendored := range []bool{false, true} {
			name := "cgo=" + cgo
			buildEnv := append(env[:len(env):len(env)], "CGO_ENABLED="+cgo)
			flags := []string{"build", "-o", "consumer"}
			if vendored {
				name += ",vendored"
				run(t, consumer, env, goTool(), "mod", "vendor")
				buildEnv = append(buildEnv, "GOFLAGS=-mod=vendor -modcacherw")
			}
			t.Run(name, func(t *testing.T) {
				run(t, consumer, buildEnv, goTool(), flags...)
				out := run(t, consumer, nil, filepath.Join(consumer, "consumer"), filepath.Join(t.TempDir(), "assets"))
				if !strings.HasPrefix(out, want) || !strings.HasSuffix(out, " true "+kernelRelease(t)+"\n") {
					t.Errorf("consumer printed %q", out)
				}
			})
			if vendored {
				must(t, os.RemoveAll(filepath.Join(consumer, "vendor")))
			}
		}
	}
}

// checkZipSize: the budget is 6 MiB for the module with every set,
// and what the module adds to the payloads (sources, licences, zip
// overhead) stays small.
func checkZipSize(t *testing.T, size int64) {
	var payloads int64
	for _, e := range manifestEntries(t) {
		payloads += e.XZSize
	}
	const maxOverhead = 512 << 10
	t.Logf("module zip: %d bytes (%.2f MiB): payloads %d (%.2f MiB), the rest %d (%.0f KiB)",
		size, float64(size)/(1<<20), payloads, float64(payloads)/(1<<20), size-payloads, float64(size-payloads)/(1<<10))
	if size-payloads > maxOverhead {
		t.Errorf("the module adds %d bytes to its payloads, over %d", size-payloads, maxOverhead)
	}
	if size > maxZipSize {
		t.Errorf("module zip is %d bytes, over %d (its payloads: %d)", size, maxZipSize, payloads)
	}
}

func goEnv(t testing.TB, name string) string {
	return strings.TrimSpace(run(t, repo, nil, goTool(), "env", name))
}

func kernelRelease(t testing.TB) string { return defaultEntry(t, "kernel").Release }

// manifestEntry is a manifest entry.
type manifestEntry struct {
	Name, Arch, Release, XZ string
	XZSize                  int64 `json:"xz_size"`
}

func manifestEntries(t testing.TB) []manifestEntry {
	var m struct{ Assets []manifestEntry }
	b, err := os.ReadFile(filepath.Join(repo, "payloads/manifest.json"))
	must(t, err)
	must(t, json.Unmarshal(b, &m))
	return m.Assets
}

// defaultEntry is the manifest's entry of an asset of the default
// architecture of a build for this GOARCH that embeds every set: the
// host's, else the first.
func defaultEntry(t testing.TB, name string) manifestEntry {
	entries := manifestEntries(t)
	arch := entries[0].Arch
	for _, e := range entries {
		if e.Arch == goarchSet[runtime.GOARCH] {
			arch = e.Arch
		}
	}
	for _, e := range entries {
		if e.Arch == arch && e.Name == name {
			return e
		}
	}
	t.Fatalf("no %s %s in the manifest", arch, name)
	return manifestEntry{}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// checkZipHoldsTheCommittedFiles: the proxy serves what git holds at the
// tag, so the zip made from the working tree must hold exactly the files
// git tracks in the module (nothing generated but uncommitted, no build
// output).
func checkZipHoldsTheCommittedFiles(t *testing.T, zipPath string) {
	r, err := stdzip.OpenReader(zipPath)
	must(t, err)
	defer r.Close()
	var inZip []string
	for _, f := range r.File {
		// "<module>@<version>/<file>"
		_, file, _ := strings.Cut(strings.TrimPrefix(f.Name, modulePath+"@"), "/")
		inZip = append(inZip, file)
	}
	tracked := strings.Fields(run(t, moduleDir, nil, "git", "ls-files", "."))
	sort.Strings(inZip)
	sort.Strings(tracked)
	if strings.Join(inZip, "\n") != strings.Join(tracked, "\n") {
		t.Errorf("the module zip holds other files than git tracks in bindings/go:\nzip: %v\ngit: %v", inZip, tracked)
	}
}
