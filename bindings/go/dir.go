package supermachinekernel

// DefaultDir is the directory [EnsureAssets] uses when given none:
// $XDG_CACHE_HOME/supermachine-kernel/<Version> when XDG_CACHE_HOME is an
// absolute path, else $HOME/.cache/supermachine-kernel/<Version> (HOME
// from the environment, else the user database).
func DefaultDir() (string, error) { return defaultSet().DefaultDir() }

// DefaultDir is the directory [ArchSet.EnsureAssets] uses when given
// none: [DefaultDir] for the default architecture, and
// "<DefaultDir>/<arch>" for another (its canonical name), so that each set
// has a directory of its own under the plain file names.
func (s *ArchSet) DefaultDir() (string, error) {
	dir, rc := backendDefaultDir(s.slot)
	if rc != 0 {
		return "", newError("defaultdir", noAsset, "$XDG_CACHE_HOME or $HOME", rc)
	}
	return dir, nil
}

// ExtractAll writes the default architecture's set into dir; see
// [ArchSet.ExtractAllTo].
func ExtractAll(dir string) error { return defaultSet().ExtractAllTo(dir) }

// ExtractAllTo writes the set's assets into dir under the plain file names
// ("kernel", "init-oci", "supermachine-agent"), whatever the
// architecture, creating dir and its parents if missing.  Each file is
// written atomically as by [Asset.ExtractTo]; the assets are decoded
// together, on all cores.  On failure, files already renamed into place
// stay (each one complete).
func (s *ArchSet) ExtractAllTo(dir string) error {
	if err := checkPath("extract", dir); err != nil {
		return err
	}
	results, rc := backendExtractSet(s.slot, dir)
	return s.dirError("extract", dir, results, rc)
}

// EnsureAssets makes dir hold the default architecture's set; see
// [ArchSet.EnsureAssets].
func EnsureAssets(dir string) (string, error) { return defaultSet().EnsureAssets(dir) }

// EnsureAssets makes dir hold the set's assets, complete and current,
// extracting only those missing, truncated, altered or of the wrong mode,
// and returns dir.  An empty dir means [ArchSet.DefaultDir].  The
// directory is created (with parents) if needed.  A directory holds one
// set: ensuring another architecture's set in it replaces the files.
//
// Idempotent and safe under concurrent callers, goroutines or processes
// (in any language: the C library, Python and this package share the
// protocol): the slow path runs under an advisory lock in dir, and each
// checked or extracted file's identity (device, inode, size, mode, mtime,
// ctime) is recorded in a stamp, so a later call that finds every identity
// unchanged trusts the files without reading them.  [Verify] reads every
// byte.
func (s *ArchSet) EnsureAssets(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = s.DefaultDir(); err != nil {
			return "", err
		}
	}
	if err := checkPath("ensure", dir); err != nil {
		return "", err
	}
	results, rc := backendEnsureSet(s.slot, dir)
	if err := s.dirError("ensure", dir, results, rc); err != nil {
		return "", err
	}
	return dir, nil
}

// Verify checks the default architecture's set in dir; see
// [ArchSet.Verify].
func Verify(dir string) error { return defaultSet().Verify(dir) }

// Verify checks every asset of the set in dir under its file name, as
// [VerifyFile] does, all of them (their bytes compared together, on all
// cores).  It returns nil if all match, else one error per asset that
// does not ([*MismatchError] or [*fs.PathError], naming the asset's
// file), joined.
func (s *ArchSet) Verify(dir string) error {
	if err := checkPath("verify", dir); err != nil {
		return err
	}
	results, rc := backendVerifySet(s.slot, dir)
	return s.dirError("verify", dir, results, rc)
}
