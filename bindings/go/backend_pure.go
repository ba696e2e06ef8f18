//go:build (!cgo || purego) && linux

package supermachinekernel

// The path without cgo (or with -tags purego: so that the race detector,
// which needs cgo, can test it too): the same .xz payloads through go:embed
// (payloads_embed_gen.go), decoded and written by internal/pure, which
// mirrors the C core's semantics and on-disk protocol.

import (
	"sync"
	"unsafe"

	"github.com/supermachine-dev/supermachine-kernel/bindings/go/internal/pure"
)

var purePayloads = sync.OnceValue(func() []*pure.Payload {
	ps := make([]*pure.Payload, len(assetTable))
	for i, info := range assetTable {
		s := *embeddedPayloads[i]
		ps[i] = &pure.Payload{
			Name:     info.Name,
			FileName: info.FileName,
			Mode:     uint32(info.Mode.Perm()),
			Size:     int64(info.Size),
			SHA256:   info.SHA256,
			// The embedded string's bytes, not a copy: read-only data
			// that pure never writes.
			Data: unsafe.Slice(unsafe.StringData(s), len(s)),
		}
	}
	return ps
})

func payloadOf(a Asset) *pure.Payload { return purePayloads()[a] }

func backendBytes(a Asset) ([]byte, int) { return pure.Bytes(payloadOf(a)) }

func backendExtract(a Asset, dest string, parents bool) int {
	if parents {
		return pure.ExtractToWithParents(payloadOf(a), dest)
	}
	return pure.ExtractTo(payloadOf(a), dest)
}

func backendExtractAll(dir string) ([]int, int) { return pure.ExtractAll(purePayloads(), dir) }

func backendVerify(dir string) ([]int, int) { return pure.Verify(purePayloads(), dir) }

func backendEnsure(dir string) ([]int, int) { return pure.Ensure(purePayloads(), dir) }

func backendVerifyFile(a Asset, path string) int { return pure.VerifyFile(payloadOf(a), path) }

func backendKernelHeader() (textOffset, imageSize, flags uint64, rc int) {
	return pure.KernelHeader(payloadOf(Kernel))
}

func backendDefaultDir() (string, int) { return pure.DefaultDir(Version) }
