// Package digest computes the SHA-256 of files, the one content check that
// downloads, the bundle and its unpacking all rest on.
package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// File returns the size and the lowercase hex SHA-256 of the file at path.
func File(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	n, sum, err := Reader(f)
	if err != nil {
		return 0, "", fmt.Errorf("reading %s: %w", path, err)
	}
	return n, sum, nil
}

// Reader returns the number of bytes read from r to its end and their
// lowercase hex SHA-256.
func Reader(r io.Reader) (int64, string, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Matches reports whether the file at path is a regular file with the
// given size (ignored when negative) and lowercase hex SHA-256.
func Matches(path string, size int64, sha256hex string) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || (size >= 0 && fi.Size() != size) {
		return false
	}
	n, sum, err := File(path)
	return err == nil && (size < 0 || n == size) && sum == sha256hex
}
