//go:build linux

package pure

import "strings"

// Payload is one embedded asset, as the root package's generated table
// describes it (the core's struct smk_payload).
type Payload struct {
	Name     string // "kernel", "init_oci", "supermachine_agent"
	FileName string // "kernel", "init-oci", "supermachine-agent"
	Mode     uint32 // 0644 or 0755
	Size     int64  // raw (decoded) size
	// SHA256 is the recorded digest of the raw bytes, 64 lowercase hex.
	// It is written into the ensure stamp and compared with it, never
	// computed.
	SHA256 string
	Data   []byte // the embedded bytes: one xz stream
}

// hasNUL reports a string the C API could not have been given: C strings
// end at the first NUL, so such a path is refused with -EINVAL, as the
// core refuses a NULL path.
func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// pathJoin is smk_path_join: dir and name with one '/' between them
// unless dir is empty or already ends with one.
func pathJoin(dir, name string) string {
	if dir != "" && dir[len(dir)-1] != '/' {
		return dir + "/" + name
	}
	return dir + name
}

// notAttempted returns n results of NotAttempted.
func notAttempted(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = NotAttempted
	}
	return r
}

// firstFailure is the first non-zero code in asset order, or 0.
func firstFailure(results []int) int {
	for _, r := range results {
		if r != 0 {
			return r
		}
	}
	return 0
}
