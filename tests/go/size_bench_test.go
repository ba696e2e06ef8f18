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
		size := func(src, cgo string) float64 {
			programUsing(b, dir, moduleDir, src)
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
