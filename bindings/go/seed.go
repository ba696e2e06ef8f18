package supermachinekernel

// The per-asset surface of the seed crate (KERNEL_BYTES, extract_kernel_to,
// ...), in Go's spelling.  Each is the matching [Asset] method of the
// default architecture's asset ([DefaultArch]): the guest a KVM host of
// GOARCH runs.  [ForArch] gives the other sets.

// KernelBytes returns the decoded kernel (an arm64 Image, or an x86_64
// vmlinux); see [Asset.Bytes].  The
// slice is shared and read-only: never modify it.
func KernelBytes() ([]byte, error) { return Kernel.Bytes() }

// InitOCIBytes returns the decoded init-oci; see [Asset.Bytes].  The slice
// is shared and read-only: never modify it.
func InitOCIBytes() ([]byte, error) { return InitOCI.Bytes() }

// SupermachineAgentBytes returns the decoded supermachine-agent; see
// [Asset.Bytes].  The slice is shared and read-only: never modify it.
func SupermachineAgentBytes() ([]byte, error) { return SupermachineAgent.Bytes() }

// ExtractKernelTo writes the kernel to path, mode 0644; see
// [Asset.ExtractTo].
func ExtractKernelTo(path string) error { return Kernel.ExtractTo(path) }

// ExtractKernelToWithParents is [ExtractKernelTo], creating missing parent
// directories.
func ExtractKernelToWithParents(path string) error { return Kernel.ExtractToWithParents(path) }

// ExtractInitOCITo writes init-oci to path, mode 0755; see
// [Asset.ExtractTo].
func ExtractInitOCITo(path string) error { return InitOCI.ExtractTo(path) }

// ExtractInitOCIToWithParents is [ExtractInitOCITo], creating missing parent
// directories.
func ExtractInitOCIToWithParents(path string) error { return InitOCI.ExtractToWithParents(path) }

// ExtractSupermachineAgentTo writes supermachine-agent to path, mode 0755;
// see [Asset.ExtractTo].
func ExtractSupermachineAgentTo(path string) error { return SupermachineAgent.ExtractTo(path) }

// ExtractSupermachineAgentToWithParents is [ExtractSupermachineAgentTo],
// creating missing parent directories.
func ExtractSupermachineAgentToWithParents(path string) error {
	return SupermachineAgent.ExtractToWithParents(path)
}

// ExtractTo writes the kernel to path.
//
// Deprecated: kept from the kernel-only layout; use [ExtractKernelTo].
func ExtractTo(path string) error { return ExtractKernelTo(path) }

// ExtractToWithParents writes the kernel to path, creating missing
// parent directories.
//
// Deprecated: kept from the kernel-only layout; use
// [ExtractKernelToWithParents].
func ExtractToWithParents(path string) error { return ExtractKernelToWithParents(path) }
