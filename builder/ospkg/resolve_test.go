package ospkg

import (
	"slices"
	"strings"
	"testing"
)

// synthetic is a small amd64 index in Packages form: the relations of
// real bookworm packages, and made-up ones for the cases real ones lack.
const synthetic = `
Package: libc6
Version: 2.36-9+deb12u10
Architecture: amd64
Priority: optional

Package: base-files
Version: 12.4+deb12u10
Architecture: amd64
Priority: required
Provides: base

Package: conntrack
Version: 1:1.4.7-1+b2
Architecture: amd64
Priority: optional
Depends: libc6 (>= 2.34), libmnl0 (>= 1.0.3-4~), libnetfilter-conntrack3 (>= 1.0.9)

Package: libmnl0
Version: 1.0.4-3
Architecture: amd64
Depends: libc6 (>= 2.14)

Package: libnetfilter-conntrack3
Version: 1.0.9-3
Architecture: amd64
Depends: libc6 (>= 2.14), libmnl0 (>= 1.0.3-4~), libnfnetlink0 (>= 1.0.1)

Package: libnfnetlink0
Version: 1.0.2-2
Architecture: amd64
Depends: libc6 (>= 2.14)

Package: libnfnetlink0
Version: 1.0.2-2
Architecture: arm64
Depends: libc6 (>= 2.14)

Package: netbase
Version: 6.4
Architecture: all

Package: ebtables
Version: 2.0.11-5
Architecture: amd64
Depends: netbase (>= 6.0), libc6 (>= 2.33)

Package: postfix
Version: 3.7.11-0+deb12u1
Architecture: amd64
Provides: mail-transport-agent

Package: exim4-daemon-light
Version: 4.96-15+deb12u7
Architecture: amd64
Provides: mail-transport-agent

Package: bsd-mailx
Version: 8.1.2-0.20220412cvs-1
Architecture: amd64
Depends: default-mta | mail-transport-agent

Package: mawk
Version: 1.3.4.20200120-3.1
Architecture: amd64
Provides: awk-virtual (= 1.3)

Package: gawk
Version: 1:5.2.1-2
Architecture: amd64
Provides: awk-virtual (= 5.2)

Package: needs-new-awk
Version: 1.0
Architecture: amd64
Depends: awk-virtual (>= 2)

Package: plain-provider
Version: 1.0
Architecture: amd64
Provides: thing

Package: needs-versioned-thing
Version: 1.0
Architecture: amd64
Depends: thing (>= 1)

Package: tool
Version: 2.0-1
Architecture: amd64
Pre-Depends: helper:any
Depends: data (<< 2)

Package: tool
Version: 1.0-1
Architecture: amd64

Package: helper
Version: 1.0
Architecture: all

Package: data
Version: 2.0
Architecture: all

Package: data
Version: 1.5
Architecture: all

Package: needs-libfoo
Version: 1.0
Architecture: amd64
Depends: libfoo (>= 2)

Package: chain-top
Version: 1.0
Architecture: amd64
Depends: conntrack, broken

Package: broken
Version: 1.0
Architecture: amd64
Depends: libgone1 (>= 3) | libgone2

Package: ipset-like
Version: 1.0
Architecture: amd64
Depends: libnfnetlink0, libmnl0 (>= 1.0), libc6

Package: wants-new-data
Version: 1.0
Architecture: amd64
Depends: data (>= 2)
`

// syntheticIndex parses text into an amd64 index.
func syntheticIndex(t *testing.T, text string) *Index {
	t.Helper()
	stanzas, err := ParseControl(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []*Package
	for _, s := range stanzas {
		p, err := newPackage(s, "http://127.0.0.1/debian")
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return NewIndex("amd64", pkgs)
}

func TestResolve(t *testing.T) {
	t.Parallel()
	ix := syntheticIndex(t, synthetic)
	base := Base{Priorities: []string{"required", "important"}, Packages: []string{"libc6"}}
	cases := []struct {
		name    string
		request []string
		base    Base
		want    []string // name=version, sorted
		inBase  []string
		err     string
	}{
		{name: "closure less the base", request: []string{"conntrack"}, base: base,
			want: []string{"conntrack=1:1.4.7-1+b2", "libmnl0=1.0.4-3",
				"libnetfilter-conntrack3=1.0.9-3", "libnfnetlink0=1.0.2-2"}},
		{name: "without a base everything comes along", request: []string{"conntrack"},
			want: []string{"conntrack=1:1.4.7-1+b2", "libc6=2.36-9+deb12u10", "libmnl0=1.0.4-3",
				"libnetfilter-conntrack3=1.0.9-3", "libnfnetlink0=1.0.2-2"}},
		{name: "architecture all", request: []string{"ebtables"}, base: base,
			want: []string{"ebtables=2.0.11-5", "netbase=6.4"}},
		{name: "virtual package, first provider by name", request: []string{"bsd-mailx"},
			want: []string{"bsd-mailx=8.1.2-0.20220412cvs-1", "exim4-daemon-light=4.96-15+deb12u7"}},
		{name: "alternative already chosen wins", request: []string{"postfix", "bsd-mailx"},
			want: []string{"bsd-mailx=8.1.2-0.20220412cvs-1", "postfix=3.7.11-0+deb12u1"}},
		{name: "alternative in the base wins", request: []string{"bsd-mailx"},
			base: Base{Packages: []string{"postfix"}},
			want: []string{"bsd-mailx=8.1.2-0.20220412cvs-1"}},
		{name: "versioned provides", request: []string{"needs-new-awk"},
			want: []string{"gawk=1:5.2.1-2", "needs-new-awk=1.0"}},
		{name: "unversioned provides cannot meet a versioned relation",
			request: []string{"needs-versioned-thing"},
			err:     "needs-versioned-thing depends on thing (>= 1) which no repository has"},
		{name: "newest version, constraint picks an older one, pre-depends and :any",
			request: []string{"tool"},
			want:    []string{"data=1.5", "helper=1.0", "tool=2.0-1"}},
		{name: "versioned request", request: []string{"tool (<< 2)"},
			want: []string{"tool=1.0-1"}},
		{name: "requested package in the base", request: []string{"base-files", "netbase"},
			base: base, want: []string{"netbase=6.4"}, inBase: []string{"base-files"}},
		{name: "virtual name in the base", request: []string{"base"}, base: base,
			inBase: []string{"base"}},
		{name: "base name the index lacks meets any version", request: []string{"needs-libfoo"},
			base: Base{Packages: []string{"libfoo"}}, want: []string{"needs-libfoo=1.0"}},
		{name: "dependencies of the base are in it", request: []string{"ipset-like"},
			base: Base{Packages: []string{"conntrack"}}, want: []string{"ipset-like=1.0"}},
		{name: "missing dependency", request: []string{"needs-libfoo"},
			err: "needs-libfoo depends on libfoo (>= 2) which no repository has"},
		{name: "missing request", request: []string{"nosuch"},
			err: "requested package nosuch, which no repository has"},
		{name: "request at a version the index lacks", request: []string{"netbase (>= 7)"},
			err: "requested package netbase (>= 7), which the repositories have only as netbase 6.4"},
		{name: "chain in the message", request: []string{"chain-top"}, base: base,
			err: "chain-top depends on broken, which depends on libgone1 (>= 3) | libgone2 " +
				"which no repository has"},
		{name: "earlier choice too old", request: []string{"tool", "wants-new-data"},
			err: "wants-new-data depends on data (>= 2), but data=1.5/all was already " +
				"chosen (for tool)"},
		{name: "bad request", request: []string{"a, b"}, err: `requested package "a, b"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Resolve(ix, tc.request, tc.base)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.Packages {
				got = append(got, p.Name+"="+p.Version)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("packages = %q, want %q", got, tc.want)
			}
			if !slices.Equal(res.InBase, tc.inBase) {
				t.Errorf("in base = %q, want %q", res.InBase, tc.inBase)
			}
		})
	}
}

func TestResolveIsDeterministic(t *testing.T) {
	t.Parallel()
	ix := syntheticIndex(t, synthetic)
	first, err := Resolve(ix, []string{"bsd-mailx", "conntrack", "ebtables"}, Base{})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, err := Resolve(ix, []string{"bsd-mailx", "conntrack", "ebtables"}, Base{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names(first.Packages), names(again.Packages)) {
			t.Fatalf("resolved %q, then %q", names(first.Packages), names(again.Packages))
		}
	}
}

func TestIndexLeavesOutOtherArchitectures(t *testing.T) {
	t.Parallel()
	ix := syntheticIndex(t, synthetic)
	for _, p := range ix.Versions("libnfnetlink0") {
		if p.Architecture != "amd64" {
			t.Errorf("amd64 index holds %s", p)
		}
	}
	if n := len(ix.Versions("libnfnetlink0")); n != 1 {
		t.Errorf("libnfnetlink0 has %d versions, want 1", n)
	}
}

func names(pkgs []*Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.String())
	}
	return out
}
