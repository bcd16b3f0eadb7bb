package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"

	"github.com/kubexm/kubexm/internal/atomicfile"
)

// Compression is how a tarball is compressed.
type Compression string

// The compressions Pack writes and every reader reads.
const (
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
)

// PackOptions control Pack.
type PackOptions struct {
	// Compression is Gzip (the default) or Zstd.
	Compression Compression
	// ModTime is the time every entry carries, so that the same tree packs
	// to the same bytes. See SourceDateEpoch.
	ModTime time.Time
	// Origins describe files beyond their content, for the manifest.
	Origins map[string]Origin
	// Exclude names top-level entries of the tree to leave out, such as
	// the logs and resume record of the run that builds the bundle.
	Exclude []string
	// Progress, if set, is called after each file with the bytes of file
	// content written so far and the total.
	Progress func(done, total int64)
}

// SourceDateEpoch returns the time in $SOURCE_DATE_EPOCH (seconds since
// 1970), the reproducible-builds convention, or fallback when it is unset.
func SourceDateEpoch(fallback time.Time) (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return fallback, nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds", v)
	}
	return time.Unix(secs, 0).UTC(), nil
}

// Pack writes the tree at dir (a .kubexm directory) to the tarball out:
// the manifest first, then every entry in path order, owned by root and
// stamped with ModTime. It writes a fresh manifest.json into dir, then the
// tarball to a temporary name beside out, renamed to out only once
// complete. Memory use does not grow with the tree: files are streamed.
func Pack(ctx context.Context, dir, out string, opts PackOptions) error {
	m, data, err := WriteManifest(dir, opts.Origins, opts.Exclude...)
	if err != nil {
		return err
	}
	// atomicfile names out in its errors and leaves nothing on failure.
	return atomicfile.From(out, 0o644, func(w io.Writer) error {
		return writeTarball(ctx, w, dir, m, data, opts)
	})
}

// WriteManifest builds the manifest of the tree at dir (as BuildManifest)
// and writes it into the tree as manifest.json, the mark of a complete
// tree, for a tarball or an image to carry. It returns the manifest and
// its encoding.
func WriteManifest(dir string, origins map[string]Origin, exclude ...string) (*Manifest, []byte,
	error) {
	m, err := BuildManifest(dir, origins, exclude...)
	if err != nil {
		return nil, nil, err
	}
	data, err := m.Encode()
	if err != nil {
		return nil, nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, ManifestName), data, 0o644); err != nil {
		return nil, nil, err
	}
	return m, data, nil
}

// writeTarball streams the compressed tar of the tree to w.
func writeTarball(ctx context.Context, w io.Writer, dir string, m *Manifest, manifest []byte,
	opts PackOptions) error {

	zw, err := compressor(w, opts.Compression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	p := &packer{ctx: ctx, tw: tw, mtime: opts.ModTime.UTC().Truncate(time.Second),
		progress: opts.Progress, exclude: opts.Exclude}
	for _, f := range m.Files {
		p.total += f.Size
	}

	if err := p.header(Dir+"/", tar.TypeDir, 0o755, 0); err != nil {
		return err
	}
	if err := p.file(path.Join(Dir, ManifestName), 0o644, int64(len(manifest)),
		bytes.NewReader(manifest)); err != nil {
		return err
	}
	if err := p.tree(dir); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func compressor(w io.Writer, c Compression) (io.WriteCloser, error) {
	switch c {
	case Gzip, "":
		// pgzip compresses 1 MiB blocks on every core and writes them in
		// order, so its output is the same on any machine.
		return pgzip.NewWriterLevel(w, pgzip.DefaultCompression)
	case Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
	}
	return nil, fmt.Errorf("compression %q: want gzip or zstd", c)
}

// packer writes tar entries with the fixed owner and time.
type packer struct {
	ctx         context.Context
	tw          *tar.Writer
	mtime       time.Time
	done, total int64
	progress    func(done, total int64)
	exclude     []string
}

// tree writes the entries under dir in path order, the manifest left out
// (it was written first).
func (p *packer) tree(dir string) error {
	return filepath.WalkDir(dir, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := p.ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, fp)
		rel = filepath.ToSlash(rel)
		if rel == "." || rel == ManifestName {
			return nil
		}
		if excluded(rel, p.exclude) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}

		name := path.Join(Dir, rel)
		if d.IsDir() {
			return p.header(name+"/", tar.TypeDir, 0o755, 0)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return p.copyFile(fp, name, info)
	})
}

func (p *packer) copyFile(fp, name string, info fs.FileInfo) error {
	f, err := os.Open(fp)
	if err != nil {
		return err
	}
	defer f.Close()

	mode := int64(0o644)
	if info.Mode()&0o111 != 0 {
		mode = 0o755 // keep programs runnable
	}
	return p.file(name, mode, info.Size(), &ctxReader{ctx: p.ctx, r: f})
}

func (p *packer) file(name string, mode, size int64, r io.Reader) error {
	if err := p.header(name, tar.TypeReg, mode, size); err != nil {
		return err
	}
	n, err := io.Copy(p.tw, r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("%s: changed while being packed (%d bytes, not %d)", name, n, size)
	}
	p.done += n
	if p.progress != nil {
		p.progress(p.done, p.total)
	}
	return nil
}

func (p *packer) header(name string, typ byte, mode, size int64) error {
	return p.tw.WriteHeader(&tar.Header{
		Typeflag: typ, Name: name, Mode: mode, Size: size, ModTime: p.mtime,
		Format: tar.FormatPAX,
	})
}

// ctxReader ends a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}
