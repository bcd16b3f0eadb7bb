package installer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// ParseModules reads a module order file: one absolute path of a .ko file
// per line, in load order. Blank lines and lines starting with # are
// skipped; name is the file's name for errors.
func ParseModules(r io.Reader, name string) ([]string, error) {
	var mods []string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !filepath.IsAbs(line) || !isModuleFile(line) {
			return nil, fmt.Errorf("%s:%d: %q is not an absolute path of a .ko file",
				name, n, line)
		}
		mods = append(mods, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return mods, nil
}

// isModuleFile reports whether path names a kernel module, compressed or
// not (finit_module takes compressed ones on kernels built to).
func isModuleFile(path string) bool {
	for _, ext := range []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"} {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

// ModuleLoader loads one kernel module file. It returns an error that
// wraps ErrModuleLoaded for a module already in the kernel.
type ModuleLoader func(path string) error

// ErrModuleLoaded is what a ModuleLoader returns for a module that is
// loaded already or built into the kernel.
var ErrModuleLoaded = errors.New("already loaded")

// ModuleFailure is a module that would not load.
type ModuleFailure struct {
	Path string
	Err  error
}

// LoadModules loads mods in order. A module that fails is recorded and the
// rest are still tried: a missing driver for one NIC must not keep the
// disk driver from loading. It returns how many it loaded and the failures.
func LoadModules(mods []string, load ModuleLoader, progress func(string)) (int, []ModuleFailure) {
	loaded := 0
	var failed []ModuleFailure
	for _, m := range mods {
		err := load(m)
		switch {
		case err == nil:
			loaded++
		case errors.Is(err, ErrModuleLoaded):
			progress(fmt.Sprintf("module %s: already loaded", filepath.Base(m)))
		default:
			failed = append(failed, ModuleFailure{Path: m, Err: err})
			progress(fmt.Sprintf("module %s: %v", filepath.Base(m), err))
		}
	}
	return loaded, failed
}
