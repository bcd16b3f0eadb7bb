package ospkg

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
)

// validName is Debian policy 5.6.1's package name; the name becomes a
// folder of the local repository, so nothing else gets through.
var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)

// Package is one binary package of a Packages index.
type Package struct {
	Name         string
	Version      string
	Architecture string
	Priority     string
	// Filename is the .deb's path below the repository's URL.
	Filename string
	Size     int64
	SHA256   string
	// PreDepends and Depends are what must be installed with it.
	PreDepends []Alternatives
	Depends    []Alternatives
	// Provides names the virtual packages it stands for, some versioned.
	Provides []Relation
	// Repository is the URL of the repository that holds Filename.
	Repository string
	// Stanza is the index entry as upstream wrote it.
	Stanza Stanza
}

// String names the package as name=version/arch, for messages.
func (p *Package) String() string {
	return p.Name + "=" + p.Version + "/" + p.Architecture
}

// newPackage reads a Packages stanza.
func newPackage(s Stanza, repository string) (*Package, error) {
	p := &Package{
		Name:         s.Get("Package"),
		Version:      s.Get("Version"),
		Architecture: s.Get("Architecture"),
		Priority:     s.Get("Priority"),
		Filename:     s.Get("Filename"),
		SHA256:       s.Get("SHA256"),
		Repository:   repository,
		Stanza:       s,
	}
	if p.Name == "" || p.Version == "" || p.Architecture == "" {
		return nil, fmt.Errorf("stanza %q lacks Package, Version or Architecture", p.Name)
	}
	if !validName.MatchString(p.Name) {
		return nil, fmt.Errorf("package name %q is not a Debian package name", p.Name)
	}

	var err error
	if sz := s.Get("Size"); sz != "" {
		if p.Size, err = strconv.ParseInt(sz, 10, 64); err != nil {
			return nil, fmt.Errorf("package %s: size %q: %w", p.Name, sz, err)
		}
	}
	if p.PreDepends, err = ParseRelations(s.Get("Pre-Depends")); err != nil {
		return nil, fmt.Errorf("package %s: pre-depends: %w", p.Name, err)
	}
	if p.Depends, err = ParseRelations(s.Get("Depends")); err != nil {
		return nil, fmt.Errorf("package %s: depends: %w", p.Name, err)
	}
	provides, err := ParseRelations(s.Get("Provides"))
	if err != nil {
		return nil, fmt.Errorf("package %s: provides: %w", p.Name, err)
	}
	for _, alts := range provides {
		p.Provides = append(p.Provides, alts...)
	}
	return p, nil
}

// Index is every package of the repositories read for one architecture,
// by name and by the virtual names they provide.
type Index struct {
	// Arch is the architecture the index serves, besides "all".
	Arch     string
	byName   map[string][]*Package
	provides map[string][]provider
}

type provider struct {
	pkg *Package
	rel Relation // the Provides entry: its Version is empty when unversioned
}

// NewIndex builds an index for arch from Packages stanzas. Stanzas of
// other architectures are left out; the same name, version and
// architecture seen twice (a suite and its updates) is kept once.
func NewIndex(arch string, packages []*Package) *Index {
	ix := &Index{Arch: arch, byName: map[string][]*Package{}, provides: map[string][]provider{}}
	seen := map[string]bool{}
	for _, p := range packages {
		if p.Architecture != arch && p.Architecture != "all" || seen[p.String()] {
			continue
		}
		seen[p.String()] = true
		ix.byName[p.Name] = append(ix.byName[p.Name], p)
		for _, r := range p.Provides {
			ix.provides[r.Name] = append(ix.provides[r.Name], provider{pkg: p, rel: r})
		}
	}

	for _, ps := range ix.byName {
		sort.SliceStable(ps, func(i, j int) bool {
			return CompareVersions(ps[i].Version, ps[j].Version) > 0
		})
	}
	for _, ps := range ix.provides {
		sort.SliceStable(ps, func(i, j int) bool {
			if ps[i].pkg.Name != ps[j].pkg.Name {
				return ps[i].pkg.Name < ps[j].pkg.Name
			}
			return CompareVersions(ps[i].pkg.Version, ps[j].pkg.Version) > 0
		})
	}
	return ix
}

// Versions returns the packages of that name, newest first.
func (ix *Index) Versions(name string) []*Package { return ix.byName[name] }

// Len is the number of packages in the index.
func (ix *Index) Len() int {
	n := 0
	for _, ps := range ix.byName {
		n += len(ps)
	}
	return n
}

// candidates returns the packages that satisfy r, best first: real
// packages of that name, newest first, then providers of that virtual
// name by package name. A versioned relation is met only by a versioned
// Provides (Debian policy 7.5).
func (ix *Index) candidates(r Relation) []*Package {
	var out []*Package
	for _, p := range ix.byName[r.Name] {
		if r.Satisfied(p.Version) {
			out = append(out, p)
		}
	}
	for _, pv := range ix.provides[r.Name] {
		if r.Op == "" || pv.rel.Op == "=" && r.Satisfied(pv.rel.Version) {
			out = append(out, pv.pkg)
		}
	}
	return out
}
