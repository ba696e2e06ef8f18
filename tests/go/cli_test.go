package gotests

// The CLI contract, tests/conformance/cli.json, which the C and Python
// CLIs pass too, run by its runner against both builds of the Go command;
// and the three commands' outputs (C, Go with cgo, Go without) compared
// byte for byte, case by case.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// contract runs every case of cli.json against bin and returns the
// recording of exit statuses and streams.
func contract(t *testing.T, bin string) []byte {
	t.Helper()
	record := filepath.Join(t.TempDir(), "record.json")
	cmd := exec.Command("python3", filepath.Join(repo, "tests/conformance/cli_cases.py"), "--record", record, "--", bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the CLI contract against %s: %v\n%s", bin, err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
	b, err := os.ReadFile(record)
	must(t, err)
	return b
}

func TestCLIContract(t *testing.T) {
	records := map[string][]byte{}
	for _, mode := range []struct {
		name string
		cgo  bool
	}{{"cgo", true}, {"pure-go", false}} {
		t.Run(mode.name, func(t *testing.T) {
			records[mode.name] = contract(t, cli(t, mode.cgo))
		})
	}
	if t.Failed() {
		return
	}
	if !bytes.Equal(records["cgo"], records["pure-go"]) {
		t.Errorf("the cgo and pure-Go commands differ on the contract's cases:\n%s", diffLines(records["cgo"], records["pure-go"]))
	}
	c := contract(t, cCLI(t))
	if !bytes.Equal(records["cgo"], c) {
		t.Errorf("the Go and C commands differ on the contract's cases:\n%s", diffLines(records["cgo"], c))
	}
}

// diffLines shows the first lines that differ.
func diffLines(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	var out bytes.Buffer
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y []byte
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if !bytes.Equal(x, y) {
			out.WriteString("- " + string(x) + "\n+ " + string(y) + "\n")
			if out.Len() > 2000 {
				break
			}
		}
	}
	return out.String()
}
