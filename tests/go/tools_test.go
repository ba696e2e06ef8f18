// Package gotests holds the tests of the Go module that look at it from
// outside, as its users do: a consumer module getting it through a
// GOPROXY, vendored, the command line tool against the shared CLI
// contract, the on-disk protocol shared with the C CLI, staticcheck.
package gotests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const modulePath = "github.com/supermachine-dev/supermachine-kernel/bindings/go"

var (
	repo      = mustAbs("../..")
	moduleDir = filepath.Join(repo, "bindings", "go")
)

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

// version is the one the C header gives.
func version(t testing.TB) string {
	b, err := os.ReadFile(filepath.Join(repo, "core/include/supermachine_kernel.h"))
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, p := range []string{"MAJOR", "MINOR", "PATCH"} {
		m := regexp.MustCompile(`(?m)^#define SMK_VERSION_` + p + ` +([0-9]+)`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no SMK_VERSION_%s", p)
		}
		parts = append(parts, string(m[1]))
	}
	return strings.Join(parts, ".")
}

// run runs a command in dir with env added and returns its output, failing
// t if it fails.
func run(t testing.TB, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s (in %s, %v): %v\n%s", name, strings.Join(args, " "), dir, env, err, out.String())
	}
	return out.String()
}

func goTool() string { return filepath.Join(runtime.GOROOT(), "bin", "go") }

// The command line tool, built once per mode.
var clis sync.Map

// cli builds cmd/supermachine-kernel with cgo or without and returns the
// binary.
func cli(t testing.TB, cgo bool) string {
	key := "0"
	if cgo {
		key = "1"
	}
	if p, ok := clis.Load(key); ok {
		return p.(string)
	}
	dir, err := os.MkdirTemp("", "smk-go-cli-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "supermachine-kernel")
	run(t, moduleDir, []string{"CGO_ENABLED=" + key}, goTool(), "build", "-o", bin, "./cmd/supermachine-kernel")
	clis.Store(key, bin)
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	clis.Range(func(_, v any) bool {
		os.RemoveAll(filepath.Dir(v.(string)))
		return true
	})
	os.Exit(code)
}

// cCLI is the C CLI, when the caller names one (scripts/test-all does).
func cCLI(t testing.TB) string {
	p := os.Getenv("SMK_C_CLI")
	if p == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("SMK_C_CLI is not set: CI must compare with the C CLI")
		}
		t.Skip("SMK_C_CLI (the C CLI to compare with) is not set")
	}
	return p
}

// programUsing writes, in dir, a main package with source src in a module
// that requires the package from the module tree at target (a replace
// directive: for tests that look at the package's behaviour, not at how it
// is fetched).
func programUsing(t testing.TB, dir, target, src string) {
	t.Helper()
	gomod := "module example.com/program\n\ngo 1.22\n\nrequire " + modulePath + " v0.0.0\n\nreplace " + modulePath + " => " + target + "\n"
	sum, err := os.ReadFile(filepath.Join(moduleDir, "go.sum"))
	must(t, err)
	for name, content := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(src)} {
		must(t, os.WriteFile(filepath.Join(dir, name), content, 0o644))
	}
}
