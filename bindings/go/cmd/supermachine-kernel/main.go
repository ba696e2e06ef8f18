// Command supermachine-kernel extracts, ensures, verifies and describes the
// guest artifacts embedded in the Go package: the C CLI of the same name,
// in Go, with the same output and exit codes (0 success, 1 failure, 2
// usage error).  Every failure prints one line naming the path and the
// cause.  The contract all the CLIs pass is tests/conformance/cli.json.
//
//	go run github.com/supermachine-dev/supermachine-kernel/bindings/go/cmd/supermachine-kernel extract DIR
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"

	smk "github.com/supermachine-dev/supermachine-kernel/bindings/go"
)

const prog = "supermachine-kernel"

const usage = "usage: " + prog + ` COMMAND [ARGS]

Commands:
  extract DIR     write kernel, init-oci and supermachine-agent into DIR
                  (created if missing), replacing what is there
  ensure [DIR]    make DIR (default: the per-version cache directory)
                  hold all assets, extracting only what is missing or
                  wrong; prints the directory
  verify DIR      check every asset in DIR: size, mode and every byte
  info [--json]   describe the embedded assets and the kernels
  --version       print the version
  --help          print this help

extract, ensure and verify take --arch ARCH (before DIR) for the set
of another guest architecture (aarch64, x86_64); without it they work
on the host's set (the library's default architecture).
`

func main() {
	// Past RLIMIT_FSIZE a write then fails with EFBIG, reported naming the
	// file, instead of SIGXFSZ ending the process without a word (the
	// core's threads write outside the Go runtime's handling).
	signal.Ignore(syscall.SIGXFSZ)
	out := bufio.NewWriter(os.Stdout)
	status := run(os.Args[1:], out, os.Stderr)
	if err := out.Flush(); err != nil && status == 0 {
		status = 1
	}
	os.Exit(status)
}

func run(args []string, stdout io.Writer, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		return c.usageError("missing command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "--help", "-h", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "--version":
		fmt.Fprintf(stdout, "%s %s\n", prog, smk.Version)
		return 0
	case "extract":
		return c.extract(rest)
	case "ensure":
		return c.ensure(rest)
	case "verify":
		return c.verify(rest)
	case "info":
		return c.info(rest)
	}
	fmt.Fprintf(stderr, "%s: unknown command '%s' (try '%s --help')\n", prog, cmd, prog)
	return 2
}

type cli struct {
	stdout, stderr io.Writer
}

func (c *cli) usageError(what string) int {
	fmt.Fprintf(c.stderr, "%s: %s (try '%s --help')\n", prog, what, prog)
	return 2
}

// fail prints the one line of a failure: the path (” for an empty one) and
// the core's description of the cause.
func (c *cli) fail(path, text string) {
	if path == "" {
		path = "''"
	}
	fmt.Fprintf(c.stderr, "%s: %s: %s\n", prog, path, text)
}

// failures splits an error from a call on a directory into its parts
// (one per failed asset, or the directory's own), each with its path and
// the core's text.
func failures(err error) [][2]string {
	var out [][2]string
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			out = append(out, failures(e)...)
		}
		return out
	}
	var pathErr *fs.PathError
	var mismatch *smk.MismatchError
	var payload *smk.PayloadError
	switch {
	case errors.As(err, &mismatch):
		return [][2]string{{mismatch.Path, mismatch.Code.Error()}}
	case errors.As(err, &payload):
		return [][2]string{{payload.Path, payload.Code.Error()}}
	case errors.As(err, &pathErr):
		return [][2]string{{pathErr.Path, errnoText(pathErr.Err)}}
	}
	return [][2]string{{"", err.Error()}}
}

// errnoText is the C library's description of an errno ("No such file or
// directory"): Go's table holds the same words with a lower-case first
// letter.
func errnoText(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	s := errno.Error()
	if s == "" || strings.HasPrefix(s, "errno ") {
		return "unknown error"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// report prints err's failures, one line each; returns the exit status.
func (c *cli) report(err error) int {
	if err == nil {
		return 0
	}
	for _, f := range failures(err) {
		c.fail(f[0], f[1])
	}
	return 1
}

// takeArch takes a leading "--arch ARCH" (or "--arch=ARCH") off args, as
// the C CLI does: the set (nil when none was given), the rest, and 0; or
// the exit status of a usage error.
func (c *cli) takeArch(args []string) (*smk.ArchSet, []string, int) {
	var arch string
	switch {
	case len(args) >= 1 && strings.HasPrefix(args[0], "--arch="):
		arch, args = args[0][len("--arch="):], args[1:]
	case len(args) >= 1 && args[0] == "--arch":
		if len(args) < 2 {
			return nil, nil, c.usageError("--arch needs an architecture")
		}
		arch, args = args[1], args[2:]
	default:
		return nil, args, 0
	}
	set, err := smk.ForArch(arch)
	if arch == "" || err != nil {
		shown := arch
		if len(shown) > 64 {
			shown = shown[:64] // the C CLI's %.64s
		}
		return nil, nil, c.usageError(fmt.Sprintf("--arch '%s': no guest set for it here (%s)", shown, strings.Join(smk.Archs(), ", ")))
	}
	return set, args, 0
}

// setOf is the set an --arch named, or the default one.
func setOf(set *smk.ArchSet) *smk.ArchSet {
	if set == nil {
		set, _ = smk.ForArch("")
	}
	return set
}

func (c *cli) extract(args []string) int {
	set, args, status := c.takeArch(args)
	if status != 0 {
		return status
	}
	if len(args) != 1 {
		return c.usageError("extract needs exactly one DIR")
	}
	return c.report(setOf(set).ExtractAllTo(args[0]))
}

func (c *cli) ensure(args []string) int {
	set, args, status := c.takeArch(args)
	if status != 0 {
		return status
	}
	if len(args) > 1 {
		return c.usageError("ensure takes at most one DIR")
	}
	set = setOf(set)
	var dir string
	if len(args) == 1 {
		dir = args[0]
		if dir == "" {
			// "" names no directory (EnsureAssets would take it for
			// the default one).
			c.fail("", errnoText(syscall.ENOENT))
			return 1
		}
	} else {
		var err error
		if dir, err = set.DefaultDir(); err != nil {
			return c.report(err)
		}
	}
	if _, err := set.EnsureAssets(dir); err != nil {
		return c.report(err)
	}
	fmt.Fprintln(c.stdout, dir)
	return 0
}

func (c *cli) verify(args []string) int {
	set, args, status := c.takeArch(args)
	if status != 0 {
		return status
	}
	if len(args) != 1 {
		return c.usageError("verify needs exactly one DIR")
	}
	set = setOf(set)
	dir := args[0]
	err := set.Verify(dir)
	fails := failures(err)
	if len(fails) == 1 && fails[0][0] == dir {
		// The directory itself: no asset was looked at.
		c.fail(fails[0][0], fails[0][1])
		return 1
	}
	byPath := map[string]string{}
	for _, f := range fails {
		byPath[f[0]] = f[1]
	}
	// As the C CLI: one line per asset, in kind order: "ok" on stdout,
	// or the failure on stderr.
	for _, info := range set.Assets() {
		path := assetPath(dir, info.FileName)
		if text, failed := byPath[path]; failed {
			c.fail(path, text)
		} else {
			fmt.Fprintf(c.stdout, "%s: ok\n", path)
		}
	}
	if err != nil {
		return 1
	}
	return 0
}

// assetPath joins as the core does: one slash, none added after a
// trailing one.
func assetPath(dir, name string) string {
	if dir == "" || strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

func (c *cli) info(args []string) int {
	asJSON := false
	switch {
	case len(args) == 1 && args[0] == "--json":
		asJSON = true
	case len(args) != 0:
		return c.usageError("info takes only --json")
	}
	w := c.stdout
	assets := smk.AllAssets()
	archs := smk.Archs()
	if asJSON {
		fmt.Fprintf(w, "{\n  \"version\": \"%s\",\n  \"default_arch\": %s,\n  \"assets\": [\n", smk.Version, jsonString(smk.DefaultArch()))
		for i, a := range assets {
			sep := ","
			if i+1 == len(assets) {
				sep = ""
			}
			fmt.Fprintf(w, "    {\"name\": %s, \"file\": %s, \"size\": %d, \"sha256\": \"%s\", \"mode\": \"%04o\", \"arch\": %s, \"compressed\": %t, \"embedded_size\": %d}%s\n",
				jsonString(a.Name), jsonString(a.FileName), a.Size, a.SHA256, uint32(a.Mode.Perm()), jsonString(a.Arch), a.Compressed, a.EmbeddedSize, sep)
		}
		fmt.Fprint(w, "  ],\n  \"kernels\": [\n")
	} else {
		fmt.Fprintf(w, "%-20s %-19s %10s  %-64s  %-4s  %s\n", "ASSET", "FILE", "SIZE", "SHA256", "MODE", "ARCH")
		for _, a := range assets {
			fmt.Fprintf(w, "%-20s %-19s %10d  %-64s  %04o  %s\n", a.Name, a.FileName, a.Size, a.SHA256, uint32(a.Mode.Perm()), a.Arch)
		}
		fmt.Fprint(w, "\n")
	}
	// One kernel per architecture, the default one first.
	status := 0
	for i, arch := range archs {
		set, _ := smk.ForArch(arch)
		k, err := set.KernelInfo()
		if asJSON {
			fmt.Fprintf(w, "    {\"arch\": %s, \"release\": ", jsonString(arch))
			if err == nil {
				fmt.Fprintf(w, "%s, \"format\": \"%s\", \"text_offset\": %d, \"image_size\": %d, \"flags\": %d, \"entry\": %d, \"pvh_entry\": %d, \"load_address\": %d}",
					jsonString(k.Release), k.Format, k.TextOffset, k.ImageSize, k.Flags, k.Entry, k.PVHEntry, k.LoadAddress)
			} else {
				fmt.Fprintf(w, "\"\", \"error\": \"%s\"}", codeName(err))
			}
			sep := ","
			if i+1 == len(archs) {
				sep = ""
			}
			fmt.Fprintf(w, "%s\n", sep)
		} else {
			switch {
			case err != nil:
				fmt.Fprintf(w, "kernel %s: %s\n", arch, failures(err)[0][1])
			case k.Format == "ELF":
				fmt.Fprintf(w, "kernel %s: release %s, ELF vmlinux, entry 0x%x, pvh_entry 0x%x, load_address 0x%x, image_size %d\n",
					arch, k.Release, k.Entry, k.PVHEntry, k.LoadAddress, k.ImageSize)
			default:
				fmt.Fprintf(w, "kernel %s: release %s, arm64 Image, text_offset 0x%x, image_size %d, flags 0x%x\n",
					arch, k.Release, k.TextOffset, k.ImageSize, k.Flags)
			}
		}
		if err != nil {
			fmt.Fprintf(c.stderr, "%s: %s kernel payload: %s\n", prog, arch, failures(err)[0][1])
			status = 1
		}
	}
	if asJSON {
		fmt.Fprint(w, "  ]\n}\n")
	}
	return status
}

// codeName is the symbolic name of the code behind err ("SMK_ERR_CORRUPT",
// "ENOMEM").
func codeName(err error) string {
	var code smk.Code
	if errors.As(err, &code) {
		return code.Name()
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name, ok := errnoNames[errno]; ok {
			return name
		}
	}
	return ""
}

// errnoNames are the names of the errno values the core can report, as its
// smk_error_name() gives them.
var errnoNames = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.EIO: "EIO", syscall.EBADF: "EBADF",
	syscall.ENOMEM: "ENOMEM", syscall.EACCES: "EACCES", syscall.EEXIST: "EEXIST", syscall.EXDEV: "EXDEV",
	syscall.ENOTDIR: "ENOTDIR", syscall.EISDIR: "EISDIR", syscall.EINVAL: "EINVAL", syscall.EMFILE: "EMFILE",
	syscall.ENFILE: "ENFILE", syscall.EFBIG: "EFBIG", syscall.ENOSPC: "ENOSPC", syscall.EROFS: "EROFS",
	syscall.EMLINK: "EMLINK", syscall.ERANGE: "ERANGE", syscall.ENAMETOOLONG: "ENAMETOOLONG",
	syscall.ELOOP: "ELOOP", syscall.EBUSY: "EBUSY", syscall.ETXTBSY: "ETXTBSY", syscall.EAGAIN: "EAGAIN",
	syscall.EINTR: "EINTR", syscall.EDQUOT: "EDQUOT", syscall.EOPNOTSUPP: "EOPNOTSUPP",
}

// jsonString quotes s as the C CLI does: '"' and '\' escaped, control
// characters as \u00XX, everything else as it is.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case ch < 0x20:
			fmt.Fprintf(&b, "\\u%04x", ch)
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}
