package gotests

// The on-disk protocol of ensure is shared: a pure-Go program, a cgo
// program and the C CLI ensuring one directory at the same time all
// succeed, and leave it right; each accepts the stamp another wrote.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestEnsureAcrossImplementationsAtOnce(t *testing.T) {
	bins := []string{cli(t, true), cli(t, false), cCLI(t)}
	root := t.TempDir()
	for round := 0; round < 8; round++ {
		dir := filepath.Join(root, fmt.Sprint(round))
		if round%2 == 1 {
			// A populated directory with one damaged file: the slow
			// path under the lock, the warm path for the others.
			run(t, root, nil, bins[round%3], "extract", dir)
			must(t, os.Truncate(filepath.Join(dir, "kernel"), 1000))
		}
		var wg sync.WaitGroup
		errs := make([]string, 12)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				out, err := exec.Command(bins[i%3], "ensure", dir).CombinedOutput()
				if err != nil || string(out) != dir+"\n" {
					errs[i] = fmt.Sprintf("%s ensure: %v: %q", bins[i%3], err, out)
				}
			}(i)
		}
		wg.Wait()
		if msg := strings.TrimSpace(strings.Join(errs, "\n")); msg != "" {
			t.Fatalf("round %d:\n%s", round, msg)
		}
		for _, b := range bins {
			out := run(t, root, nil, b, "verify", dir)
			if strings.Count(out, ": ok\n") != 3 {
				t.Fatalf("round %d: %s verify: %q", round, b, out)
			}
		}
	}
}

// A stamp written by one implementation lets the others take the warm
// path: nothing is rewritten.
func TestStampIsShared(t *testing.T) {
	bins := []string{cli(t, true), cli(t, false), cCLI(t)}
	for i, writer := range bins {
		dir := filepath.Join(t.TempDir(), "d")
		run(t, dir[:len(dir)-2], nil, writer, "ensure", dir)
		stamp := filepath.Join(dir, ".supermachine-kernel.stamp")
		before, err := os.Stat(stamp)
		must(t, err)
		for _, reader := range bins {
			run(t, dir, nil, reader, "ensure", dir)
		}
		after, err := os.Stat(stamp)
		must(t, err)
		if !after.ModTime().Equal(before.ModTime()) || !os.SameFile(before, after) {
			t.Errorf("the stamp of %s was rewritten by another implementation", bins[i])
		}
	}
}
