package supermachinekernel

// KernelImageInfo is what a VMM needs to know to load a kernel: for an
// arm64 Image (aarch64) the fields of its header; for an ELF vmlinux
// (x86_64) its entry points and load range.  The release is the one
// recorded at build time.
type KernelImageInfo struct {
	TextOffset uint64 // Image: load offset from a 2 MiB aligned base; ELF: 0
	// ImageSize is an Image's effective size, including BSS; for an ELF,
	// the span of its loadable segments in physical memory, from the
	// lowest address to the end of the highest segment.
	ImageSize uint64
	Flags     uint64 // Image: bit 0 endianness, bits 1-2 page size, bit 3 physical placement; ELF: 0
	Release   string // e.g. "6.12.117", as `uname -r` would say
	Arch      string // "aarch64" or "x86_64"
	Format    string // "Image" (arm64 Image) or "ELF" (vmlinux)
	Entry     uint64 // ELF: e_entry, the 64-bit entry (a virtual address); Image: 0
	// PVHEntry is the 32-bit physical PVH entry point of an ELF (its Xen
	// note XEN_ELFNOTE_PHYS32_ENTRY), which QEMU and Cloud Hypervisor
	// start; 0 if it has none, and for an Image.
	PVHEntry    uint64
	LoadAddress uint64 // ELF: the lowest physical address of a loadable segment; Image: 0
}

// KernelRelease is the default architecture's kernel release recorded at
// build time ("6.12.117").  It never decodes.
func KernelRelease() string { return defaultSet().KernelRelease() }

// KernelInfo describes the default architecture's kernel, decoding only
// the bytes it needs: an Image's 64-byte header; a vmlinux's ELF header,
// program headers and notes (from the xz blocks that hold them, never the
// whole kernel).  A payload that is neither gives a [*PayloadError] with
// [ErrNotImage].  [ArchSet.KernelInfo] describes another architecture's.
//
// The first successful call's result is kept: later calls return it at
// once.  Safe for concurrent use.
func KernelInfo() (KernelImageInfo, error) { return defaultSet().KernelInfo() }
