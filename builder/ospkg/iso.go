package ospkg

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
)

// VolumeLabel is the ISO 9660 volume identifier of the OS-package images,
// so a host can find the medium with blkid or /dev/disk/by-label.
const VolumeLabel = "KUBEXM_OS"

// sectorSize is the ISO 9660 logical block size.
const sectorSize = 2048

var validLabel = regexp.MustCompile(`^[A-Z0-9_]{1,32}$`)

// PackISO writes the tree at dir as an ISO 9660 image with Rock Ridge
// names and modes at dst, labelled label. The image is as large as its
// content, every timestamp in it is t, and owners are root, so the same
// tree and t give the same bytes. It is written under a temporary name
// and renamed when complete; dir is left as it was.
func PackISO(dir, dst, label string, t time.Time) (err error) {
	if !validLabel.MatchString(label) {
		return fmt.Errorf("iso %s: label %q is not 1-32 of A-Z, 0-9 and _", dst, label)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("iso %s: %w", dst, err)
	}
	work, err := workspace(dir, dst)
	if err != nil {
		return fmt.Errorf("iso %s: %w", dst, err)
	}
	defer os.RemoveAll(work)
	if err := mirrorTree(dir, work); err != nil {
		return fmt.Errorf("iso %s: staging %s: %w", dst, dir, err)
	}

	tmp := dst + ".partial"
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := finalizeISO(work, tmp, label, t); err != nil {
		return fmt.Errorf("iso %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("iso %s: %w", dst, err)
	}
	return nil
}

// finalizeISO has go-diskfs write the image of work (which it removes)
// into path, then fixes its times and owners and cuts it to its size.
func finalizeISO(work, path, label string, t time.Time) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()

	isofs, err := iso9660.Create(file.New(f, false), 0, 0, sectorSize, work)
	if err != nil {
		return fmt.Errorf("creating the file system: %w", err)
	}
	opts := iso9660.FinalizeOptions{RockRidge: true, VolumeIdentifier: label}
	if err := isofs.Finalize(opts); err != nil {
		return fmt.Errorf("writing the file system: %w", err)
	}

	blocks, err := normalise(f, t)
	if err != nil {
		return fmt.Errorf("fixing timestamps: %w", err)
	}
	if err := f.Truncate(blocks * sectorSize); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// mirrorTree recreates src's folders in dst and hard-links (or copies)
// its files there: go-diskfs consumes its workspace.
func mirrorTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return linkOrCopy(p, target)
		}
		return fmt.Errorf("%s is neither a file nor a folder", p)
	})
}

// workspace makes go-diskfs's scratch folder beside dir, where hard
// links to dir's files work, or else beside dst.
// Its mode becomes the image's root folder mode through Rock Ridge, so it
// is opened to all: apt reads the repository as its unprivileged _apt
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
