// Package cases reads tests/conformance/cases.json, the extract, verify
// and architecture cases every binding's tests run, for the Go tests of the cgo binding and
// of the pure-Go path. Test support only: nothing outside the tests
// imports it.
package cases

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Setup is one setup step; exactly one of Mkdir, File, Symlink is set.
type Setup struct {
	Mkdir, Mode, File, Content, Symlink, To string
}

// Extract is an extract case.
type Extract struct {
	ID           string
	Setup        []Setup
	Dest         string
	WithParents  bool `json:"with_parents"`
	Error        string
	Unprivileged bool
	Bytes        bool
	After        map[string]string
}

// Verify is a verify case.
type Verify struct {
	ID, Change, Error, Dir string
	Bytes                  bool
}

// Arch is an architecture of the "architectures" section.
type Arch struct {
	Arch         string
	Aliases      []string
	KernelFormat string `json:"kernel_format"`
}

// Architectures is the "architectures" section: the architectures a build
// may embed, the host names mapped onto them, names no call accepts.
type Architectures struct {
	Known   []Arch
	Host    map[string]string
	Unknown []string
}

// File is the whole of cases.json.
type File struct {
	Assets []struct {
		Asset, File, Mode string
	}
	Extract       []Extract
	Verify        []Verify
	ErrorCodes    map[string]int `json:"error_codes"`
	Architectures Architectures
}

// Parse decodes cases.json, with the paths of its "bytes" cases turned
// into the bytes they stand for (a Go string holds any bytes).
func Parse(raw []byte) (*File, error) {
	var c File
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	var err error
	dec := func(s string) string {
		out, e := Unpercent(s)
		if e != nil && err == nil {
			err = e
		}
		return out
	}
	for i := range c.Extract {
		tc := &c.Extract[i]
		if !tc.Bytes {
			continue
		}
		tc.Dest = dec(tc.Dest)
		for j := range tc.Setup {
			s := &tc.Setup[j]
			s.Mkdir, s.File, s.Symlink, s.To = dec(s.Mkdir), dec(s.File), dec(s.Symlink), dec(s.To)
		}
		after := map[string]string{}
		for k, v := range tc.After {
			after[dec(k)] = v
		}
		tc.After = after
	}
	for i := range c.Verify {
		if c.Verify[i].Bytes {
			c.Verify[i].Dir = dec(c.Verify[i].Dir)
		}
	}
	return &c, err
}

// Unpercent decodes a path of a "bytes" case (cases.json's "about"): %HH
// is the byte 0xHH (01-FF), %% is %, anything else itself.
func Unpercent(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] != '%':
			b.WriteByte(s[i])
		case strings.HasPrefix(s[i+1:], "%"):
			b.WriteByte('%')
			i++
		default:
			n, err := strconv.ParseUint(s[i+1:min(i+3, len(s))], 16, 8)
			if err != nil || n == 0 || len(s) < i+3 {
				return "", fmt.Errorf("cases.json: bad %%-escape in %q", s)
			}
			b.WriteByte(byte(n))
			i += 2
		}
	}
	return b.String(), nil
}
