module github.com/supermachine-dev/supermachine-kernel/bindings/go

go 1.22

require (
	github.com/ulikunitz/xz v0.5.17
	golang.org/x/sys v0.30.0
)
