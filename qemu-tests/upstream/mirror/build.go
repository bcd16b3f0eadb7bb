package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// recipe says how one component is built from its Go source: a wrapper module that requires
// the component's module, and the main packages to build in it.
type recipe struct {
	name    string // component name, the first part of the cache key
	version string // the version as upstream publishes it, e.g. v2.4.2
	// require lists the "module version" lines of the wrapper module.
	require []string

	// replace maps a module path to the "path version" it is replaced with.
	replace map[string]string
	// staging, a "module version" line, names a module whose "=> ./staging/..." replaces
	// are turned into replaces by the published modules at stagingVersion.
	staging        string
	stagingVersion string

	// files are extra source files of the wrapper module, by name.
	files map[string][]byte

	bins    []binary
	cgo     bool
	tags    []string
	ldflags string
}

// binary is one main package of a recipe and the file name upstream gives its program.
type binary struct {
	pkg  string
	name string
}

// builder builds components from source into a cache directory, one build at a time, and
// answers from the cache when a component was built before.
type builder struct {
	// Cache is the cache directory; see CacheDir.
	Cache string
	// Log receives a line per build; nil discards them. Build output goes to files under
	// Cache/logs.
	Log io.Writer
}

// CacheDir is where build outputs are kept: $KUBEXM_UPSTREAM_CACHE, or kubexm/upstream in
// the user's cache folder. A cold build takes about half an hour on two cores; the cache is
// what makes a second start take seconds.
func CacheDir() (string, error) {
	if dir := os.Getenv("KUBEXM_UPSTREAM_CACHE"); dir != "" {
		return dir, nil
	}

	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache folder for the upstream cache: %w", err)
	}
	return filepath.Join(base, "kubexm", "upstream"), nil
}

// build returns the folder that holds the binaries of r for arch, building them first when
// the cache does not have them.
func (b *builder) build(ctx context.Context, r recipe, arch string) (string, error) {
	out := filepath.Join(b.Cache, "bin", r.name, r.version, arch)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}

	unlock, err := b.lock()
	if err != nil {
		return "", err
	}
	defer unlock()

	// Another process may have built it while this one waited for the lock.
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}

	start := time.Now()
	b.logf("building %s %s for linux/%s from source", r.name, r.version, arch)
	if err := b.compile(ctx, r, arch, out); err != nil {
		return "", err
	}
	b.logf("built %s %s for linux/%s in %s", r.name, r.version, arch,
		time.Since(start).Round(time.Second))
	return out, nil
}

// compile runs go build for r in its wrapper module, into a temporary folder that is renamed
// to out when every binary is there, so that a half-done build is never taken for a cached one.
func (b *builder) compile(ctx context.Context, r recipe, arch, out string) error {
	src, err := b.wrapper(ctx, r)
	if err != nil {
		return err
	}

	tmp := out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("clearing %s: %w", tmp, err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", tmp, err)
	}

	logName := filepath.Join(b.Cache, "logs", fmt.Sprintf("%s-%s-%s.log", r.name, r.version, arch))
	args := buildArgs(r, tmp)
	if err := b.goCmd(ctx, src, logName, buildEnv(r, arch), args...); err != nil {
		return fmt.Errorf("building %s %s for %s (see %s): %w", r.name, r.version, arch, logName, err)
	}

	if err := nameBinaries(r, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("moving the build of %s into the cache: %w", r.name, err)
	}
	return nil
}

func buildArgs(r recipe, outDir string) []string {
	args := []string{"build", "-mod=mod", "-trimpath", "-o", outDir + string(os.PathSeparator)}
	if len(r.tags) > 0 {
		args = append(args, "-tags", strings.Join(r.tags, ","))
	}

	args = append(args, "-ldflags", strings.TrimSpace("-s -w "+r.ldflags))
	for _, bin := range r.bins {
		args = append(args, bin.pkg)
	}
	return args
}

func buildEnv(r recipe, arch string) []string {
	cgo := "0"
	if r.cgo {
		cgo = "1"
	}
	return []string{"GOOS=linux", "GOARCH=" + arch, "CGO_ENABLED=" + cgo, "GOWORK=off",
		"GOFLAGS=-buildvcs=false"}
}

// nameBinaries renames each program from the last element of its package path, which is
// what go build calls it, to the name upstream gives it.
func nameBinaries(r recipe, dir string) error {
	for _, bin := range r.bins {
		built := filepath.Join(dir, binName(bin.pkg))
		if built == filepath.Join(dir, bin.name) {
			continue
		}

		if err := os.Rename(built, filepath.Join(dir, bin.name)); err != nil {
			return fmt.Errorf("naming %s of %s: %w", bin.name, r.name, err)
		}
	}
	return nil
}

// goCmd runs the go command in dir with extra environment, its output going to logName.
func (b *builder) goCmd(ctx context.Context, dir, logName string, env []string,
	args ...string) error {
	if err := os.MkdirAll(filepath.Dir(logName), 0o755); err != nil {
		return fmt.Errorf("creating the build log folder: %w", err)
	}
	logFile, err := os.Create(logName)
	if err != nil {
		return fmt.Errorf("creating build log %s: %w", logName, err)
	}
	defer logFile.Close()

	cmd := exec.CommandContext(ctx, goTool(), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	fmt.Fprintf(logFile, "$ go %s\n", strings.Join(args, " "))
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", args[0], err)
	}
	return nil
}

// goTool is the go command that builds the components: the one on PATH, else the one in
// /usr/local/go, where the Go release archives are unpacked by convention.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// lock takes a file lock on the cache, so that two mirrors starting at once (a test and a
// serve command) do not build the same thing twice, nor load two cores with two builds.
func (b *builder) lock() (func(), error) {
	if err := os.MkdirAll(b.Cache, 0o755); err != nil {
		return nil, fmt.Errorf("creating cache folder %s: %w", b.Cache, err)
	}
	f, err := os.OpenFile(filepath.Join(b.Cache, "build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the build lock in %s: %w", b.Cache, err)
	}

	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the build lock in %s: %w", b.Cache, err)
	}
	return func() { f.Close() }, nil
}

func (b *builder) logf(format string, args ...any) {
	if b.Log != nil {
		fmt.Fprintf(b.Log, format+"\n", args...)
	}
}
