module github.com/supermachine-dev/supermachine-kernel/bindings/go

go 1.22

// internal/pure tells damaged payloads from unsupported features by the xz
// package's error messages: move this requirement only with its tests
// (TestDifferentialDecode compares the codes with the C core's).
require (
	github.com/ulikunitz/xz v0.5.17
	golang.org/x/sys v0.30.0
)
