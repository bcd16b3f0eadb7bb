package isofs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"

	"github.com/kubexm/kubexm/internal/atomicfile"
)

// SectorSize is the ISO 9660 logical block size: every extent, and the
// image itself, is a whole number of these.
const SectorSize = 2048

// MaxFileSize is the largest file an image can hold: ISO 9660 level 2
// gives a file one extent, whose size field is 32 bits.
const MaxFileSize = 1<<32 - 1

// PartialSuffix is added to an image's name while it is written; the file
// is renamed to its name once complete.
const PartialSuffix = ".partial"

// DefaultCatalog is where the El Torito boot catalog goes when
// Options.Catalog is empty.
const DefaultCatalog = "boot.cat"

var validLabel = regexp.MustCompile(`^[A-Z0-9_]{1,32}$`)

// Options says how to write an image. The zero value of BIOS and EFI
// writes a plain, unbootable image.
type Options struct {
	// Label is the volume identifier, 1-32 of A-Z, 0-9 and _, so that a
	// host finds the medium by /dev/disk/by-label.
	Label string

	// Time is every timestamp in the image: the same tree and Time give
	// the same bytes.
	Time time.Time

	// BIOS, when set, makes the image boot ISOLINUX on PC BIOS.
	BIOS *BIOSBoot

	// EFI, when set, makes the image boot from a FAT image under UEFI.
	EFI *EFIBoot

	// Catalog is the path in the image of the El Torito boot catalog of a
	// bootable image. The default is DefaultCatalog.
	Catalog string

	// Consume gives the tree to the writer: go-diskfs writes from it and
	// removes it, instead of from a mirror of it made first. For a tree
	// that was staged for the image alone; its root must be mode 0755
	// (the image's root folder takes its mode).
	Consume bool
}

// BIOSBoot is the El Torito entry of ISOLINUX and the hybrid MBR that
// boots it from a USB stick.
type BIOSBoot struct {
	// Loader is the path in the tree of isolinux.bin, such as
	// "isolinux/isolinux.bin". It is loaded without emulation, 4 sectors
	// of 512 bytes, with a boot information table patched in (in the
	// image only: the tree's file is left as it was).
	Loader string

	// MBRCode is the first 432 bytes of the MBR: the isohybrid boot code,
	// as syslinux ships it in isohdpfx.bin. Nil leaves the image bootable
	// from a CD only (unless EFI is set, which writes an MBR without code).
	MBRCode []byte
}

// EFIBoot is the El Torito entry and the MBR partition of an EFI system
// partition that lies, as a FAT image file, in the tree.
type EFIBoot struct {
	// Image is the path in the tree of the FAT image, such as
	// "boot/efi.img" (see MakeESP).
	Image string
}

// Write writes the tree at dir as an ISO 9660 image with Rock Ridge names
// and modes at dst, bootable as o says. The image is as large as its
// content, every timestamp in it is o.Time, and owners are root, so the
// same tree and options give the same bytes. It is written under a
// temporary name and renamed when complete; dir is left as it was.
func Write(dir, dst string, o Options) (err error) {
	if err := o.validate(dir); err != nil {
		return fmt.Errorf("iso %s: %w", dst, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("iso %s: %w", dst, err)
	}
	work, err := o.workTree(dir, dst)
	if err != nil {
		return fmt.Errorf("iso %s: staging %s: %w", dst, dir, err)
	}
	defer os.RemoveAll(work)

	tmp := dst + PartialSuffix
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := finalize(work, tmp, o); err != nil {
		return fmt.Errorf("iso %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("iso %s: %w", dst, err)
	}
	return nil
}

// workTree returns the folder go-diskfs writes from, and consumes: dir
// itself with Consume, else a mirror of it. Files too large for ISO 9660
// are refused first.
func (o Options) workTree(dir, dst string) (string, error) {
	if err := checkSizes(dir); err != nil {
		return "", err
	}
	if o.Consume {
		return dir, nil
	}
	work, err := workspace(dir, dst)
	if err != nil {
		return "", err
	}
	if err := LinkTree(dir, work, nil); err != nil {
		os.RemoveAll(work)
		return "", err
	}
	return work, nil
}

// validate checks the options against the tree before anything is
// written.
func (o Options) validate(dir string) error {
	if !validLabel.MatchString(o.Label) {
		return fmt.Errorf("label %q is not 1-32 of A-Z, 0-9 and _", o.Label)
	}
	if o.BIOS != nil {
		if err := bootFile(dir, "BIOS loader", o.BIOS.Loader); err != nil {
			return err
		}
		if o.BIOS.MBRCode != nil && len(o.BIOS.MBRCode) != mbrCodeSize {
			return fmt.Errorf("isohybrid MBR code is %d bytes, want %d (isohdpfx.bin)",
				len(o.BIOS.MBRCode), mbrCodeSize)
		}
	}
	if o.EFI != nil {
		if err := bootFile(dir, "EFI image", o.EFI.Image); err != nil {
			return err
		}
	}
	return nil
}

// bootFile checks that the tree holds a non-empty regular file at the
// slash-separated path p.
func bootFile(dir, what, p string) error {
	if !fs.ValidPath(p) || p == "." {
		return fmt.Errorf("%s path %q is not a clean path relative to the tree", what, p)
	}
	fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return fmt.Errorf("%s %s is not a non-empty file", what, p)
	}
	return nil
}

// finalize has go-diskfs write the image of work (which it removes) into
// path, then fixes its times and owners, cuts it to its size and writes
// the system area.
func finalize(work, path string, o Options) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()

	sizes, err := bootSizes(work, o)
	if err != nil {
		return err
	}
	isofs, err := iso9660.Create(file.New(f, false), 0, 0, SectorSize, work)
	if err != nil {
		return fmt.Errorf("creating the file system: %w", err)
	}
	opts := iso9660.FinalizeOptions{RockRidge: true, VolumeIdentifier: o.Label,
		ElTorito: o.elTorito()}
	if err := isofs.Finalize(opts); err != nil {
		return fmt.Errorf("writing the file system: %w", err)
	}

	blocks, err := normalise(f, o.Time)
	if err != nil {
		return fmt.Errorf("fixing timestamps: %w", err)
	}
	if err := f.Truncate(blocks * SectorSize); err != nil {
		return err
	}
	if err := writeSystemArea(f, o, blocks, sizes); err != nil {
		return fmt.Errorf("writing the system area: %w", err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// bootSizes returns the sizes of the boot files, which go-diskfs keeps to
// itself, for the MBR: the loader's, then the EFI image's.
func bootSizes(work string, o Options) ([2]int64, error) {
	var sizes [2]int64
	for i, p := range o.bootPaths() {
		if p == "" {
			continue
		}
		fi, err := os.Stat(filepath.Join(work, filepath.FromSlash(p)))
		if err != nil {
			return sizes, err
		}
		sizes[i] = fi.Size()
	}
	return sizes, nil
}

// bootPaths returns the loader's and the EFI image's paths, empty when
// not set.
func (o Options) bootPaths() [2]string {
	var p [2]string
	if o.BIOS != nil {
		p[0] = o.BIOS.Loader
	}
	if o.EFI != nil {
		p[1] = o.EFI.Image
	}
	return p
}

// elTorito returns the boot catalog of o, or nil for a plain image. The
// BIOS entry comes first: it is the default entry, which a BIOS boots.
func (o Options) elTorito() *iso9660.ElTorito {
	if o.BIOS == nil && o.EFI == nil {
		return nil
	}
	et := &iso9660.ElTorito{BootCatalog: o.Catalog}
	if et.BootCatalog == "" {
		et.BootCatalog = DefaultCatalog
	}
	if o.BIOS != nil {
		e := &iso9660.ElToritoEntry{Platform: iso9660.BIOS, Emulation: iso9660.NoEmulation,
			BootFile: o.BIOS.Loader, BootTable: true}
		e.SetLoadSize(4)
		et.Entries = append(et.Entries, e)
	}
	if o.EFI != nil {
		et.Entries = append(et.Entries, &iso9660.ElToritoEntry{Platform: iso9660.EFI,
			Emulation: iso9660.NoEmulation, BootFile: o.EFI.Image})
	}
	return et
}

// LinkTree recreates the tree at src in dst of hard links (copies across
// file systems), leaving out the slash-separated paths for which skip,
// if set, says true (a folder with all below it). Only folders and
// regular files are taken: anything else is an error naming it. go-diskfs
// consumes the folder it writes from, so an image is written from such a
// mirror of the caller's tree.
func LinkTree(src, dst string, skip func(rel string) bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel != "." && skip != nil && skip(filepath.ToSlash(rel)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return atomicfile.Link(p, target, 0o644)
		}
		return fmt.Errorf("%s is neither a file nor a folder", p)
	})
}

// checkSizes refuses, naming it, the first file larger than MaxFileSize.
func checkSizes(src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > MaxFileSize {
			return fmt.Errorf("%s is %d bytes: ISO 9660 holds files below 4 GiB", p, fi.Size())
		}
		return nil
	})
}

// workspace makes go-diskfs's scratch folder beside dir, where hard
// links to dir's files work, or else beside dst.
// Its mode becomes the image's root folder mode through Rock Ridge, so it
// is opened to all: apt reads a repository image as its unprivileged _apt
// user, which a 0700 root (MkdirTemp's) would shut out.
func workspace(dir, dst string) (string, error) {
	work, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".iso-work-")
	if err != nil {
		if work, err = os.MkdirTemp(filepath.Dir(dst), ".iso-work-"); err != nil {
			return "", err
		}
	}
	return work, os.Chmod(work, 0o755)
}
