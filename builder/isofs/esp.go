package isofs

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat16"
)

// ESPLabel is the FAT volume label of the images MakeESP writes.
const ESPLabel = "KUBEXM_EFI"

// FAT16 sizes, as go-diskfs lays them out: a cluster per volume size
// (spcTable), 4 reserved sectors, a 512-entry root folder, and 4085 to
// 65524 clusters. FAT16 rather than FAT32 because the ESP of a medium is
// small: FAT32 needs 65525 clusters (33 MiB at least), and firmware that
// counts clusters, as the FAT specification says to, would take a smaller
// "FAT32" for a FAT16 and misread it.
const (
	fatOverhead  = (4 + 32) * diskSector // reserved sectors and root folder
	fatMinSize   = 4608 << 10            // 4.5 MiB: 4085 clusters of 1 KiB with room
	fatMaxSize   = 2 << 30
	fatMinMargin = 512 << 10
)

// spcTable maps the largest volume size of each cluster size.
var spcTable = []struct{ upTo, cluster int64 }{
	{32 << 20, 1 << 10}, {128 << 20, 2 << 10}, {256 << 20, 4 << 10},
	{512 << 20, 8 << 10}, {1 << 30, 16 << 10}, {2 << 30, 32 << 10},
}

// MakeESP writes a FAT image at dst that holds files, keyed by their path
// in the image ("EFI/BOOT/BOOTX64.EFI") with the file to copy there as
// value, for the EFI entry of a bootable image. The image is sized to its
// content with a small margin, every timestamp in it is t and its serial
// number derives from t, so the same files and t give the same bytes. It
// is written under a temporary name and renamed when complete.
func MakeESP(dst string, files map[string]string, t time.Time) (err error) {
	names, size, err := espContent(files)
	if err != nil {
		return fmt.Errorf("esp %s: %w", dst, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("esp %s: %w", dst, err)
	}

	tmp := dst + ".partial"
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := writeFAT(tmp, names, files, size, t); err != nil {
		return fmt.Errorf("esp %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("esp %s: %w", dst, err)
	}
	return nil
}

// espContent checks the image paths and source files, and returns the
// paths in order and the size of the image.
func espContent(files map[string]string) ([]string, int64, error) {
	if len(files) == 0 {
		return nil, 0, fmt.Errorf("no files to put in the image")
	}
	names := make([]string, 0, len(files))
	sizes := make([]int64, 0, len(files))
	for name, src := range files {
		if !fs.ValidPath(name) || name == "." {
			return nil, 0, fmt.Errorf("image path %q is not a clean relative path", name)
		}
		fi, err := os.Stat(src)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", name, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, 0, fmt.Errorf("%s: source %s is not a file", name, src)
		}
		names = append(names, name)
		sizes = append(sizes, fi.Size())
	}
	slices.Sort(names)
	size, err := fatSize(sizes, len(folders(names)))
	return names, size, err
}

// fatSize returns a FAT16 volume size that holds files of the given sizes
// and dirs folders, a multiple of the ISO block so its extent is whole.
func fatSize(sizes []int64, dirs int) (int64, error) {
	lower := int64(0)
	for _, row := range spcTable {
		clusters := int64(dirs)
		for _, s := range sizes {
			clusters += (s + row.cluster - 1) / row.cluster
		}
		data := clusters * row.cluster
		fats := 2 * ((clusters+2)*2 + diskSector - 1) / diskSector * diskSector
		total := fatOverhead + fats + data + max(data/64, fatMinMargin)
		total = max(total, fatMinSize, lower+diskSector)
		total = (total + SectorSize - 1) / SectorSize * SectorSize
		if total <= row.upTo {
			return total, nil
		}
		lower = row.upTo
	}
	return 0, fmt.Errorf("the files need more than the %d bytes of a FAT16 volume", int64(fatMaxSize))
}

// folders returns every folder above the names, parents first.
func folders(names []string) []string {
	var dirs []string
	for _, n := range names {
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	slices.Sort(dirs) // a parent sorts before its children
	return dirs
}

// writeFAT has go-diskfs write the volume at p, then fixes its times and
// serial number.
func writeFAT(p string, names []string, files map[string]string, size int64, t time.Time) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}

	fsys, err := fat16.Create(file.New(f, false), size, 0, diskSector, ESPLabel, true)
	if err != nil {
		return fmt.Errorf("creating the file system: %w", err)
	}
	for _, d := range folders(names) {
		if err := fsys.Mkdir("/" + d); err != nil {
			return fmt.Errorf("making folder %s: %w", d, err)
		}
	}
	for _, n := range names {
		if err := copyIn(fsys, n, files[n]); err != nil {
			return fmt.Errorf("copying %s to %s: %w", files[n], n, err)
		}
	}

	if err := normaliseFAT(f, t); err != nil {
		return fmt.Errorf("fixing timestamps: %w", err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// copyIn copies the file src to name in fsys.
func copyIn(fsys *fat16.FileSystem, name, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fsys.OpenFile("/"+name, os.O_CREATE|os.O_RDWR)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
