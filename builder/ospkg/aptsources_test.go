package ospkg

import (
	"path/filepath"
	"reflect"
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
