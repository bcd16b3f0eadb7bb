package ospkg

import (
	"fmt"
	"strings"
)

// Relation is one package named in a Depends-style field: a name, an
// optional architecture qualifier (":any", ":native") and an optional
// version constraint.
type Relation struct {
	Name string
	// Qualifier is the text after a colon in the name, e.g. "any".
	Qualifier string
	// Op is one of <<, <=, =, >=, >> or empty for any version.
	Op      string
	Version string
}

// String writes the relation as it appears in a control file.
func (r Relation) String() string {
	s := r.Name
	if r.Qualifier != "" {
		s += ":" + r.Qualifier
	}
	if r.Op != "" {
		s += " (" + r.Op + " " + r.Version + ")"
	}
	return s
}

// Satisfied reports whether version meets the relation's constraint.
func (r Relation) Satisfied(version string) bool {
	if r.Op == "" {
		return true
	}
	c := CompareVersions(version, r.Version)
	switch r.Op {
	case "<<":
		return c < 0
	case "<=":
		return c <= 0
	case "=":
		return c == 0
	case ">=":
		return c >= 0
	case ">>":
		return c > 0
	}
	return false
}

// Alternatives is one comma-separated element of a Depends field: any one
// of its relations satisfies it ("a | b").
type Alternatives []Relation

// String writes the alternatives as they appear in a control file.
func (a Alternatives) String() string {
	parts := make([]string, len(a))
	for i, r := range a {
		parts[i] = r.String()
	}
	return strings.Join(parts, " | ")
}

// ParseRelations reads a Depends, Pre-Depends or Provides field.
// Architecture lists ("[amd64]") and build profiles ("<!nocheck>"), which
// only source packages carry, are dropped, as is anything after a version
// constraint's closing parenthesis.
func ParseRelations(field string) ([]Alternatives, error) {
	var out []Alternatives
	for _, group := range strings.Split(field, ",") {
		if strings.TrimSpace(group) == "" {
			continue
		}
		var alts Alternatives
		for _, one := range strings.Split(group, "|") {
			r, err := parseRelation(one)
			if err != nil {
				return nil, fmt.Errorf("relation %q: %w", strings.TrimSpace(group), err)
			}
			alts = append(alts, r)
		}
		out = append(out, alts)
	}
	return out, nil
}

// parseRelation reads "name[:qual] [(op version)] [[arches]] [<profiles>]".
func parseRelation(s string) (Relation, error) {
	var r Relation
	name, constraint, hasConstraint := strings.Cut(s, "(")
	name = strings.TrimSpace(dropBracketed(dropBracketed(name, '[', ']'), '<', '>'))
	if name == "" || strings.ContainsAny(name, " \t)") {
		return r, fmt.Errorf("bad package name %q", name)
	}
	r.Name, r.Qualifier, _ = strings.Cut(name, ":")
	if !hasConstraint {
		return r, nil
	}

	constraint, _, ok := strings.Cut(constraint, ")")
	if !ok {
		return r, fmt.Errorf("unclosed version constraint")
	}
	constraint = strings.TrimSpace(constraint)
	for _, op := range []string{"<<", "<=", ">=", ">>", "=", "<", ">"} {
		if v, found := strings.CutPrefix(constraint, op); found {
			r.Op, r.Version = op, strings.TrimSpace(v)
			break
		}
	}
	switch r.Op {
	case "<": // obsolete spellings, read as dpkg reads them
		r.Op = "<="
	case ">":
		r.Op = ">="
	case "":
		return r, fmt.Errorf("unknown version operator in %q", constraint)
	}
	if r.Version == "" {
		return r, fmt.Errorf("version constraint %q has no version", constraint)
	}
	return r, nil
}

// dropBracketed removes every open...close span from s.
func dropBracketed(s string, open, close byte) string {
	for {
		i := strings.IndexByte(s, open)
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], close)
		if j < 0 {
			return s[:i]
		}
		s = s[:i] + s[i+j+1:]
	}
}
