package vm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// CacheEnv names the environment variable that chooses the image cache
// directory. The default is kubexm/vm under the user's cache directory.
const CacheEnv = "KUBEXM_VM_CACHE"

// SudoUser is the non-root user of every image; it logs in by key and
// needs SudoPassword for sudo, as on a host an operator hands to kubexm.
const SudoUser = "kubexm"

// SudoPassword is SudoUser's password.
const SudoPassword = "kubexm-sudo-pw"

// DefaultPackages are added to debootstrap's minbase. They are what a plain
// Debian server has; containerd, conntrack, socat and the like are left
// out on purpose, so that an offline install must bring them.
var DefaultPackages = []string{
	"systemd-sysv", "udev", "kmod", "dbus", "procps",
	"openssh-server", "sudo", "iproute2", "ca-certificates",
	"linux-image-amd64",
}

//go:embed build-image.sh guest
var recipe embed.FS

// ImageConfig says which image to build. The zero value is Debian 12
// (bookworm) with DefaultPackages and a 20 GiB sparse file system, cached
// in the directory named by CacheEnv.
type ImageConfig struct {
	// Suite is the Debian suite. The default is "bookworm".
	Suite string

	// Packages replace DefaultPackages when set.
	Packages []string

	// DiskSize is the size of the root file system, as mkfs.ext4 reads it.
	// The default is "20G"; the file is sparse, so unused space costs
	// nothing.
	DiskSize string

	// CacheDir is where images are kept. The default comes from CacheEnv.
	CacheDir string

	// Mirror is the Debian mirror. The default comes from DebianMirror.
	Mirror string

	// Log receives debootstrap's output while an image is built.
	Log io.Writer
}

// Image is a built host image: a kernel, its initramfs and a root file
// system that holds the same kernel's modules.
type Image struct {
	// Dir holds the files below.
	Dir string

	// Kernel, Initrd and Disk are the paths of vmlinuz, initrd.img and the
	// raw ext4 root file system.
	Kernel, Initrd, Disk string

	// KernelRelease is the kernel's uname -r.
	KernelRelease string
}

// withDefaults fills in the zero fields of c.
func (c ImageConfig) withDefaults() (ImageConfig, error) {
	if c.Suite == "" {
		c.Suite = "bookworm"
	}
	if len(c.Packages) == 0 {
		c.Packages = DefaultPackages
	}
	if c.DiskSize == "" {
		c.DiskSize = "20G"
	}
	if c.CacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return c, err
		}
		c.CacheDir = dir
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c, nil
}

// DefaultCacheDir returns the image cache directory: CacheEnv if set,
// else kubexm/vm under the user's cache directory.
func DefaultCacheDir() (string, error) {
	if dir := os.Getenv(CacheEnv); dir != "" {
		return dir, nil
	}

	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the image cache directory (set %s): %w", CacheEnv, err)
	}
	return filepath.Join(base, "kubexm", "vm"), nil
}

// key names an image by everything that goes into it: the suite, the
// packages, the size, the password, and the recipe (the build script and
// the guest files). The mirror is left out: any mirror of the suite
// yields the same packages.
func (c ImageConfig) key() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "suite=%s\narch=amd64\npackages=%s\nsize=%s\npassword=%s\n",
		c.Suite, strings.Join(c.Packages, ","), c.DiskSize, SudoPassword)

	err := fs.WalkDir(recipe, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := recipe.ReadFile(path)
		fmt.Fprintf(h, "file=%s\n%s\n", path, data)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("hashing the image recipe: %w", err)
	}
	return c.Suite + "-" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// BuildImage returns the image that c describes, building it first if the
// cache does not hold it yet. Building takes minutes (debootstrap of some
// 200 packages) and needs root, debootstrap and mkfs.ext4; a cached image
// is returned at once. Concurrent callers, in one process or several,
// build an image once: the others wait on a lock file.
func BuildImage(ctx context.Context, c ImageConfig) (*Image, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	key, err := c.key()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(c.CacheDir, key)

	if err := os.MkdirAll(c.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating image cache %s: %w", c.CacheDir, err)
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()

	if img, err := openImage(dir); err == nil {
		return img, nil
	}
	if err := build(ctx, c, dir); err != nil {
		return nil, err
	}
	return openImage(dir)
}

// openImage returns the image in dir if it is complete.
func openImage(dir string) (*Image, error) {
	release, err := os.ReadFile(filepath.Join(dir, "kernel-release"))
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", dir, err)
	}

	img := &Image{
		Dir:           dir,
		Kernel:        filepath.Join(dir, "vmlinuz"),
		Initrd:        filepath.Join(dir, "initrd.img"),
		Disk:          filepath.Join(dir, "disk.raw"),
		KernelRelease: strings.TrimSpace(string(release)),
	}
	for _, f := range []string{img.Kernel, img.Initrd, img.Disk} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("checking image %s: %w", dir, err)
		}
	}
	return img, nil
}

// build runs build-image.sh into a fresh directory beside dir and renames
// it to dir once it is complete, so a half-built image is never used.
func build(ctx context.Context, c ImageConfig, dir string) error {
	mirror := c.Mirror
	if mirror == "" {
		m, err := DebianMirror(c.Suite)
		if err != nil {
			return err
		}
		mirror = m
	}

	// A build that was killed leaves its directory behind; the lock on
	// this key is held, so any directory of the key is such a leftover.
	stale, _ := filepath.Glob(filepath.Join(c.CacheDir, ".build-"+filepath.Base(dir)+"-*"))
	for _, d := range stale {
		os.RemoveAll(d)
	}

	tmp, err := os.MkdirTemp(c.CacheDir, ".build-"+filepath.Base(dir)+"-")
	if err != nil {
		return fmt.Errorf("creating image build directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	src := filepath.Join(tmp, "recipe")
	if err := os.CopyFS(src, recipe); err != nil {
		return fmt.Errorf("writing the image recipe to %s: %w", src, err)
	}
	out := filepath.Join(tmp, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}

	var tail bytes.Buffer
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(src, "build-image.sh"))
	cmd.Env = append(os.Environ(),
		"MIRROR="+mirror, "SUITE="+c.Suite, "PACKAGES="+strings.Join(c.Packages, ","),
		"PASSWORD="+SudoPassword, "GUEST="+filepath.Join(src, "guest"), "OUT="+out,
		"DISK_SIZE="+c.DiskSize, "LC_ALL=C")
	// debootstrap runs in a process group of its own, so that cancelling
	// ctx ends all of it, not only the shell.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Stdout = io.MultiWriter(c.Log, &tailWriter{buf: &tail})
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building image %s from %s: %w\n%s", dir, mirror, err, tail.String())
	}

	if err := os.Rename(out, dir); err != nil {
		return fmt.Errorf("moving the built image to %s: %w", dir, err)
	}
	return nil
}

// lockFile takes an exclusive lock on path, waiting for it, and returns
// the function that releases it.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}

	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// tailWriter keeps the last 4 KiB written to it, for error messages.
type tailWriter struct{ buf *bytes.Buffer }

func (w *tailWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if extra := w.buf.Len() - 4096; extra > 0 {
		w.buf.Next(extra)
	}
	return len(p), nil
}
