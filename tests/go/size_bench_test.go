package gotests

// Sizes a user pays for (`go test -bench Sizes -benchtime 1x`, via
// tests/go/bench.sh): the module zip as the proxy serves it, and the bytes
// importing the package adds to a hello-world binary, with cgo and without.

import (
	"os"
	"path/filepath"
	"testing"
)

const hello = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"

const helloWithPackage = "package main\n\nimport (\n\t\"fmt\"\n\n\tsmk \"" + modulePath + "\"\n)\n\nfunc main() {\n\tfmt.Println(\"hello\")\n\tif err := smk.ExtractKernelTo(\"kernel\"); err != nil {\n\t\tpanic(err)\n\t}\n}\n"

func BenchmarkSizes(b *testing.B) {
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		gomod := "module example.com/hello\n\ngo 1.22\n\nrequire " + modulePath + " v0.0.0\n\nreplace " + modulePath + " => " + moduleDir + "\n"
		must(b, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
		sum, err := os.ReadFile(filepath.Join(moduleDir, "go.sum"))
		must(b, err)
		must(b, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
		size := func(src, cgo string) float64 {
			must(b, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
			out := filepath.Join(dir, "hello")
			run(b, dir, []string{"CGO_ENABLED=" + cgo, "GOFLAGS=-mod=mod", "GOWORK=off"}, goTool(), "build", "-o", out, ".")
			st, err := os.Stat(out)
			must(b, err)
			return float64(st.Size())
		}
		for _, cgo := range []string{"1", "0"} {
			base := size(hello, cgo)
			with := size(helloWithPackage, cgo)
			b.ReportMetric(base/(1<<20), "hello-MiB-cgo"+cgo)
			b.ReportMetric((with-base)/(1<<20), "added-MiB-cgo"+cgo)
		}
	}
}
