package gotests

// A damaged payload, end to end: a copy of the module whose kernel.xz has
// one byte flipped in a middle block.  Both builds must report it the
// same way, as a *PayloadError naming the asset and the file, write
// nothing at the destination, and agree on every CLI output.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const corruptProbe = `package main

import (
	"errors"
	"fmt"
	"os"

	smk "` + modulePath + `"
)

func main() {
	dest := os.Args[1]
	err := smk.ExtractKernelTo(dest)
	var pe *smk.PayloadError
	fmt.Println(errors.As(err, &pe), errors.Is(err, smk.ErrCorrupt))
	if pe != nil {
		fmt.Println(pe.Op, pe.Asset, pe.Path == dest, pe.Code.Name())
	}
	_, statErr := os.Lstat(dest)
	fmt.Println(errors.Is(statErr, os.ErrNotExist))
	fmt.Println(smk.ExtractInitOCITo(dest+".init") == nil)
	_, err = smk.KernelBytes()
	fmt.Println(errors.Is(err, smk.ErrCorrupt), err)
}
`

func TestDamagedPayload(t *testing.T) {
	copyDir := filepath.Join(t.TempDir(), "module")
	run(t, repo, nil, "cp", "-a", moduleDir, copyDir)
	xz := filepath.Join(copyDir, "payloads", defaultEntry(t, "kernel").XZ)
	b, err := os.ReadFile(xz)
	must(t, err)
	b[len(b)/2] ^= 0x55
	must(t, os.WriteFile(xz, b, 0o644))

	probe := t.TempDir()
	programUsing(t, probe, copyDir, corruptProbe)

	good := filepath.Join(t.TempDir(), "good")
	run(t, repo, nil, cli(t, true), "extract", good)
	outputs := map[string]string{}
	for _, cgo := range []string{"1", "0"} {
		env := []string{"CGO_ENABLED=" + cgo, "GOFLAGS=-mod=mod", "GOWORK=off"}
		bin := filepath.Join(probe, "probe-cgo"+cgo)
		run(t, probe, env, goTool(), "build", "-o", bin, ".")
		cmdBin := filepath.Join(probe, "cli-cgo"+cgo)
		run(t, copyDir, env, goTool(), "build", "-o", cmdBin, "./cmd/supermachine-kernel")

		work := filepath.Join(t.TempDir(), "w") // the same length for both builds' outputs
		must(t, os.MkdirAll(work, 0o755))
		dest := filepath.Join(work, "kernel")
		var all strings.Builder
		all.WriteString(strings.ReplaceAll(run(t, work, nil, bin, dest), work, "{work}"))
		for _, args := range [][]string{{"extract", filepath.Join(work, "x")}, {"verify", good}, {"info"}} {
			cmd := exec.Command(cmdBin, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			all.WriteString(strings.ReplaceAll(fmt.Sprintf("%s exit %d\n", args[0], code)+stdout.String()+stderr.String(), work, "{work}"))
		}
		if n := temporariesUnder(t, work); n != 0 {
			t.Errorf("cgo=%s: %d temporaries left", cgo, n)
		}
		outputs[cgo] = all.String()
	}
	got := outputs["1"]
	for _, want := range []string{
		"true true\nextract kernel true SMK_ERR_CORRUPT\ntrue\ntrue\ntrue decode: kernel payload: embedded payload is corrupt (xz data or integrity check)\n",
		"extract exit 1\nsupermachine-kernel: {work}/x/kernel: embedded payload is corrupt (xz data or integrity check)\n",
		"verify exit 1\n" + good + "/init-oci: ok\n" + good + "/supermachine-agent: ok\nsupermachine-kernel: " + good + "/kernel: embedded payload is corrupt (xz data or integrity check)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("with a damaged kernel payload, the output lacks\n%s\ngot\n%s", want, got)
		}
	}
	if outputs["0"] != outputs["1"] {
		t.Errorf("cgo and pure-Go builds differ on a damaged payload:\n--- cgo\n%s--- pure-go\n%s", outputs["1"], outputs["0"])
	}
}

func temporariesUnder(t testing.TB, root string) int {
	n := 0
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(info.Name(), ".smk-tmp") {
			n++
		}
		return nil
	})
	return n
}
