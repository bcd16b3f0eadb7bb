package ospkg

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Base is the system the target hosts already have: what it holds is left
// out of the repository, and dependencies on it count as met.
type Base struct {
	// Priorities puts every package of the index with one of these
	// priorities in the base, e.g. "required" and "important" for a host
	// made by debootstrap's default variant.
	Priorities []string
	// Packages names more packages assumed installed. A name the index
	// has stands for its newest version (and what it provides); a name it
	// lacks is taken to meet any version constraint. The dependencies of
	// the base's packages, as the index resolves them, are in it too.
	Packages []string
}

// Resolution is the outcome of Resolve.
type Resolution struct {
	// Packages is the dependency closure of the request less the base,
	// sorted by name.
	Packages []*Package
	// InBase lists, sorted, the requested names the base already holds.
	InBase []string
}

// installed is a set of packages with what they provide.
type installed struct {
	byName   map[string]*Package
	assumed  map[string]bool // names whose version is unknown
	provides map[string][]provider
}

func newInstalled() *installed {
	return &installed{byName: map[string]*Package{}, assumed: map[string]bool{},
		provides: map[string][]provider{}}
}

func (s *installed) add(p *Package) {
	s.byName[p.Name] = p
	for _, r := range p.Provides {
		s.provides[r.Name] = append(s.provides[r.Name], provider{pkg: p, rel: r})
	}
}

// satisfies reports whether the set meets r.
func (s *installed) satisfies(r Relation) bool {
	if s.assumed[r.Name] {
		return true
	}
	if p := s.byName[r.Name]; p != nil && r.Satisfied(p.Version) {
		return true
	}
	for _, pv := range s.provides[r.Name] {
		if r.Op == "" || pv.rel.Op == "=" && r.Satisfied(pv.rel.Version) {
			return true
		}
	}
	return false
}

// resolver walks dependencies breadth first, in the order they are
// written, so the same index and request always give the same choice.
type resolver struct {
	ix     *Index
	base   *installed
	chosen *installed
	via    map[string]link // how each chosen package was reached
	queue  []*Package
}

// link records the package that pulled another in, and the relation.
type link struct {
	from *Package
	rel  Alternatives
}

// Resolve computes the packages to ship so that every requested package
// installs on the base: Pre-Depends and Depends, followed through
// alternatives (one already chosen or in the base wins, else the first
// that the index can satisfy) and virtual packages. A request is a
// relation, e.g. "conntrack" or "chrony (>= 4.3)". Recommends are not
// followed, as apt on the hosts is run with --no-install-recommends.
//
// TODO: Conflicts and Breaks are not checked, and a choice is never
// undone to satisfy a later constraint; an impossible case is an error.
func Resolve(ix *Index, requested []string, base Base) (*Resolution, error) {
	r := &resolver{ix: ix, base: newBase(ix, base), chosen: newInstalled(),
		via: map[string]link{}}
	res := &Resolution{}
	for _, req := range requested {
		alts, err := ParseRelations(req)
		if err != nil || len(alts) != 1 {
			return nil, fmt.Errorf("requested package %q: not a package relation", req)
		}
		inBase, err := r.want(nil, alts[0])
		if err != nil {
			return nil, err
		}
		if inBase {
			res.InBase = append(res.InBase, alts[0].String())
		}
	}

	for len(r.queue) > 0 {
		p := r.queue[0]
		r.queue = r.queue[1:]
		for _, alts := range slices.Concat(p.PreDepends, p.Depends) {
			if _, err := r.want(p, alts); err != nil {
				return nil, err
			}
		}
	}

	for _, p := range r.chosen.byName {
		res.Packages = append(res.Packages, p)
	}
	sort.Slice(res.Packages, func(i, j int) bool {
		return res.Packages[i].Name < res.Packages[j].Name
	})
	sort.Strings(res.InBase)
	return res, nil
}

// newBase builds the installed set that spec describes, with the
// dependencies of its packages: a host that has a package has what it
// depends on.
func newBase(ix *Index, spec Base) *installed {
	s := newInstalled()
	for _, ps := range ix.byName {
		if len(ps) > 0 && slices.Contains(spec.Priorities, ps[0].Priority) {
			s.add(ps[0])
		}
	}
	for _, name := range spec.Packages {
		if ps := ix.byName[name]; len(ps) > 0 {
			s.add(ps[0])
		} else {
			s.assumed[name] = true
		}
	}

	queue := make([]*Package, 0, len(s.byName))
	for _, p := range s.byName {
		queue = append(queue, p)
	}
	sort.Slice(queue, func(i, j int) bool { return queue[i].Name < queue[j].Name })
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		queue = append(queue, closeOver(ix, s, p)...)
	}
	return s
}

// closeOver adds to s what p needs and s lacks, and returns the added
// packages. What the index cannot satisfy is the base's own business.
func closeOver(ix *Index, s *installed, p *Package) []*Package {
	var added []*Package
	for _, alts := range slices.Concat(p.PreDepends, p.Depends) {
		if slices.ContainsFunc(alts, s.satisfies) {
			continue
		}
		for _, rel := range alts {
			if c := ix.candidates(rel); len(c) > 0 && s.byName[c[0].Name] == nil {
				s.add(c[0])
				added = append(added, c[0])
				break
			}
		}
	}
	return added
}

// want makes sure one of alts is installed, choosing a package if neither
// the base nor an earlier choice meets it. It reports whether the base
// met it. from is the package that depends on alts, nil for a request.
func (r *resolver) want(from *Package, alts Alternatives) (inBase bool, err error) {
	for _, rel := range alts {
		if r.base.satisfies(rel) {
			return true, nil
		}
	}
	for _, rel := range alts {
		if r.chosen.satisfies(rel) {
			return false, nil
		}
	}

	var clashed *Package
	for _, rel := range alts {
		for _, p := range r.candidates(rel) {
			if prev := r.chosen.byName[p.Name]; prev != nil {
				clashed = prev
				continue
			}
			r.chosen.add(p)
			r.via[p.Name] = link{from: from, rel: alts}
			r.queue = append(r.queue, p)
			return false, nil
		}
	}
	if clashed != nil {
		return false, r.clash(from, alts, clashed)
	}
	return false, r.missing(from, alts)
}

// candidates are the packages that meet rel on the index's architecture.
func (r *resolver) candidates(rel Relation) []*Package {
	switch rel.Qualifier {
	case "", "any", "native", r.ix.Arch:
		return r.ix.candidates(rel)
	}
	return nil
}

// chain describes how from was reached, from the request on: "a", or
// "a depends on b (>= 1), which" when a pulled from in.
func (r *resolver) chain(from *Package) string {
	var links []link // from the request down to from
	for p := from; p != nil; p = r.via[p.Name].from {
		links = append(links, r.via[p.Name])
	}
	slices.Reverse(links)

	if len(links) < 2 {
		return from.Name
	}
	var b strings.Builder
	b.WriteString(links[1].from.Name)
	for _, l := range links[1:] {
		fmt.Fprintf(&b, " depends on %s, which", l.rel)
	}
	return b.String()
}

// missing is the error for alternatives the index cannot meet.
func (r *resolver) missing(from *Package, alts Alternatives) error {
	var have []string
	for _, rel := range alts {
		for _, p := range r.ix.Versions(rel.Name) {
			have = append(have, p.Name+" "+p.Version)
		}
	}
	why := "which no repository has"
	if len(have) > 0 {
		why = "which the repositories have only as " + strings.Join(have, ", ")
	}
	if from == nil {
		return fmt.Errorf("requested package %s, %s", alts, why)
	}
	return fmt.Errorf("%s depends on %s %s", r.chain(from), alts, why)
}

// clash is the error for a package already chosen at a version that does
// not meet a later relation.
func (r *resolver) clash(from *Package, alts Alternatives, prev *Package) error {
	who := "the request"
	if from != nil {
		who = r.chain(from) + " depends on"
	}
	return fmt.Errorf("%s %s, but %s was already chosen (for %s)", who, alts, prev,
		r.describe(prev))
}

// describe says who pulled p in.
func (r *resolver) describe(p *Package) string {
	if l := r.via[p.Name]; l.from != nil {
		return l.from.Name
	}
	return "the request"
}
