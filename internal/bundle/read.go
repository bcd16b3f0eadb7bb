package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// maxManifest bounds the manifest read into memory: a bundle of a million
// files has a manifest of about 300 MB; anything larger is not ours.
const maxManifest = 512 << 20

// reader walks the entries of a bundle tarball, checking each name and kind
// before the caller sees it, with the manifest (the first file) decoded.
type reader struct {
	name     string // the tarball's path, for errors
	f        *os.File
	zr       io.ReadCloser
	tr       *tar.Reader
	manifest *Manifest
	raw      []byte // the manifest as stored
}

// entry is a checked tar entry: its path inside the tree ("" for the
// tree's own directory) and whether it is a directory.
type entry struct {
	rel  string
	dir  bool
	size int64
	exec bool // a program: extracted runnable
}

func openBundle(ctx context.Context, name string) (*reader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	r := &reader{name: name, f: f}
	if err := r.init(ctx); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *reader) init(ctx context.Context) error {
	br := bufio.NewReaderSize(&ctxReader{ctx: ctx, r: r.f}, 1<<20)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := pgzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("bundle %s: %w", r.name, err)
		}
		r.zr = zr
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return fmt.Errorf("bundle %s: %w", r.name, err)
		}
		r.zr = zr.IOReadCloser()
	default:
		return fmt.Errorf("bundle %s: neither gzip nor zstd compressed", r.name)
	}
	r.tr = tar.NewReader(r.zr)
	return r.readManifest()
}

// readManifest reads the entries up to the manifest, which must come
// before any other file.
func (r *reader) readManifest() error {
	for {
		e, err := r.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("bundle %s: no %s", r.name, ManifestName)
			}
			return err
		}
		if e.dir {
			continue
		}
		if e.rel != ManifestName {
			return fmt.Errorf("bundle %s: %s must be the first file, found %s first", r.name,
				ManifestName, path.Join(Dir, e.rel))
		}
		data, err := io.ReadAll(io.LimitReader(r.tr, maxManifest+1))
		if err != nil {
			return r.readError(ManifestName, err)
		}
		if len(data) > maxManifest {
			return fmt.Errorf("bundle %s: %s larger than %d MiB", r.name, ManifestName,
				maxManifest>>20)
		}
		m, err := DecodeManifest(data)
		if err != nil {
			return fmt.Errorf("bundle %s: %w", r.name, err)
		}
		r.manifest, r.raw = m, data
		return nil
	}
}

// next returns the next entry, refusing names outside the tree and any
// kind but directories and regular files.
func (r *reader) next() (entry, error) {
	h, err := r.tr.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return entry{}, io.EOF
		}
		return entry{}, r.readError("", err)
	}
	name := strings.TrimSuffix(h.Name, "/")
	rel, ok := strings.CutPrefix(name, Dir+"/")
	if name == Dir {
		rel, ok = "", true
	}
	if !ok {
		return entry{}, fmt.Errorf("bundle %s: entry %q is outside %s/", r.name, h.Name, Dir)
	}
	if rel != "" {
		if _, err := cleanPath(rel); err != nil {
			return entry{}, fmt.Errorf("bundle %s: entry %q: %w", r.name, h.Name, err)
		}
	}

	switch h.Typeflag {
	case tar.TypeDir:
		return entry{rel: rel, dir: true}, nil
	case tar.TypeReg:
		return entry{rel: rel, size: h.Size, exec: h.Mode&0o111 != 0}, nil
	case tar.TypeSymlink, tar.TypeLink:
		return entry{}, fmt.Errorf("bundle %s: entry %q is a link to %q: %s", r.name, h.Name,
			h.Linkname, linkVerdict(rel, h.Linkname))
	default:
		return entry{}, fmt.Errorf("bundle %s: entry %q is a device, FIFO or other special "+
			"file (type %q); a bundle holds regular files only", r.name, h.Name, h.Typeflag)
	}
}

// linkVerdict says why a link is refused.
func linkVerdict(rel, target string) string {
	resolved := path.Join(path.Dir(rel), target)
	if path.IsAbs(target) || resolved == ".." || strings.HasPrefix(resolved, "../") {
		return "it points outside the bundle"
	}
	return "a bundle holds regular files only"
}

// finish reads the compressed stream to its end after the tar's last
// entry, so that a cut or damaged trailer (gzip's CRC and length) is found
// even when every entry read whole.
func (r *reader) finish() error {
	if _, err := io.Copy(io.Discard, r.zr); err != nil {
		return r.readError("", err)
	}
	return nil
}

// hashEntry reads the current entry to its end, copying it to w if set,
// and returns its SHA-256.
func (r *reader) hashEntry(rel string, w io.Writer) (string, error) {
	h := sha256.New()
	dst := io.Writer(h)
	if w != nil {
		dst = io.MultiWriter(h, w)
	}
	if _, err := io.Copy(dst, r.tr); err != nil {
		return "", r.readError(rel, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readError names a failure to read the tarball, telling a cut-off file
// from other damage.
func (r *reader) readError(rel string, err error) error {
	at := ""
	if rel != "" {
		at = " at " + path.Join(Dir, rel)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("bundle %s: truncated%s: the file ends early (an incomplete copy?)",
			r.name, at)
	}
	return fmt.Errorf("bundle %s: reading%s: %w", r.name, at, err)
}

// Close releases the tarball.
func (r *reader) Close() error {
	if r.zr != nil {
		r.zr.Close()
	}
	return r.f.Close()
}
