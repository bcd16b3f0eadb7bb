// Package newc writes the initramfs archives kubexm boots from: cpio in
// the "newc" format the kernel unpacks, compressed with xz. Everything
// that could differ between two builds of the same files is fixed here
// (order, times, owners, inode numbers), so the same input gives the same
// bytes.
package newc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cavaliergopher/cpio"
	"github.com/ulikunitz/xz"
)

// Entry is one file, folder or symbolic link of an archive.
type Entry struct {
	// Name is the path inside the archive, without a leading slash.
	Name string
	// Mode holds the permission bits; the type comes from the other fields.
	Mode fs.FileMode
	// Dir makes the entry a folder.
	Dir bool
	// Link, when set, makes the entry a symbolic link to Link.
	Link string
	// Data is a regular file's content.
	Data []byte
}

// File is a regular file entry.
func File(name string, mode fs.FileMode, data []byte) Entry {
	return Entry{Name: name, Mode: mode, Data: data}
}

// Dir is a folder entry.
func Dir(name string, mode fs.FileMode) Entry {
	return Entry{Name: name, Mode: mode, Dir: true}
}

// Symlink is a symbolic link entry.
func Symlink(name, target string) Entry {
	return Entry{Name: name, Mode: 0o777, Link: target}
}

// Write writes entries as one xz stream holding one cpio archive. Folders
// that entries need but do not list are added (mode 0755), names are
// sorted so parents come first, and every entry is owned by root with
// mtime set to epoch. The xz stream uses CRC32 checks: the kernel's xz
// decoder does not verify CRC64 unless built with it, and the kernel
// documentation asks for --check=crc32.
func Write(w io.Writer, entries []Entry, epoch time.Time) error {
	all, err := complete(entries)
	if err != nil {
		return err
	}

	cfg := xz.WriterConfig{CheckSum: xz.CRC32}
	zw, err := cfg.NewWriter(w)
	if err != nil {
		return fmt.Errorf("starting xz stream: %w", err)
	}
	cw := cpio.NewWriter(zw)
	for i, e := range all {
		if err := writeEntry(cw, e, int64(i+1), epoch); err != nil {
			return fmt.Errorf("writing %s to the initramfs: %w", e.Name, err)
		}
	}
	if err := cw.Close(); err != nil {
		return fmt.Errorf("closing cpio archive: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("closing xz stream: %w", err)
	}
	return nil
}

// complete cleans the names, refuses duplicates and adds missing parents,
// returning the entries sorted by name.
func complete(entries []Entry) ([]Entry, error) {
	byName := map[string]Entry{}
	for _, e := range entries {
		name := strings.TrimPrefix(path.Clean("/"+e.Name), "/")
		if name == "" {
			return nil, fmt.Errorf("initramfs entry %q: empty name", e.Name)
		}
		if _, dup := byName[name]; dup {
			return nil, fmt.Errorf("initramfs entry %s: given twice", name)
		}
		e.Name = name
		byName[name] = e
	}
	for name := range byName {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if _, ok := byName[dir]; !ok {
				byName[dir] = Dir(dir, 0o755)
			}
		}
	}

	out := make([]Entry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func writeEntry(cw *cpio.Writer, e Entry, inode int64, epoch time.Time) error {
	h := &cpio.Header{
		Name:    e.Name,
		Mode:    permBits(e.Mode),
		ModTime: epoch,
		Inode:   inode,
		Links:   1,
	}
	switch {
	case e.Dir:
		h.Mode |= cpio.TypeDir
		h.Links = 2
	case e.Link != "":
		h.Mode |= cpio.TypeSymlink
		h.Linkname = e.Link
		h.Size = int64(len(e.Link))
	default:
		h.Mode |= cpio.TypeReg
		h.Size = int64(len(e.Data))
	}
	if err := cw.WriteHeader(h); err != nil {
		return err
	}
	switch {
	case e.Link != "":
		_, err := io.WriteString(cw, e.Link)
		return err
	case !e.Dir:
		_, err := cw.Write(e.Data)
		return err
	}
	return nil
}

// permBits maps Go's mode bits to cpio's: the permissions and the
// set-user-ID, set-group-ID and sticky bits.
func permBits(m fs.FileMode) cpio.FileMode {
	p := cpio.FileMode(m.Perm())
	if m&fs.ModeSetuid != 0 {
		p |= cpio.ModeSetuid
	}
	if m&fs.ModeSetgid != 0 {
		p |= cpio.ModeSetgid
	}
	if m&fs.ModeSticky != 0 {
		p |= cpio.ModeSticky
	}
	return p
}

// Epoch is the modification time of every entry: SOURCE_DATE_EPOCH when
// set (the reproducible-builds convention), else the Unix epoch.
func Epoch() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}

// CheckCRC32 reports whether data starts with an xz stream header whose
// check type is CRC32, the check the kernel's decoder verifies.
func CheckCRC32(data []byte) error {
	magic := []byte{0xfd, '7', 'z', 'X', 'Z', 0}
	if len(data) < 12 || !bytes.Equal(data[:6], magic) {
		return errors.New("not an xz stream")
	}
	// Stream flags: a zero byte, then the check type (1 is CRC32).
	if data[6] != 0 || data[7] != 0x01 {
		return fmt.Errorf("xz stream check type %#x, want CRC32 (0x01)", data[7])
	}
	return nil
}
