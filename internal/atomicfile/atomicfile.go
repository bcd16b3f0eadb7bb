// Package atomicfile writes files so that a reader, or a crash, never sees
// them half-written: the content goes to a temporary file beside the target,
// is synced, and is renamed over it.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes data to path with mode, atomically.
func Write(path string, data []byte, mode os.FileMode) error {
	return From(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Copy copies the file src to dst with mode, atomically.
func Copy(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return From(dst, mode, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// Link puts src at dst as a hard link, or as a copy with mode where a
// link cannot be made (another file system): how the caches and the staged
// trees share files without a second copy. dst is replaced whole, through
// a temporary name, never removed first; a dst that is src already is
// left alone.
func Link(src, dst string, mode os.FileMode) error {
	if a, err := os.Stat(src); err == nil {
		if b, err := os.Stat(dst); err == nil && os.SameFile(a, b) {
			return nil // renaming a second link of it over it would do nothing
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".partial-*")
	if err != nil {
		return fmt.Errorf("linking %s: %w", dst, err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	if err := os.Link(src, tmp.Name()); err != nil {
		return Copy(src, dst, mode)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("linking %s: %w", dst, err)
	}
	return nil
}

// From writes what fill writes to path with mode, atomically. The
// directory of path must exist. On any error nothing is left behind.
func From(path string, mode os.FileMode, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed

	err = fill(tmp)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
