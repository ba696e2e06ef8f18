package gotests

// The build tags that choose the embedded sets (bindings/go/doc.go):
// smk_aarch64 and smk_x86_64 name sets, smk_goarch adds GOARCH's, none of
// them embeds every set.  A program built with each combination, with cgo
// and without, must see the same sets and the same default architecture
// (the C core's table and the Go one are chosen by the same conditions),
// and every set it sees must work; other GOARCHes are checked through the
// files and cgo flags the go tool selects for them.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

const archProbe = `package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	smk "` + modulePath + `"
)

func main() {
	fmt.Println("archs", strings.Join(smk.Archs(), ","), "default", smk.DefaultArch(), "kernel_len", smk.KernelLen, smk.Kernel.Len() == smk.KernelLen, "assets", len(smk.AllAssets()))
	for _, arch := range []string{"aarch64", "x86_64"} {
		set, err := smk.ForArch(arch)
		if err != nil {
			fmt.Println(arch, "error", err)
			continue
		}
		k, err := set.KernelInfo()
		if err != nil {
			panic(err)
		}
		dir := filepath.Join(os.Args[1], arch)
		if err := set.ExtractAllTo(dir); err != nil {
			panic(err)
		}
		if err := set.Verify(dir); err != nil {
			panic(err)
		}
		fmt.Println(arch, k.Format, k.ImageSize, k.PVHEntry, set.Assets()[0].SHA256)
	}
}
`

// manifestSets is the manifest's architectures, in its order.
func manifestSets(t testing.TB) []string {
	var m struct{ Assets []struct{ Arch string } }
	b, err := os.ReadFile(filepath.Join(repo, "payloads/manifest.json"))
	must(t, err)
	must(t, json.Unmarshal(b, &m))
	var archs []string
	for _, a := range m.Assets {
		if len(archs) == 0 || archs[len(archs)-1] != a.Arch {
			archs = append(archs, a.Arch)
		}
	}
	return archs
}

var goarchSet = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}

// wantArchs is what a build with tags embeds, default first, for GOARCH.
func wantArchs(tags, goarch string, manifest []string) []string {
	chosen := map[string]bool{}
	any := false
	for _, tag := range strings.Split(tags, ",") {
		switch tag {
		case "smk_aarch64":
			chosen["aarch64"], any = true, true
		case "smk_x86_64":
			chosen["x86_64"], any = true, true
		case "smk_goarch":
			any = true
			if a := goarchSet[goarch]; a != "" {
				chosen[a] = true
			}
		}
	}
	var in []string
	for _, a := range manifest {
		if chosen[a] || !any {
			in = append(in, a)
		}
	}
	for i, a := range in {
		if a == goarchSet[goarch] {
			return append([]string{a}, append(append([]string(nil), in[:i]...), in[i+1:]...)...)
		}
	}
	return in
}

func TestBuildTagsChooseTheSets(t *testing.T) {
	manifest := manifestSets(t)
	probe := t.TempDir()
	programUsing(t, probe, moduleDir, archProbe)
	for _, tags := range []string{"", "smk_goarch", "smk_aarch64", "smk_x86_64", "smk_aarch64,smk_x86_64", "smk_goarch,smk_aarch64"} {
		want := wantArchs(tags, runtime.GOARCH, manifest)
		if len(want) == 0 {
			continue // smk_goarch on a GOARCH with no set: below
		}
		outputs := map[string]string{}
		for _, cgo := range []string{"1", "0"} {
			env := []string{"CGO_ENABLED=" + cgo, "GOFLAGS=-mod=mod", "GOWORK=off"}
			bin := filepath.Join(probe, "probe")
			run(t, probe, env, goTool(), "build", "-tags", tags, "-o", bin, ".")
			outputs[cgo] = run(t, probe, nil, bin, t.TempDir())
		}
		first := strings.SplitN(outputs["1"], "\n", 2)[0]
		if !strings.HasPrefix(first, "archs "+strings.Join(want, ",")+" default "+want[0]+" ") ||
			!strings.Contains(first, " true assets "+strconv.Itoa(3*len(want))) {
			t.Errorf("-tags %q: %q, want the sets %v", tags, first, want)
		}
		for _, a := range []string{"aarch64", "x86_64"} {
			embedded := strings.Contains(","+strings.Join(want, ",")+",", ","+a+",")
			if embedded == strings.Contains(outputs["1"], a+" error ") {
				t.Errorf("-tags %q: %s embedded %v, but the program says\n%s", tags, a, embedded, outputs["1"])
			}
		}
		if outputs["0"] != outputs["1"] {
			t.Errorf("-tags %q: cgo and pure-Go builds differ:\n--- cgo\n%s--- pure-go\n%s", tags, outputs["1"], outputs["0"])
		}
	}
}

// For other GOARCHes the go tool must select the configuration file, the
// embedding files and the cgo flags of the sets the rule gives.
func TestBuildTagsForOtherGOARCHes(t *testing.T) {
	manifest := manifestSets(t)
	for _, goarch := range []string{"amd64", "arm64", "riscv64"} {
		for _, tags := range []string{"", "smk_goarch", "smk_aarch64", "smk_goarch,smk_x86_64"} {
			want := wantArchs(tags, goarch, manifest)
			for _, cgo := range []string{"1", "0"} {
				env := []string{"GOARCH=" + goarch, "CGO_ENABLED=" + cgo, "GOWORK=off", "GOFLAGS=-mod=mod"}
				out := run(t, moduleDir, env, goTool(), "list", "-tags", tags, "-f", "{{join .GoFiles \" \"}}|{{join .CgoCFLAGS \" \"}}", ".")
				files, cflags, _ := strings.Cut(strings.TrimSpace(out), "|")
				config := "archs_none_gen.go"
				if len(want) > 0 {
					config = "archs_" + strings.Join(want, "_") + "_gen.go"
				}
				if !strings.Contains(" "+files+" ", " "+config+" ") || strings.Count(files, "archs_") != 1 {
					t.Errorf("GOARCH=%s cgo=%s -tags %q: files %s, want %s", goarch, cgo, tags, files, config)
				}
				for _, a := range manifest {
					embedded := strings.Contains(" "+strings.Join(want, " ")+" ", " "+a+" ")
					flag := strings.Contains(cflags, "-DSMK_GO_EMBED_"+strings.ToUpper(a))
					embed := strings.Contains(files, "embed_"+a+"_gen.go")
					if cgo == "1" && (flag != embedded || embed) || cgo == "0" && (embed != embedded || flag) {
						t.Errorf("GOARCH=%s cgo=%s -tags %q: %s embedded %v, files %s, cflags %s", goarch, cgo, tags, a, embedded, files, cflags)
					}
				}
			}
		}
	}
	// smk_goarch where GOARCH has no set: the build stops, saying why.
	cmd := exec.Command(goTool(), "build", "-tags", "smk_goarch", ".")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "GOARCH=riscv64", "CGO_ENABLED=0", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "smk_goarch_embeds_no_set_for_this_GOARCH__add_smk_x86_64_or_smk_aarch64") ||
		strings.Count(strings.TrimSpace(string(out)), "\n") != 1 {
		t.Errorf("GOARCH=riscv64 -tags smk_goarch: %v\n%s", err, out)
	}
}
