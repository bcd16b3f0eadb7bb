package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubexm/kubexm/builder/ospkg"
	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/redact"
	"github.com/kubexm/kubexm/rootfs"
)

// bootArch is the one architecture the bootable ISO boots: its loaders are
// ISOLINUX and an x86-64 EFI binary.
const bootArch = "amd64"

// The boot files' names in the tree, under boot/amd64/.
const (
	bootKernel   = "vmlinuz"
	bootInitrd   = "initrd.img"
	bootIsolinux = "isolinux.bin"
	bootLdlinux  = "ldlinux.c32"
	bootMBR      = "isohdpfx.bin"
	bootEFI      = "bootx64.efi"
)

// loaderFiles are the boot loaders' files: which package of the profile
// holds each, at which path in it, and its name in the tree.
func loaderFiles(b *bootPackages) []struct {
	pkg       *ospkg.LocalPackage
	path, dst string
} {
	return []struct {
		pkg       *ospkg.LocalPackage
		path, dst string
	}{
		{&b.isolinux, "usr/lib/ISOLINUX/isolinux.bin", bootIsolinux},
		{&b.isolinux, "usr/lib/ISOLINUX/isohdpfx.bin", bootMBR},
		{&b.syslinux, "usr/lib/syslinux/modules/bios/ldlinux.c32", bootLdlinux},
		{&b.efi, "usr/lib/systemd/boot/efi/systemd-bootx64.efi", bootEFI},
	}
}

// bootPackages are the boot module's downloads, handed from step to step.
type bootPackages struct {
	kernel, isolinux, syslinux, efi ospkg.LocalPackage
}

// bootModule fetches the profile's kernel and boot-loader packages, takes
// the kernel and the loaders out of them and builds the initramfs: the
// embedded u-root base with the installer, and the kernel modules it
// loads. Everything lands in boot/amd64/ of the tree, recorded with the
// package it came from.
func bootModule(opts Options, origins *bundle.Origins) *engine.Module {
	b := &bootPackages{}
	fetchStep := engine.StepFunc("fetch boot packages", func(ctx context.Context, rt *engine.Runtime) error {
		return fetchBootPackages(ctx, rt, opts, b)
	})
	initrd := engine.StepFunc("kernel and initramfs", func(ctx context.Context, _ *engine.Runtime) error {
		return writeKernel(opts, origins, b)
	})
	loaders := engine.StepFunc("boot loaders", func(ctx context.Context, _ *engine.Runtime) error {
		return writeLoaders(opts, origins, b)
	})
	return engine.NewModule("boot", &engine.Task{Name: "boot files", Hosts: engine.OnControl(),
		Steps: []engine.Step{fetchStep, initrd, loaders}})
}

// fetchBootPackages downloads the profile's boot packages from the
// distribution's archive, each checked as the hosts' packages are.
func fetchBootPackages(ctx context.Context, rt *engine.Runtime, opts Options, b *bootPackages) error {
	boot := opts.Profile.Boot
	d, err := ospkg.LookupDistro(boot.OS.ID, boot.OS.Version)
	if err != nil {
		return fmt.Errorf("profile boot.os: %w", err)
	}
	o, err := archiveOptions(opts, d, bootArch)
	if err != nil {
		return err
	}
	f, err := ospkg.NewFetcher(ctx, o)
	if err != nil {
		return err
	}

	kernel, err := f.Index.Kernel(boot.Kernel)
	if err != nil {
		return fmt.Errorf("profile boot.kernel: %w", err)
	}
	wants := []struct {
		field string
		name  string
		dst   *ospkg.LocalPackage
	}{
		{"boot.kernel", kernel.Name, &b.kernel},
		{"boot.bios.isolinux", boot.BIOS.Isolinux, &b.isolinux},
		{"boot.bios.syslinux", boot.BIOS.Syslinux, &b.syslinux},
		{"boot.efi", boot.EFI, &b.efi},
	}
	for i, w := range wants {
		p, err := f.Index.Newest(w.name)
		if err != nil {
			return fmt.Errorf("profile %s: %w", w.field, err)
		}
		if *w.dst, err = f.Get(ctx, p); err != nil {
			return err
		}
		rt.Progress("boot packages", int64(i+1), int64(len(wants)))
	}
	return nil
}

// writeKernel takes the kernel out of its package and builds the
// initramfs with the modules the profile names. Both are kept in the
// cache under a key of their inputs (the embedded base, the kernel
// package, the modules), since reading a kernel package takes half a
// minute and the same inputs give the same bytes.
func writeKernel(opts Options, origins *bundle.Origins, b *bootPackages) error {
	kernelRel, _ := bundle.Boot(bootArch, bootKernel)
	initrdRel, _ := bundle.Boot(bootArch, bootInitrd)
	dir, release, err := cachedInitramfs(opts, b.kernel)
	if err != nil {
		return fmt.Errorf("initramfs for %s: %w", b.kernel.Package, err)
	}
	for rel, name := range map[string]string{kernelRel: bootKernel, initrdRel: bootInitrd} {
		dst := filepath.Join(opts.Root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Link(filepath.Join(dir, name), dst, 0o644); err != nil {
			return err
		}
	}
	origins.Record(kernelRel, bundle.Origin{Source: debURL(b.kernel.Package),
		Component: "boot/" + b.kernel.Name, Version: b.kernel.Version, Arch: bootArch})
	origins.Record(initrdRel, bundle.Origin{Component: "boot/initramfs",
		Version: release, Arch: bootArch})
	return nil
}

// cachedInitramfs returns the cache folder holding the kernel and the
// initramfs for these inputs, building them there first if need be, and
// the kernel release.
func cachedInitramfs(opts Options, kernel ospkg.LocalPackage) (string, string, error) {
	base, err := rootfs.Base()
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "base %x\nkernel %s\nmodules %s\n", sha256.Sum256(base), kernel.SHA256,
		strings.Join(opts.Profile.Boot.Modules, ","))
	dir := filepath.Join(opts.CacheDir, "initramfs", hex.EncodeToString(h.Sum(nil)))
	releaseFile := filepath.Join(dir, "release")
	if release, err := os.ReadFile(releaseFile); err == nil {
		return dir, string(release), nil
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	k, err := rootfs.Build(rootfs.Options{KernelDeb: kernel.Path, Modules: opts.Profile.Boot.Modules,
		Base: base, Kernel: filepath.Join(dir, bootKernel), Initramfs: filepath.Join(dir, bootInitrd)})
	if err != nil {
		return "", "", err
	}
	// The release file is written last: it marks the folder complete.
	if err := atomicfile.Write(releaseFile, []byte(k.Release), 0o644); err != nil {
		return "", "", err
	}
	return dir, k.Release, nil
}

// writeLoaders takes the boot loaders out of their packages.
func writeLoaders(opts Options, origins *bundle.Origins, b *bootPackages) error {
	for _, l := range loaderFiles(b) {
		rel, _ := bundle.Boot(bootArch, l.dst)
		dst := filepath.Join(opts.Root, filepath.FromSlash(rel))
		if err := rootfs.ExtractFile(l.pkg.Path, l.path, dst); err != nil {
			return fmt.Errorf("%s from package %s: %w", l.path, l.pkg.Package, err)
		}
		origins.Record(rel, bundle.Origin{Source: debURL(l.pkg.Package),
			Component: "boot/" + l.pkg.Name, Version: l.pkg.Version, Arch: bootArch})
	}
	return nil
}

// debURL is where a package was fetched from, for the manifest.
func debURL(p *ospkg.Package) string {
	return redact.URL(p.Repository + "/" + p.Filename)
}
