package builder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"

	"github.com/kubexm/kubexm/builder/isofs"
	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/engine"
)

// Format is what make-tar writes.
type Format string

const (
	// FormatTar is kubexm.tar.gz: the tree, for kubexm create --tar.
	FormatTar Format = "tar"
	// FormatISO is a bootable, hybrid ISO: the tree, the config, a kernel
	// and an initramfs whose installer deploys the cluster from it.
	FormatISO Format = "iso"
)

// The image's layout beside the .kubexm tree. ISOLINUX and the EFI system
// partition need their own files at paths of their own; the kernel and the
// initramfs are read from the tree (boot/amd64/) by ISOLINUX, and from the
// FAT image by systemd-boot, which cannot read ISO 9660.
const (
	isoIsolinuxDir = "isolinux"
	isoESP         = "boot/efi.img"
)

// What the installer (package installer, which the initramfs runs) looks
// for on its medium; a test holds them equal to the installer's own.
const (
	MediumLabel = "KUBEXM"        // the image's volume label
	ConfigName  = "kubexm.yaml"   // the config, at the image's root
	EmbeddedKey = "kubexm/ssh/id" // the key of --embed-ssh-key
)

// kernelArgs is the kernel command line of both boot loaders: the console
// on the screen and on the first serial port (the last named is
// /dev/console, where the installer talks), and the label of the medium
// the installer looks for.
const kernelArgs = "console=tty0 console=ttyS0,115200 kubexm.label=" + MediumLabel

// isoPackaging writes the bootable image: the manifest into the tree, the
// EFI system partition, then the image of the tree, the config and the
// loaders, and reads the image back against the manifest.
func isoPackaging(opts Options, origins *bundle.Origins) *engine.Module {
	name := filepath.Base(opts.Output)
	steps := []engine.Step{
		engine.StepFunc("manifest", func(context.Context, *engine.Runtime) error {
			_, _, err := bundle.WriteManifest(opts.Root, origins.Map(), Excluded...)
			return err
		}),
		// One step stages and writes, so that no run ends with the stage
		// left behind between the two.
		engine.StepFunc("write "+name, func(ctx context.Context, rt *engine.Runtime) error {
			stage, err := stageISO(opts)
			if err != nil {
				return err
			}
			defer os.RemoveAll(stage)
			stop := watchGrowth(ctx, opts.Output+isofs.PartialSuffix, treeSize(stage),
				time.Second/2, func(done, total int64) { rt.Progress(name, done, total) })
			defer stop()
			return writeISO(opts, stage)
		}),
		engine.StepFunc("verify "+name, func(ctx context.Context, _ *engine.Runtime) error {
			_, err := VerifyISO(ctx, opts.Output)
			return err
		}),
	}
	return engine.NewModule("packaging", &engine.Task{Name: "write bootable image",
		Hosts: engine.OnControl(), Steps: steps})
}

// stageISO lays out the image's root beside the tree, of hard links where
// the file system allows (a bundle may be gigabytes): the tree, the config,
// the key if one is embedded, ISOLINUX's folder and the EFI system
// partition.
func stageISO(opts Options) (string, error) {
	stage, err := os.MkdirTemp(filepath.Dir(filepath.Clean(opts.Root)), ".kubexm-iso-")
	if err != nil {
		return "", fmt.Errorf("staging the image: %w", err)
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return "", err
	}
	if err := fillStage(opts, stage); err != nil {
		os.RemoveAll(stage)
		return "", fmt.Errorf("staging the image in %s: %w", stage, err)
	}
	return stage, nil
}

func fillStage(opts Options, stage string) error {
	excluded := func(rel string) bool { return slices.Contains(Excluded, rel) }
	if err := isofs.LinkTree(opts.Root, filepath.Join(stage, bundle.Dir), excluded); err != nil {
		return err
	}
	cfg, err := os.ReadFile(opts.ConfigFile)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(stage, ConfigName), cfg, 0o644); err != nil {
		return err
	}
	if opts.EmbedSSHKey != "" {
		key, err := os.ReadFile(opts.EmbedSSHKey)
		if err != nil {
			return fmt.Errorf("--embed-ssh-key: %w", err)
		}
		dst := filepath.Join(stage, filepath.FromSlash(EmbeddedKey))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		if err := atomicfile.Write(dst, key, 0o600); err != nil {
			return err
		}
	}

	boot := func(file string) string {
		rel, _ := bundle.Boot(bootArch, file)
		return filepath.Join(opts.Root, filepath.FromSlash(rel))
	}
	iso := filepath.Join(stage, isoIsolinuxDir)
	if err := os.MkdirAll(iso, 0o755); err != nil {
		return err
	}
	for _, f := range []string{bootIsolinux, bootLdlinux} {
		if err := atomicfile.Copy(boot(f), filepath.Join(iso, f), 0o644); err != nil {
			return err
		}
	}
	if err := atomicfile.Write(filepath.Join(iso, "isolinux.cfg"), isolinuxConfig(), 0o644); err != nil {
		return err
	}

	dir := filepath.Dir(filepath.Join(stage, filepath.FromSlash(isoESP)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf := filepath.Join(stage, ".loader.conf")
	entry := filepath.Join(stage, ".kubexm.conf")
	defer os.Remove(conf)
	defer os.Remove(entry)
	if err := os.WriteFile(conf, []byte("timeout 0\ndefault kubexm.conf\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(entry, systemdBootEntry(), 0o644); err != nil {
		return err
	}
	return isofs.MakeESP(filepath.Join(stage, filepath.FromSlash(isoESP)), map[string]string{
		"EFI/BOOT/BOOTX64.EFI":       boot(bootEFI),
		"loader/loader.conf":         conf,
		"loader/entries/kubexm.conf": entry,
		bootKernel:                   boot(bootKernel),
		bootInitrd:                   boot(bootInitrd),
	}, opts.ModTime)
}

// isolinuxConfig boots the kernel and initramfs of the tree at once, on
// the serial console too.
func isolinuxConfig() []byte {
	kernel, _ := bundle.Boot(bootArch, bootKernel)
	initrd, _ := bundle.Boot(bootArch, bootInitrd)
	return fmt.Appendf(nil, "SERIAL 0 115200\nPROMPT 0\nTIMEOUT 0\nDEFAULT kubexm\n"+
		"LABEL kubexm\n  KERNEL /%s/%s\n  INITRD /%s/%s\n  APPEND %s\n",
		bundle.Dir, kernel, bundle.Dir, initrd, kernelArgs)
}

// systemdBootEntry boots the copies in the EFI system partition.
func systemdBootEntry() []byte {
	return fmt.Appendf(nil, "title kubexm installer\nlinux /%s\ninitrd /%s\noptions %s\n",
		bootKernel, bootInitrd, kernelArgs)
}

// writeISO writes the staged root as the bootable image.
func writeISO(opts Options, stage string) error {
	mbr, err := os.ReadFile(filepath.Join(opts.Root, bundle.BootDir, bootArch, bootMBR))
	if err != nil {
		return err
	}
	if len(mbr) < 432 {
		return fmt.Errorf("%s: %d bytes, want the 432 bytes of MBR code and more", bootMBR, len(mbr))
	}
	return isofs.Write(stage, opts.Output, isofs.Options{
		Label: MediumLabel, Time: opts.ModTime, Consume: true,
		BIOS: &isofs.BIOSBoot{Loader: isoIsolinuxDir + "/" + bootIsolinux, MBRCode: mbr[:432]},
		EFI:  &isofs.EFIBoot{Image: isoESP},
	})
}

// VerifyISO reads a bootable image back, as the seed will: every file of
// the tree in the image must match the manifest in the image, and the
// image must hold no file the manifest does not list. It returns the
// manifest.
func VerifyISO(ctx context.Context, path string) (*bundle.Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	fsys, err := iso9660.Read(file.New(f, true), st.Size(), 0, isofs.SectorSize)
	if err != nil {
		return nil, fmt.Errorf("reading %s back: %w", path, err)
	}
	return bundle.VerifyFS(ctx, path, isoFS{fsys: fsys, root: bundle.Dir})
}

// isoFS is the folder root of an image, read by go-diskfs, as an fs.FS.
// go-diskfs opens files only, so a folder is found in its parent's
// listing, which only a failed open looks at: a blob folder of thousands
// of files would otherwise be listed once for each of them.
type isoFS struct {
	fsys *iso9660.FileSystem
	root string
}

func (i isoFS) path(name string) string { return path.Join(i.root, name) }

func (i isoFS) Open(name string) (fs.File, error) {
	f, openErr := i.fsys.OpenFile(i.path(name), os.O_RDONLY)
	if openErr == nil {
		return f, nil
	}
	info, err := i.Stat(name)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: openErr}
	}
	return dirFile{info}, nil
}

func (i isoFS) ReadDir(name string) ([]fs.DirEntry, error) { return i.fsys.ReadDir(i.path(name)) }

func (i isoFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	dir, base := path.Split(i.path(name))
	parent := strings.TrimSuffix(dir, "/")
	if parent == "" {
		parent = "."
	}
	entries, err := i.fsys.ReadDir(parent)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	for _, e := range entries {
		if e.Name() == base {
			return e.Info()
		}
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// dirFile is a folder opened: it can be stat'ed, not read.
type dirFile struct{ fs.FileInfo }

func (d dirFile) Stat() (fs.FileInfo, error) { return d.FileInfo, nil }
func (d dirFile) Close() error               { return nil }
func (d dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.Name(), Err: errors.New("is a directory")}
}

// treeSize is the bytes of the files under dir: about what an image of it
// holds, for progress.
func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// watchGrowth reports the size of the file at path against total, every
// interval, until stop is called: go-diskfs writes an image without a
// word, and a bundle's image takes minutes.
func watchGrowth(ctx context.Context, path string, total int64, every time.Duration,
	report func(done, total int64)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if info, err := os.Stat(path); err == nil {
					report(min(info.Size(), total), total)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
