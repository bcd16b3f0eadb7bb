package mirror

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// epoch is the modification time of every file the mirror packs, so that a rebuilt archive
// is the same archive.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// member is one file of an archive: its name inside, and the file it is read from.
type member struct {
	name string
	src  string
	mode int64
}

// writeTarGz packs members into a gzip-compressed tar file at dst, atomically.
func writeTarGz(dst string, members []member) error {
	return writeAtomic(dst, func(w io.Writer) error {
		zw := gzip.NewWriter(w)
		tw := tar.NewWriter(zw)
		for _, m := range members {
			if err := addMember(tw, m); err != nil {
				return err
			}
		}

		if err := tw.Close(); err != nil {
			return fmt.Errorf("closing tar stream: %w", err)
		}
		return zw.Close()
	})
}

func addMember(tw *tar.Writer, m member) error {
	f, err := os.Open(m.src)
	if err != nil {
		return fmt.Errorf("opening %s for the archive: %w", m.src, err)
	}
	defer f.Close()

	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading size of %s: %w", m.src, err)
	}
	hdr := &tar.Header{Name: m.name, Mode: m.mode, Size: fi.Size(), ModTime: epoch,
		Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing tar header of %s: %w", m.name, err)
	}

	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("packing %s: %w", m.src, err)
	}
	return nil
}

// copyFile copies src to dst, atomically, keeping it executable.
func copyFile(dst, src string) error {
	err := writeAtomic(dst, func(w io.Writer) error {
		f, err := os.Open(src)
		if err != nil {
			return fmt.Errorf("opening %s: %w", src, err)
		}
		defer f.Close()

		_, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		return err
	}
	return os.Chmod(dst, 0o755)
}

// writeAtomic writes dst through fill into a temporary file that is renamed to dst once it
// is whole, so that an interrupted run leaves no truncated file for the next to serve.
func writeAtomic(dst string, fill func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("creating folder of %s: %w", dst, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	defer os.Remove(tmp.Name())

	if err := fill(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("setting mode of %s: %w", dst, err)
	}
	return os.Rename(tmp.Name(), dst)
}

// sha256File returns the hexadecimal SHA-256 digest of the file at name.
func sha256File(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("opening %s for its checksum: %w", name, err)
	}
	defer f.Close()

	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s for its checksum: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
