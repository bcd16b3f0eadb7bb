package mirror

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// layerFile is one file of an image layer: read from src, or given as data.
type layerFile struct {
	path string // absolute path in the image
	src  string
	data []byte
	mode int64
}

// layerSpec is what one layer holds: a tree copied whole (the Debian userland), or files.
type layerSpec struct {
	tree  string
	files []layerFile
}

// layer turns s into an image layer. Its tar stream is made anew each time the layer is
// read, with fixed times and sorted names, so that the same inputs give the same digest.
func (s layerSpec) layer() (v1.Layer, error) {
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		r, w := io.Pipe()
		go func() { w.CloseWithError(s.write(w)) }()
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("making an image layer: %w", err)
	}
	return l, nil
}

func (s layerSpec) write(w io.Writer) error {
	tw := tar.NewWriter(w)
	if s.tree != "" {
		if err := writeTree(tw, s.tree); err != nil {
			return err
		}
	}

	written := map[string]bool{}
	for _, f := range s.files {
		if err := writeParents(tw, f.path, written); err != nil {
			return err
		}
		if err := writeLayerFile(tw, f); err != nil {
			return err
		}
	}
	return tw.Close()
}

// writeParents writes the folders above p that the layer does not have yet.
func writeParents(tw *tar.Writer, p string, written map[string]bool) error {
	var dirs []string
	for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
		dirs = append(dirs, d)
	}

	slices.Reverse(dirs)
	for _, d := range dirs {
		if written[d] {
			continue
		}
		written[d] = true
		hdr := &tar.Header{Name: strings.TrimPrefix(d, "/") + "/", Mode: 0o755,
			Typeflag: tar.TypeDir, ModTime: epoch}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing folder %s into a layer: %w", d, err)
		}
	}
	return nil
}

func writeLayerFile(tw *tar.Writer, f layerFile) error {
	data := f.data
	if f.src != "" {
		var err error
		if data, err = os.ReadFile(f.src); err != nil {
			return fmt.Errorf("reading %s for an image layer: %w", f.src, err)
		}
	}

	hdr := &tar.Header{Name: strings.TrimPrefix(f.path, "/"), Mode: f.mode,
		Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: epoch}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing %s into a layer: %w", f.path, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("writing %s into a layer: %w", f.path, err)
	}
	return nil
}

// writeTree writes every folder, file and link under root, as they are, owned by root.
func writeTree(tw *tar.Writer, root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}

		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("reading %s for an image layer: %w", p, err)
		}
		return writeTreeEntry(tw, p, filepath.ToSlash(rel), fi)
	})
}

func writeTreeEntry(tw *tar.Writer, p, name string, fi fs.FileInfo) error {
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(p); err != nil {
			return fmt.Errorf("reading link %s: %w", p, err)
		}
	}

	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("describing %s for an image layer: %w", p, err)
	}
	hdr.Name, hdr.ModTime = name, epoch
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	if fi.IsDir() {
		hdr.Name += "/"
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing %s into a layer: %w", name, err)
	}

	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("opening %s for an image layer: %w", p, err)
	}
	defer f.Close()

	_, err = io.Copy(tw, f)
	return err
}
