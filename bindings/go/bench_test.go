//go:build cgo && !purego

package supermachinekernel

// Kernel extraction three ways, in one run (`go test -bench Extract`,
// tests/go/bench.sh): through cgo (the C core), through the pure-Go path
// (internal/pure, what CGO_ENABLED=0 builds use) and as a Go user's own
// code would do it with the same pure-Go decoder, xz.NewReader and
// os.WriteFile (no fsync, no atomic rename).  Compare with benchstat or by
// the ns/op ratio.

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/supermachine-dev/supermachine-kernel/bindings/go/internal/pure"
	"github.com/ulikunitz/xz"
)

func kernelPayload(b *testing.B) *pure.Payload {
	data, err := os.ReadFile(filepath.Join("payloads", manifest(b)["kernel"].XZ))
	if err != nil {
		b.Fatal(err)
	}
	info := Kernel.Info()
	return &pure.Payload{Name: info.Name, FileName: info.FileName, Mode: uint32(info.Mode), Size: int64(info.Size), SHA256: info.SHA256, Data: data}
}

func BenchmarkExtractKernel(b *testing.B) {
	dest := filepath.Join(b.TempDir(), "kernel")
	b.Run("cgo", func(b *testing.B) {
		b.SetBytes(KernelLen)
		for i := 0; i < b.N; i++ {
			if err := ExtractKernelTo(dest); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pure-go", func(b *testing.B) {
		p := kernelPayload(b)
		b.SetBytes(KernelLen)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if rc := pure.ExtractTo(p, dest); rc != 0 {
				b.Fatal(newError("extract", Kernel, dest, rc))
			}
		}
	})
	b.Run("user-code", func(b *testing.B) {
		data := kernelPayload(b).Data
		b.SetBytes(KernelLen)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			r, err := xz.NewReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			raw, err := io.ReadAll(r)
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(dest, raw, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	})
}
