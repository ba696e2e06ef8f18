//go:build (!cgo || purego) && linux

package supermachinekernel

// The path without cgo (or with -tags purego: so that the race detector,
// which needs cgo, can test it too): the same .xz payloads through go:embed
// (embed_<arch>_gen.go, one file per set, under the build tags that embed
// it), decoded and written by internal/pure, which mirrors the C core's
// semantics and on-disk protocol.

import (
	"sync"
	"unsafe"

	"github.com/supermachine-dev/supermachine-kernel/bindings/go/internal/pure"
)

// embeddedPayloads are the xz streams of each architecture of archTable,
// in kind order, filled by the init functions of the embed files of the
// sets the build embeds.
var embeddedPayloads [len(archTable)][kindCount]*string

// purePayloads are the embedded assets in Asset order.
var purePayloads = sync.OnceValue(func() []*pure.Payload {
	ps := make([]*pure.Payload, len(assetTable))
	for i, info := range assetTable {
		sp := embeddedPayloads[embeddedArchs[i/kindCount]][i%kindCount]
		if sp == nil {
			// archs_*_gen.go and embed_*_gen.go disagree: generated
			// files out of step (go generate), never a user's doing.
			panic("supermachine-kernel: no go:embed payload for " + info.Arch + " " + info.Name)
		}
		s := *sp
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

// setOf is the slot's set, in kind order.
func setOf(slot int) []*pure.Payload {
	return purePayloads()[slot*kindCount : (slot+1)*kindCount]
}

func backendBytes(a Asset) ([]byte, int) { return pure.Bytes(payloadOf(a)) }

func backendExtract(a Asset, dest string, parents bool) int {
	if parents {
		return pure.ExtractToWithParents(payloadOf(a), dest)
	}
	return pure.ExtractTo(payloadOf(a), dest)
}

func backendExtractSet(slot int, dir string) ([]int, int) { return pure.ExtractAll(setOf(slot), dir) }

func backendVerifySet(slot int, dir string) ([]int, int) { return pure.Verify(setOf(slot), dir) }

func backendEnsureSet(slot int, dir string) ([]int, int) { return pure.Ensure(setOf(slot), dir) }

func backendVerifyFile(a Asset, path string) int { return pure.VerifyFile(payloadOf(a), path) }

func backendKernelInfo(slot int) (KernelImageInfo, int) {
	k, rc := pure.KernelInfo(setOf(slot)[Kernel])
	if rc != 0 {
		return KernelImageInfo{}, rc
	}
	arch := archOfSlot(slot)
	return KernelImageInfo{
		TextOffset:  k.TextOffset,
		ImageSize:   k.ImageSize,
		Flags:       k.Flags,
		Release:     arch.release,
		Arch:        arch.name,
		Format:      k.Format,
		Entry:       k.Entry,
		PVHEntry:    k.PVHEntry,
		LoadAddress: k.LoadAddress,
	}, 0
}

func backendDefaultDir(slot int) (string, int) {
	sub := ""
	if slot != 0 {
		sub = archOfSlot(slot).name
	}
	return pure.DefaultDir(Version, sub)
}
