package supermachinekernel

import "sync"

// KernelImageInfo holds the fields of the kernel's arm64 Image header and
// the release recorded at build time.
type KernelImageInfo struct {
	TextOffset uint64 // image load offset from a 2 MiB aligned base
	ImageSize  uint64 // effective image size, including BSS
	Flags      uint64 // bit 0 endianness, bits 1-2 page size, bit 3 physical placement
	Release    string // e.g. "6.12.117", as `uname -r` would say
}

// KernelRelease is the kernel's release string recorded at build time
// ("6.12.117").  It never decodes.
func KernelRelease() string { return kernelRelease }

// KernelInfo reads the kernel's Image header, decoding only its first
// bytes.  A payload that is not an arm64 Image gives a [*PayloadError]
// with [ErrNotImage].
//
// The first successful call's result is kept: later calls return it at
// once.  Safe for concurrent use.
func KernelInfo() (KernelImageInfo, error) {
	kernelInfo.Lock()
	defer kernelInfo.Unlock()
	if !kernelInfo.done {
		textOffset, imageSize, flags, rc := backendKernelHeader()
		if rc != 0 {
			return KernelImageInfo{}, newError("decode", Kernel, "", rc)
		}
		kernelInfo.info = KernelImageInfo{TextOffset: textOffset, ImageSize: imageSize, Flags: flags, Release: kernelRelease}
		kernelInfo.done = true
	}
	return kernelInfo.info, nil
}

var kernelInfo struct {
	sync.Mutex
	info KernelImageInfo
	done bool
}
