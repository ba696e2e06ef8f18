//go:build linux

package pure

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The committed payloads, read from the repository (the root package
// embeds copies of the same files).
var repoRoot = filepath.Join("..", "..", "..", "..")

type manifestAsset struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	XZ     string `json:"xz"`
	Mode   string `json:"mode"`
	Arch   string `json:"arch"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

var (
	payloadsOnce sync.Once
	payloadsErr  error
	// testSets are the manifest's sets, by architecture, in kind order;
	// testArchList the architectures, the default first (hostArch's when
	// the manifest has it, as the C CLI of this host has), then the
	// others in manifest order.
	testSets     map[string][]*Payload
	testArchList []string
)

// hostArch is the architecture of GOARCH's hosts (the C core's and the
// root package's default when embedded).
var hostArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]

func loadSets(t testing.TB) {
	t.Helper()
	payloadsOnce.Do(func() {
		dir := filepath.Join(repoRoot, "payloads")
		raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil {
			payloadsErr = err
			return
		}
		var m struct {
			Format int             `json:"format"`
			Assets []manifestAsset `json:"assets"`
		}
		if payloadsErr = json.Unmarshal(raw, &m); payloadsErr != nil {
			return
		}
		if m.Format != 2 {
			payloadsErr = fmt.Errorf("manifest format %d, want 2", m.Format)
			return
		}
		testSets = map[string][]*Payload{}
		var archs []string
		for _, a := range m.Assets {
			data, err := os.ReadFile(filepath.Join(dir, a.XZ))
			if err != nil {
				payloadsErr = err
				return
			}
			mode, err := strconv.ParseUint(a.Mode, 8, 32)
			if err != nil {
				payloadsErr = err
				return
			}
			if _, ok := testSets[a.Arch]; !ok {
				archs = append(archs, a.Arch)
			}
			testSets[a.Arch] = append(testSets[a.Arch], &Payload{
				Name: a.Name, FileName: a.File, Mode: uint32(mode),
				Size: a.Size, SHA256: a.SHA256, Data: data,
			})
		}
		def := archs[0]
		if _, ok := testSets[hostArch]; ok {
			def = hostArch
		}
		testArchList = []string{def}
		for _, a := range archs {
			if a != def {
				testArchList = append(testArchList, a)
			}
		}
	})
	if payloadsErr != nil {
		t.Fatalf("payloads: %v", payloadsErr)
	}
}

// loadPayloads is the default architecture's set, in kind order.
func loadPayloads(t testing.TB) []*Payload {
	t.Helper()
	loadSets(t)
	return testSets[testArchList[0]]
}

// testArchs are the manifest's architectures, the default first.
func testArchs(t testing.TB) []string {
	t.Helper()
	loadSets(t)
	return testArchList
}

// archPayloads is an architecture's set, in kind order.
func archPayloads(t testing.TB, arch string) []*Payload {
	t.Helper()
	loadSets(t)
	return testSets[arch]
}

// allPayloads is every payload of every set, the default set first.
func allPayloads(t testing.TB) []*Payload {
	var out []*Payload
	for _, a := range testArchs(t) {
		out = append(out, archPayloads(t, a)...)
	}
	return out
}

// payloadNamed is the default architecture's payload of that name.
func payloadNamed(t testing.TB, name string) *Payload {
	t.Helper()
	return archPayloadNamed(t, testArchs(t)[0], name)
}

// archPayloadNamed is an architecture's payload of that name.
func archPayloadNamed(t testing.TB, arch, name string) *Payload {
	t.Helper()
	for _, p := range archPayloads(t, arch) {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no %s payload %q", arch, name)
	return nil
}

// variant is a copy of p with other data (and size).
func variant(p *Payload, data []byte, size int64) *Payload {
	q := *p
	q.Data = data
	q.Size = size
	return &q
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// codeName names a code for messages, as smk_error_name does.
func codeName(rc int) string {
	switch rc {
	case 0:
		return "OK"
	case ErrCorrupt:
		return "SMK_ERR_CORRUPT"
	case ErrSize:
		return "SMK_ERR_SIZE"
	case ErrChecksum:
		return "SMK_ERR_CHECKSUM"
	case ErrMode:
		return "SMK_ERR_MODE"
	case ErrNotRegular:
		return "SMK_ERR_NOT_REGULAR"
	case ErrUnsupported:
		return "SMK_ERR_UNSUPPORTED"
	case ErrNotImage:
		return "SMK_ERR_NOT_IMAGE"
	case ErrInternal:
		return "SMK_ERR_INTERNAL"
	case ErrNoArch:
		return "SMK_ERR_NO_ARCH"
	case NotAttempted:
		return "NOT_ATTEMPTED"
	}
	if rc < 0 && rc > -4096 {
		return errnoNames[syscall.Errno(-rc)]
	}
	return strconv.Itoa(rc)
}

var errnoNames = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.EIO: "EIO",
	syscall.EBADF: "EBADF", syscall.ENOMEM: "ENOMEM", syscall.EACCES: "EACCES",
	syscall.EEXIST: "EEXIST", syscall.EXDEV: "EXDEV", syscall.ENOTDIR: "ENOTDIR",
	syscall.EISDIR: "EISDIR", syscall.EINVAL: "EINVAL", syscall.EMFILE: "EMFILE",
	syscall.ENFILE: "ENFILE", syscall.EFBIG: "EFBIG", syscall.ENOSPC: "ENOSPC",
	syscall.EROFS: "EROFS", syscall.EMLINK: "EMLINK", syscall.ERANGE: "ERANGE",
	syscall.ENAMETOOLONG: "ENAMETOOLONG", syscall.ELOOP: "ELOOP", syscall.EBUSY: "EBUSY",
	syscall.ETXTBSY: "ETXTBSY", syscall.EAGAIN: "EAGAIN", syscall.EINTR: "EINTR",
	syscall.EDQUOT: "EDQUOT", syscall.EOPNOTSUPP: "EOPNOTSUPP",
}

// codeOfName is the inverse of codeName for the names the conformance
// cases use.
func codeOfName(t testing.TB, name string) int {
	t.Helper()
	for _, c := range []int{ErrCorrupt, ErrSize, ErrChecksum, ErrMode, ErrNotRegular,
		ErrUnsupported, ErrNotImage, ErrInternal} {
		if codeName(c) == name {
			return c
		}
	}
	for e, n := range errnoNames {
		if n == name {
			return -int(e)
		}
	}
	t.Fatalf("unknown code name %q", name)
	return 0
}

// wantCode fails the test unless got == want.
func wantCode(t testing.TB, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %s, want %s", what, codeName(got), codeName(want))
	}
}

// checkAsset fails unless path is a regular file with p's bytes and mode.
func checkAsset(t testing.TB, p *Payload, path string) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !fi.Mode().IsRegular() || uint32(fi.Mode().Perm()) != p.Mode&0777 || fi.Size() != p.Size {
		t.Fatalf("%s: mode %v size %d, want regular %o size %d", path, fi.Mode(), fi.Size(), p.Mode, p.Size)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256Hex(b); got != p.SHA256 {
		t.Fatalf("%s: sha256 %s, want %s", path, got, p.SHA256)
	}
}

// noTemporaries fails if dir holds a ".smk-tmp." file.
func noTemporaries(t testing.TB, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".smk-tmp.") {
			t.Errorf("temporary left behind: %s", filepath.Join(dir, e.Name()))
		}
	}
}

// unmapForBenchmark releases a mapping from Bytes (which production code
// never does), so benchmarks do not pile them up.
func unmapForBenchmark(m []byte) error {
	if cap(m) == 0 {
		return nil
	}
	return unix.Munmap(m[:cap(m)])
}

func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// mappingReadOnly reads /proc/self/maps for b's mapping's permissions.
func mappingReadOnly(t testing.TB, b []byte) bool {
	t.Helper()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip(err)
	}
	addr := uint64(uintptr(unsafePointer(b)))
	for _, line := range strings.Split(string(maps), "\n") {
		var lo, hi uint64
		var perms string
		if _, err := fmt.Sscanf(line, "%x-%x %s", &lo, &hi, &perms); err != nil {
			continue
		}
		if lo <= addr && addr < hi {
			return strings.HasPrefix(perms, "r--")
		}
	}
	t.Fatal("mapping not found")
	return false
}

var (
	cleanMu    sync.Mutex
	cleanCache = map[*Payload][]byte{}
)

// cleanBytes is the decoded default payload of that name, decoded once.
func cleanBytes(t testing.TB, name string) []byte {
	t.Helper()
	return cleanBytesOf(t, payloadNamed(t, name))
}

// cleanBytesOf is a payload of the manifest decoded, once.
func cleanBytesOf(t testing.TB, p *Payload) []byte {
	t.Helper()
	cleanMu.Lock()
	defer cleanMu.Unlock()
	if b, ok := cleanCache[p]; ok {
		return b
	}
	b, rc := Bytes(p)
	if rc != 0 {
		t.Fatalf("%s: %s", p.Name, codeName(rc))
	}
	cleanCache[p] = b
	return b
}
