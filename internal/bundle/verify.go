package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/kubexm/kubexm/internal/digest"
)

// Problem is one way a bundle differs from its manifest.
type Problem struct {
	Path string `json:"path"` // inside the tree
	Kind string `json:"kind"` // missing, extra or corrupt
	// Detail says what differs, for a corrupt file.
	Detail string `json:"detail,omitempty"`
}

func (p Problem) String() string {
	s := p.Kind + " " + path.Join(Dir, p.Path)
	if p.Detail != "" {
		s += " (" + p.Detail + ")"
	}
	return s
}

// ProblemsError is a bundle whose content does not match its manifest.
type ProblemsError struct {
	Bundle   string
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	var lines []string
	for _, p := range e.Problems {
		lines = append(lines, "  "+p.String())
	}
	return fmt.Sprintf("bundle %s: %d file(s) do not match its manifest:\n%s", e.Bundle,
		len(e.Problems), strings.Join(lines, "\n"))
}

// Verify reads the bundle tarball at name and checks every file against
// its manifest: each file listed must be there with its size and SHA-256,
// and nothing else may be. It returns the manifest, and a *ProblemsError
// naming each missing, extra or corrupt file; other errors are a tarball
// that cannot be read (truncated, unsafe entries, no manifest).
func Verify(ctx context.Context, name string) (*Manifest, error) {
	r, err := openBundle(ctx, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()

	var problems []Problem
	seen := map[string]bool{}
	for {
		e, err := r.next()
		if errors.Is(err, io.EOF) {
			if err := r.finish(); err != nil {
				return nil, err
			}
			break
		}
		if err != nil {
			return nil, err
		}
		if e.dir {
			continue
		}
		if p, ok, err := r.check(e, seen, nil); err != nil {
			return nil, err
		} else if !ok {
			problems = append(problems, p)
		}
	}

	problems = append(problems, missing(r.manifest, seen)...)
	if len(problems) > 0 {
		return r.manifest, &ProblemsError{Bundle: name, Problems: problems}
	}
	return r.manifest, nil
}

// check reads the current entry (copying it to w if set) and compares it
// with the manifest.
func (r *reader) check(e entry, seen map[string]bool, w io.Writer) (Problem, bool, error) {
	want, listed := r.manifest.lookup(e.rel)
	if seen[e.rel] {
		return Problem{Path: e.rel, Kind: "extra", Detail: "a second copy"}, false, nil
	}
	seen[e.rel] = true
	sum, err := r.hashEntry(e.rel, w)
	if err != nil {
		return Problem{}, false, err
	}

	p, ok := compare(e.rel, e.size, sum, want, listed)
	return p, ok, nil
}

// compare says how a file of size and sum at rel differs from the
// manifest's entry want (listed false: there is none).
func compare(rel string, size int64, sum string, want File, listed bool) (Problem, bool) {
	switch {
	case !listed:
		return Problem{Path: rel, Kind: "extra", Detail: "not in the manifest"}, false
	case size != want.Size:
		return Problem{Path: rel, Kind: "corrupt", Detail: fmt.Sprintf("%d bytes, "+
			"manifest says %d", size, want.Size)}, false
	case sum != want.SHA256:
		return Problem{Path: rel, Kind: "corrupt", Detail: fmt.Sprintf("sha256 %s, "+
			"manifest says %s", sum, want.SHA256)}, false
	}
	return Problem{}, true
}

// VerifyFS checks a tree that is not a tarball (unpacked, or on a mounted
// ISO) against the manifest.json at its root, as Verify does: name says
// what the tree is, for messages. Links and other non-regular files are
// problems too, since a bundle holds regular files only.
func VerifyFS(ctx context.Context, name string, fsys fs.FS) (*Manifest, error) {
	data, err := fs.ReadFile(fsys, ManifestName)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", name, err)
	}
	m, err := DecodeManifest(data)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", name, err)
	}

	var problems []Problem
	seen := map[string]bool{}
	err = fs.WalkDir(fsys, ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case d.IsDir() || rel == ManifestName:
			return nil
		case !d.Type().IsRegular():
			problems = append(problems, Problem{Path: rel, Kind: "extra",
				Detail: "not a regular file"})
			return nil
		}
		seen[rel] = true
		size, sum, err := hashFS(fsys, rel)
		if err != nil {
			return fmt.Errorf("reading %s: %w", rel, err)
		}
		want, listed := m.lookup(rel)
		if p, ok := compare(rel, size, sum, want, listed); !ok {
			problems = append(problems, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", name, err)
	}
	problems = append(problems, missing(m, seen)...)
	if len(problems) > 0 {
		return m, &ProblemsError{Bundle: name, Problems: problems}
	}
	return m, nil
}

func hashFS(fsys fs.FS, rel string) (int64, string, error) {
	f, err := fsys.Open(rel)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	return digest.Reader(f)
}

func missing(m *Manifest, seen map[string]bool) []Problem {
	var out []Problem
	for _, f := range m.Files {
		if !seen[f.Path] {
			out = append(out, Problem{Path: f.Path, Kind: "missing"})
		}
	}
	return out
}
