package ospkg

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadAptSources(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "etc/apt/sources.list"), []byte(`
# a comment
deb http://mirror.invalid/debian bookworm main contrib # trailing
deb-src http://mirror.invalid/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.invalid/x stable main
`))
	writeFile(t, filepath.Join(root, "etc/apt/sources.list.d/debian.sources"), []byte(`
Types: deb deb-src
URIs: http://mirror.invalid/debian
Suites: bookworm-updates bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.invalid/off
Suites: bookworm
Components: main
Enabled: no

Types: deb-src
URIs: http://mirror.invalid/src
Suites: bookworm
Components: main
`))
	writeFile(t, filepath.Join(root, "etc/apt/sources.list.d/other.list.disabled"),
		[]byte("deb http://mirror.invalid/disabled bookworm main\n"))

	got, err := ReadAptSources(root)
	if err != nil {
		t.Fatal(err)
	}
	keyring := "/usr/share/keyrings/debian-archive-keyring.gpg"
	want := []AptSource{
		{Source: Source{URL: "http://mirror.invalid/debian", Suite: "bookworm",
			Components: []string{"main", "contrib"}}},
		{Source: Source{URL: "http://mirror.invalid/x", Suite: "stable",
			Components: []string{"main"}}, SignedBy: "/usr/share/keyrings/x.gpg"},
		{Source: Source{URL: "http://mirror.invalid/debian", Suite: "bookworm-updates",
			Components: []string{"main"}}, SignedBy: keyring},
		{Source: Source{URL: "http://mirror.invalid/debian", Suite: "bookworm-backports",
			Components: []string{"main"}}, SignedBy: keyring},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadAptSources =\n%+v\nwant\n%+v", got, want)
	}
}

func TestSourcesFrom(t *testing.T) {
	t.Parallel()
	apt := []AptSource{
		{Source: Source{URL: "http://m.invalid/debian", Suite: "bookworm",
			Components: []string{"main", "contrib"}}},
		{Source: Source{URL: "http://m.invalid/debian", Suite: "trixie",
			Components: []string{"main"}}},
		{Source: Source{URL: "http://m.invalid/security", Suite: "bookworm-security",
			Components: []string{"main"}}},
		{Source: Source{URL: "http://m.invalid/nonfree", Suite: "bookworm-updates",
			Components: []string{"non-free"}}},
	}
	d, err := LookupDistro("debian", "12")
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.SourcesFrom(apt)
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{
		{URL: "http://m.invalid/debian", Suite: "bookworm", Components: []string{"main"}},
		{URL: "http://m.invalid/security", Suite: "bookworm-security",
			Components: []string{"main"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SourcesFrom = %+v, want %+v", got, want)
	}

	ubuntu, err := LookupDistro("ubuntu", "24.04")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ubuntu.SourcesFrom(apt); err == nil ||
		!strings.Contains(err.Error(), "name no noble suite with main or universe") {
		t.Errorf("error = %v", err)
	}
}
