package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/internal/digest"
)

// UnpackStats says what Unpack did.
type UnpackStats struct {
	Written int // files extracted
	Kept    int // files already there and verified, left as they were
}

// Unpack extracts the bundle tarball at name into parent/.kubexm, checking
// every file against the manifest as it is written. It refuses entries that
// would land outside the tree, links and special files before writing them.
// A file is written under a temporary name and renamed only once its
// checksum matches; a file already there with the right checksum is kept,
// so a second run is cheap. The manifest is written last: a tree without
// one is incomplete, and one with it matches it.
func Unpack(ctx context.Context, name, parent string) (UnpackStats, error) {
	var stats UnpackStats
	r, err := openBundle(ctx, name)
	if err != nil {
		return stats, err
	}
	defer r.Close()

	root := filepath.Join(parent, Dir)
	// An earlier, interrupted unpack must not look complete while this one
	// runs: the manifest is the mark of a complete tree.
	if err := os.Remove(filepath.Join(root, ManifestName)); err != nil && !os.IsNotExist(err) {
		return stats, fmt.Errorf("unpacking %s: %w", name, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return stats, fmt.Errorf("unpacking %s: %w", name, err)
	}

	seen := map[string]bool{}
	for {
		e, err := r.next()
		if errors.Is(err, io.EOF) {
			if err := r.finish(); err != nil {
				return stats, err
			}
			break
		}
		if err != nil {
			return stats, err
		}
		if err := r.extract(root, e, seen, &stats); err != nil {
			return stats, err
		}
	}

	if gone := missing(r.manifest, seen); len(gone) > 0 {
		return stats, &ProblemsError{Bundle: name, Problems: gone}
	}
	return stats, atomicfile.Write(filepath.Join(root, ManifestName), r.raw, 0o644)
}

// extract writes one entry under root, or keeps the copy already there.
func (r *reader) extract(root string, e entry, seen map[string]bool, stats *UnpackStats) error {
	dst := filepath.Join(root, filepath.FromSlash(e.rel))
	if e.dir {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return fmt.Errorf("unpacking %s: %w", r.name, err)
		}
		return nil
	}

	// Refuse what the manifest does not list, or lists at another size,
	// before writing a byte of it.
	want, listed := r.manifest.lookup(e.rel)
	switch {
	case seen[e.rel]:
		return &ProblemsError{Bundle: r.name, Problems: []Problem{
			{Path: e.rel, Kind: "extra", Detail: "a second copy"}}}
	case !listed:
		return &ProblemsError{Bundle: r.name, Problems: []Problem{
			{Path: e.rel, Kind: "extra", Detail: "not in the manifest"}}}
	case e.size != want.Size:
		return &ProblemsError{Bundle: r.name, Problems: []Problem{{Path: e.rel,
			Kind: "corrupt", Detail: fmt.Sprintf("%d bytes, manifest says %d", e.size, want.Size)}}}
	}
	if digest.Matches(dst, want.Size, want.SHA256) {
		seen[e.rel] = true
		stats.Kept++
		if err := os.Chmod(dst, modeOf(e)); err != nil {
			return fmt.Errorf("unpacking %s: %w", r.name, err)
		}
		_, err := io.Copy(io.Discard, r.tr)
		return r.readErrorIf(e.rel, err)
	}

	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("unpacking %s: %w", r.name, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".partial-*")
	if err != nil {
		return fmt.Errorf("unpacking %s: %w", r.name, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed

	p, ok, err := r.check(e, seen, tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("unpacking %s: writing %s: %w", r.name, dst, cerr)
	}
	if err != nil {
		return err
	}
	if !ok {
		return &ProblemsError{Bundle: r.name, Problems: []Problem{p}}
	}
	if err := os.Chmod(tmp.Name(), modeOf(e)); err != nil {
		return fmt.Errorf("unpacking %s: %w", r.name, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("unpacking %s: %w", r.name, err)
	}
	stats.Written++
	return nil
}

// modeOf is the mode an extracted file gets: programs stay runnable.
func modeOf(e entry) os.FileMode {
	if e.exec {
		return 0o755
	}
	return 0o644
}

func (r *reader) readErrorIf(rel string, err error) error {
	if err == nil {
		return nil
	}
	return r.readError(rel, err)
}
