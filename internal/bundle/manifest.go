package bundle

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/kubexm/kubexm/internal/digest"
)

// ManifestVersion is the version of the manifest's format.
const ManifestVersion = 1

// Manifest lists every file of a bundle but itself.
type Manifest struct {
	Version int    `json:"version"`
	Files   []File `json:"files"` // sorted by path
}

// File is one file of the bundle: where it is, what it holds, and where it
// came from.
type File struct {
	Path      string `json:"path"` // inside the tree, slash-separated
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Source    string `json:"source,omitempty"` // URL or image reference it was fetched from
	Component string `json:"component,omitempty"`
	Version   string `json:"version,omitempty"`
	Arch      string `json:"arch,omitempty"`
}

// Origin is what the collection modules know of a file beyond its content.
type Origin struct {
	Source, Component, Version, Arch string
}

// BuildManifest hashes every regular file under dir (the .kubexm tree, the
// manifest itself and the top-level entries named in exclude left out) and
// describes it with its origin, or with what its path says when no origin
// was recorded. Links and devices are refused: a bundle holds regular files
// only.
func BuildManifest(dir string, origins map[string]Origin, exclude ...string) (*Manifest, error) {
	m := &Manifest{Version: ManifestVersion, Files: []File{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case excluded(rel, exclude):
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: not a regular file; a bundle holds regular files only", p)
		case rel == ManifestName:
			return nil
		}

		f, err := describe(p, rel, origins)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("building the manifest of %s: %w", dir, err)
	}
	slices.SortFunc(m.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return m, nil
}

// excluded reports whether rel is, or is below, a top-level name in exclude.
func excluded(rel string, exclude []string) bool {
	top, _, _ := strings.Cut(rel, "/")
	return slices.Contains(exclude, top)
}

func describe(p, rel string, origins map[string]Origin) (File, error) {
	size, sum, err := digest.File(p)
	if err != nil {
		return File{}, err
	}
	o, ok := origins[rel]
	if !ok {
		o = originFromPath(rel)
	}
	return File{Path: rel, Size: size, SHA256: sum, Source: o.Source, Component: o.Component,
		Version: o.Version, Arch: o.Arch}, nil
}

// originFromPath reads component, version and arch from a path of the
// layout, for files whose module recorded nothing more.
func originFromPath(rel string) Origin {
	el := strings.Split(rel, "/")
	switch {
	case el[0] == ImagesDir:
		return Origin{Component: ImagesDir}
	case el[0] == "helm" && len(el) == 4:
		return Origin{Component: "helm/" + el[1], Version: el[2]}
	case el[0] == BootDir && len(el) == 3:
		return Origin{Component: BootDir, Arch: el[1]}
	case el[0] == "os" && len(el) == 5:
		return Origin{Component: "os/" + el[1], Version: el[2], Arch: el[3]}
	case len(el) == 4:
		return Origin{Component: el[0], Version: el[1], Arch: el[2]}
	}
	return Origin{}
}

// Encode returns the manifest as indented JSON.
func (m *Manifest) Encode() ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// DecodeManifest reads a manifest and checks that its paths are clean,
// sorted and unique, so that code reading it can trust them.
func DecodeManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", ManifestName, err)
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("%s: version %d, this kubexm reads version %d", ManifestName,
			m.Version, ManifestVersion)
	}
	for i, f := range m.Files {
		clean, err := cleanPath(f.Path)
		if err != nil || clean != f.Path || f.Path == ManifestName {
			return nil, fmt.Errorf("%s: files[%d]: path %q is not a clean path in the bundle",
				ManifestName, i, f.Path)
		}
		if i > 0 && m.Files[i-1].Path >= f.Path {
			return nil, fmt.Errorf("%s: files[%d]: %q is out of order or repeated",
				ManifestName, i, f.Path)
		}
		if len(f.SHA256) != sha256.Size*2 || f.Size < 0 {
			return nil, fmt.Errorf("%s: files[%d] (%s): bad size or sha256", ManifestName, i,
				f.Path)
		}
	}
	return &m, nil
}

// lookup returns the manifest's entry for rel.
func (m *Manifest) lookup(rel string) (File, bool) {
	i, ok := slices.BinarySearchFunc(m.Files, rel, func(f File, p string) int {
		return strings.Compare(f.Path, p)
	})
	if !ok {
		return File{}, false
	}
	return m.Files[i], true
}

// Origins collects what the collection modules know of the files they
// write, from many goroutines, for the manifest. A nil *Origins records
// nothing.
type Origins struct {
	mu sync.Mutex
	m  map[string]Origin
}

// Record notes the origin of the file at rel (a path inside the tree).
func (o *Origins) Record(rel string, origin Origin) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]Origin{}
	}
	o.m[rel] = origin
}

// Map returns a copy of what was recorded.
func (o *Origins) Map() map[string]Origin {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.m)
}
