package supermachinekernel

// DefaultDir is the directory [EnsureAssets] uses when given none:
// $XDG_CACHE_HOME/supermachine-kernel/<Version> when XDG_CACHE_HOME is an
// absolute path, else $HOME/.cache/supermachine-kernel/<Version> (HOME
// from the environment, else the user database).
func DefaultDir() (string, error) {
	dir, rc := backendDefaultDir()
	if rc != 0 {
		return "", newError("defaultdir", noAsset, "$XDG_CACHE_HOME or $HOME", rc)
	}
	return dir, nil
}

// ExtractAll writes every asset into dir under its file name ("kernel",
// "init-oci", "supermachine-agent"), creating dir and its parents if
// missing.  Each file is written atomically as by [Asset.ExtractTo]; the
// assets are decoded together, on all cores.  On failure, files already
// renamed into place stay (each one complete).
func ExtractAll(dir string) error {
	if err := checkPath("extract", dir); err != nil {
		return err
	}
	results, rc := backendExtractAll(dir)
	return dirError("extract", dir, results, rc)
}

// EnsureAssets makes dir hold every asset, complete and current, extracting
// only those missing, truncated, altered or of the wrong mode, and returns
// dir.  An empty dir means [DefaultDir].  The directory is created (with
// parents) if needed.
//
// Idempotent and safe under concurrent callers, goroutines or processes
// (in any language: the C library, Python and this package share the
// protocol): the slow path runs under an advisory lock in dir, and each
// checked or extracted file's identity (device, inode, size, mode, mtime,
// ctime) is recorded in a stamp, so a later call that finds every identity
// unchanged trusts the files without reading them.  [Verify] reads every
// byte.
func EnsureAssets(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return "", err
		}
	}
	if err := checkPath("ensure", dir); err != nil {
		return "", err
	}
	results, rc := backendEnsure(dir)
	if err := dirError("ensure", dir, results, rc); err != nil {
		return "", err
	}
	return dir, nil
}

// Verify checks every asset in dir under its file name, as [VerifyFile]
// does, all of them (their bytes compared together, on all cores).  It
// returns nil if all match, else one error per asset that does not
// ([*MismatchError] or [*fs.PathError], naming the asset's file), joined.
func Verify(dir string) error {
	if err := checkPath("verify", dir); err != nil {
		return err
	}
	results, rc := backendVerify(dir)
	return dirError("verify", dir, results, rc)
}
