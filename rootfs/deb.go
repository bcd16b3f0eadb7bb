package rootfs

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// debFile is one member of a .deb's data archive, handed to a walk.
type debFile struct {
	// Name is the path in the package, without the leading "./".
	Name string
	Size int64
	// Body reads the file's content; it is valid until the walk's
	// callback returns.
	Body io.Reader
}

// walkDeb streams the data archive of the .deb at path (an ar archive
// whose data.tar is plain or compressed with xz, zstd or gzip) and calls
// fn for each regular file, in archive order, without unpacking anything
// to disk.
func walkDeb(path string, fn func(debFile) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening package: %w", err)
	}
	defer f.Close()

	member, body, err := findData(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	data, closeData, err := decompress(member, body)
	if err != nil {
		return fmt.Errorf("reading %s of %s: %w", member, path, err)
	}
	defer closeData()

	tr := tar.NewReader(data)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s of %s: %w", member, path, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")
		if err := fn(debFile{Name: name, Size: h.Size, Body: tr}); err != nil {
			return err
		}
	}
}

// findData reads ar member headers up to the data archive and returns its
// name and a reader limited to its content.
func findData(r io.Reader) (string, io.Reader, error) {
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "!<arch>\n" {
		return "", nil, errors.New("not a Debian package (no ar archive header)")
	}
	for {
		var hdr [60]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return "", nil, errors.New("no data.tar member in the package")
		}
		name := strings.TrimSuffix(strings.TrimSpace(string(hdr[0:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 || string(hdr[58:60]) != "`\n" {
			return "", nil, fmt.Errorf("broken ar header of member %q", name)
		}
		if strings.HasPrefix(name, "data.tar") {
			return name, io.LimitReader(r, size), nil
		}
		// Members are padded to an even size.
		if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
			return "", nil, fmt.Errorf("skipping member %s: %w", name, err)
		}
	}
}

// decompress picks the data archive's decompressor by its name.
func decompress(member string, r io.Reader) (io.Reader, func(), error) {
	switch member {
	case "data.tar":
		return r, func() {}, nil
	case "data.tar.xz":
		zr, err := xz.NewReader(r)
		return zr, func() {}, err
	case "data.tar.zst":
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	case "data.tar.gz":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	}
	return nil, nil, fmt.Errorf("unknown compression of the data member %s", member)
}

// readModuleFile reads a module's content, undoing the compression that
// its name shows (.ko.xz, .ko.zst, .ko.gz), so that the kernel loading it
// needs no in-kernel module decompression.
func readModuleFile(name string, r io.Reader) ([]byte, error) {
	var zr io.Reader
	switch {
	case strings.HasSuffix(name, ".ko"):
		zr = r
	case strings.HasSuffix(name, ".ko.xz"):
		x, err := xz.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("decompressing %s: %w", name, err)
		}
		zr = x
	case strings.HasSuffix(name, ".ko.zst"):
		z, err := zstd.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("decompressing %s: %w", name, err)
		}
		defer z.Close()
		zr = z
	case strings.HasSuffix(name, ".ko.gz"):
		g, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("decompressing %s: %w", name, err)
		}
		defer g.Close()
		zr = g
	default:
		return nil, fmt.Errorf("%s is not a kernel module file", name)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return data, nil
}

// isModule reports whether a package path is a kernel module file.
func isModule(name string) bool {
	return moduleStem(name) != ""
}

// moduleStem is name without its .ko suffix (and compression suffix), or
// "" for another kind of file.
func moduleStem(name string) string {
	for _, ext := range []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"} {
		if s, ok := strings.CutSuffix(name, ext); ok {
			return s
		}
	}
	return ""
}
