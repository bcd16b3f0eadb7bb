// Package testdebs gives tests real Debian packages: .deb files fetched
// once with apt-get download, from the machine's own apt sources, into a
// cache kept between runs ($KUBEXM_TEST_DEBS, by default kubexm/test-debs
// in the user's cache folder), so that later runs need no network.
//
// A test that cannot have them skips, except under CI=true, where it
// fails: a missing fixture must not pass as green.
package testdebs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kubexm/kubexm/internal/testenv"
)

var mu sync.Mutex // one apt-get at a time: they share the cache's lists

// Fetch returns the path of a .deb of each named package, by name. A name
// may be a virtual or metapackage only if apt-get download accepts it;
// the file found is the newest one in the cache whose name starts with
// name_ (apt-get download's name_version_arch.deb).
func Fetch(t testing.TB, names ...string) map[string]string {
	t.Helper()
	paths, err := Get(names...)
	if err != nil {
		testenv.Missing(t, "%s", err)
	}
	return paths
}

// Dir is the cache folder the .deb files are kept in.
func Dir() (string, error) {
	if dir := os.Getenv("KUBEXM_TEST_DEBS"); dir != "" {
		return dir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "kubexm", "test-debs"), nil
}

// Get is Fetch for callers that handle the error themselves.
func Get(names ...string) (map[string]string, error) {
	mu.Lock()
	defer mu.Unlock()
	if _, err := exec.LookPath("apt-get"); err != nil {
		return nil, fmt.Errorf("real .deb fixtures need apt-get: %w", err)
	}
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	found, missing := find(dir, names)
	if len(missing) > 0 {
		if err := download(dir, missing); err != nil {
			return nil, err
		}
		found, missing = find(dir, names)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no .deb for %s in %s after apt-get download",
			strings.Join(missing, " "), dir)
	}
	return found, nil
}

// download runs apt-get download in dir. Where the machine's package lists
// are missing or stale (a fresh CI machine), it reads the lists of the
// machine's apt sources into dir first, leaving the system's alone.
func download(dir string, names []string) error {
	if aptGet(dir, nil, append([]string{"download"}, names...)...) == nil {
		return nil
	}
	own := []string{
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "apt/lists"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "apt/cache"),
	}
	for _, d := range []string{"apt/lists/partial", "apt/cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := aptGet(dir, own, "update"); err != nil {
		return err
	}
	return aptGet(dir, own, append([]string{"download"}, names...)...)
}

func aptGet(dir string, opts []string, args ...string) error {
	cmd := exec.Command("apt-get", append(opts, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get %s in %s: %w\n%s", strings.Join(args, " "), dir, err, out)
	}
	return nil
}

// find looks for apt-get download's file names, name_version_arch.deb,
// taking the last in name order when there are several.
func find(dir string, names []string) (map[string]string, []string) {
	found := map[string]string{}
	var missing []string
	for _, name := range names {
		matches, _ := filepath.Glob(filepath.Join(dir, name+"_*.deb"))
		if len(matches) == 0 {
			missing = append(missing, name)
			continue
		}
		found[name] = matches[len(matches)-1]
	}
	return found, missing
}

// Kernel returns the name of the kernel package that the metapackage meta
// (linux-image-amd64) depends on in the machine's apt sources, such as
// linux-image-6.1.0-57-amd64, to Fetch it.
func Kernel(t testing.TB, meta string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	out, err := exec.Command("apt-cache", "depends", meta).Output()
	if err != nil {
		err = fmt.Errorf("apt-cache depends %s: %w", meta, err)
		testenv.Missing(t, "%s", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		dep, ok := strings.CutPrefix(strings.TrimSpace(line), "Depends: ")
		if ok && strings.HasPrefix(dep, "linux-image-") {
			return dep
		}
	}
	t.Fatalf("apt-cache depends %s names no linux-image-* package:\n%s", meta, out)
	return ""
}
