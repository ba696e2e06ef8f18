package supermachinekernel_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	smk "github.com/supermachine-dev/supermachine-kernel/bindings/go"
)

// Stage the guest's kernel and init for a VMM.
func ExampleExtractKernelTo() {
	dir, err := os.MkdirTemp("", "vm-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	if err := smk.ExtractKernelTo(filepath.Join(dir, "kernel")); err != nil {
		log.Fatal(err)
	}
	if err := smk.ExtractInitOCIToWithParents(filepath.Join(dir, "bin", "init-oci")); err != nil {
		log.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "bin", "init-oci"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Size() == smk.InitOCILen, st.Mode())
	// Output: true -rwxr-xr-x
}

// Keep a cache directory current at every start: nearly free when it is.
func ExampleEnsureAssets() {
	cache, err := os.MkdirTemp("", "cache-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(cache)

	dir, err := smk.EnsureAssets(filepath.Join(cache, "supermachine-kernel"))
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range smk.Assets() {
		fmt.Println(filepath.Join(filepath.Base(dir), a.FileName), a.Mode)
	}
	// Output:
	// supermachine-kernel/kernel -rw-r--r--
	// supermachine-kernel/init-oci -rwxr-xr-x
	// supermachine-kernel/supermachine-agent -rwxr-xr-x
}

// Errors are the standard library's, plus the package's own codes.
func ExampleVerify() {
	dir, err := os.MkdirTemp("", "vm-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := smk.ExtractAll(dir); err != nil {
		log.Fatal(err)
	}
	fmt.Println(smk.Verify(dir))

	os.Chmod(filepath.Join(dir, "supermachine-agent"), 0o700)
	os.Remove(filepath.Join(dir, "kernel"))
	err = smk.Verify(dir)
	var mismatch *smk.MismatchError
	fmt.Println(errors.Is(err, fs.ErrNotExist), errors.Is(err, smk.ErrMode))
	if errors.As(err, &mismatch) {
		fmt.Println(mismatch.Asset, filepath.Base(mismatch.Path))
	}
	// Output:
	// <nil>
	// true true
	// supermachine_agent supermachine-agent
}

// The bytes in memory, decoded on first use and shared: never modify them.
func ExampleKernelBytes() {
	kernel, err := smk.KernelBytes()
	if err != nil {
		log.Fatal(err)
	}
	info, err := smk.KernelInfo()
	if err != nil {
		log.Fatal(err)
	}
	// The host's guest: an x86_64 vmlinux on amd64, an arm64 Image on arm64.
	fmt.Println(len(kernel) == smk.KernelLen, info.Arch == smk.DefaultArch())
	// Output: true true
}

// Stage another architecture's set, here the x86_64 one for a VMM booting
// its vmlinux at the PVH entry point (a bundle built on any host).
func ExampleForArch() {
	set, err := smk.ForArch("x86_64")
	if err != nil {
		log.Fatal(err) // a build with -tags smk_aarch64, or smk_goarch on arm64
	}
	dir, err := os.MkdirTemp("", "vm-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := set.ExtractAllTo(dir); err != nil {
		log.Fatal(err)
	}
	k, err := set.KernelInfo()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(k.Arch, k.Format, k.PVHEntry != 0)
	// Output: x86_64 ELF true
}
