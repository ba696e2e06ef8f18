package gotests

// The deprecated aliases are marked so that staticcheck (SA1019) flags a
// caller.

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func staticcheck(t testing.TB) string {
	p := os.Getenv("SMK_STATICCHECK")
	if p == "" {
		var err error
		if p, err = exec.LookPath("staticcheck"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("staticcheck not found (tests/go/run.sh installs it)")
			}
			t.Skip("staticcheck not installed")
		}
	}
	return p
}

func TestStaticcheckFlagsDeprecatedCallers(t *testing.T) {
	sc := staticcheck(t)
	dir := t.TempDir()
	src := "package main\n\nimport smk \"" + modulePath + "\"\n\nfunc main() {\n\t_ = smk.ExtractTo(\"k\")\n\t_ = smk.ExtractToWithParents(\"k\")\n\t_ = smk.ExtractKernelTo(\"k\")\n}\n"
	programUsing(t, dir, moduleDir, src)
	cmd := exec.Command(sc, "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, _ := cmd.CombinedOutput()
	s := string(out)
	if strings.Count(s, "SA1019") != 2 || !strings.Contains(s, "ExtractTo is deprecated") ||
		!strings.Contains(s, "ExtractToWithParents is deprecated") {
		t.Errorf("staticcheck on a caller of the deprecated aliases:\n%s", s)
	}
}
