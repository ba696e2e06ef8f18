//go:build linux

package pure

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ulikunitz/xz"
)

// BenchmarkExtractKernel is ExtractTo of the kernel (8 MiB raw, 2.6 MiB
// xz): block-parallel decoding, pwrite, fsync, rename, directory fsync.
func BenchmarkExtractKernel(b *testing.B) {
	p := payloadNamed(b, "kernel")
	dest := filepath.Join(b.TempDir(), "kernel")
	b.SetBytes(p.Size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rc := ExtractTo(p, dest); rc != 0 {
			b.Fatal(codeName(rc))
		}
	}
}

// BenchmarkPlainReaderWriteFile is the baseline: one xz.NewReader over
// the whole kernel payload into memory, then os.WriteFile (no fsync, not
// atomic).
func BenchmarkPlainReaderWriteFile(b *testing.B) {
	p := payloadNamed(b, "kernel")
	dest := filepath.Join(b.TempDir(), "kernel")
	b.SetBytes(p.Size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := xz.NewReader(bytes.NewReader(p.Data))
		if err != nil {
			b.Fatal(err)
		}
		raw, err := io.ReadAll(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(dest, raw, 0644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBytesKernel is Bytes of the kernel: block-parallel decoding
// into a fresh mapping.
func BenchmarkBytesKernel(b *testing.B) {
	p := payloadNamed(b, "kernel")
	b.SetBytes(p.Size)
	for i := 0; i < b.N; i++ {
		m, rc := Bytes(p)
		if rc != 0 {
			b.Fatal(codeName(rc))
		}
		_ = unmapForBenchmark(m)
	}
}

// BenchmarkVerifyKernel is VerifyFile of an extracted kernel: decoding in
// compare mode.
func BenchmarkVerifyKernel(b *testing.B) {
	p := payloadNamed(b, "kernel")
	dest := filepath.Join(b.TempDir(), "kernel")
	if rc := ExtractTo(p, dest); rc != 0 {
		b.Fatal(codeName(rc))
	}
	b.SetBytes(p.Size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rc := VerifyFile(p, dest); rc != 0 {
			b.Fatal(codeName(rc))
		}
	}
}
