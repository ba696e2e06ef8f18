//go:build (!cgo || purego) && !linux

package supermachinekernel

// The pure-Go path, like the core's file code, is written for Linux
// (O_TMPFILE, /proc/self/fd, flock); elsewhere build with cgo (a C
// compiler and liblzma), which this message says where the build stops.
var _ = supermachine_kernel_without_cgo_needs_linux__build_with_CGO_ENABLED_1
