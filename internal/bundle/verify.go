package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
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

	switch {
	case !listed:
		return Problem{Path: e.rel, Kind: "extra", Detail: "not in the manifest"}, false, nil
	case e.size != want.Size:
		return Problem{Path: e.rel, Kind: "corrupt", Detail: fmt.Sprintf("%d bytes, "+
			"manifest says %d", e.size, want.Size)}, false, nil
	case sum != want.SHA256:
		return Problem{Path: e.rel, Kind: "corrupt", Detail: fmt.Sprintf("sha256 %s, "+
			"manifest says %s", sum, want.SHA256)}, false, nil
	}
	return Problem{}, true, nil
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
