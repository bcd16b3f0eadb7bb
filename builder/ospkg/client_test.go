package ospkg

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/fetch"
)

func TestReadPackagesInEveryCompression(t *testing.T) {
	t.Parallel()
	text := []byte("Package: netbase\nVersion: 6.4\nArchitecture: all\n" +
		"Description: Basic TCP/IP networking system\n This package provides the files.\n")
	forms := map[string][]byte{
		".xz": xzBytes(t, text),
		".gz": mustGzip(t, text),
		"":    text,
	}
	for _, z := range compressions {
		t.Run("Packages"+z.ext, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "Packages"+z.ext)
			writeFile(t, p, forms[z.ext])
			pkgs, err := readPackages(p, z.open, "http://127.0.0.1/debian")
			if err != nil {
				t.Fatal(err)
			}
			if len(pkgs) != 1 || pkgs[0].String() != "netbase=6.4/all" ||
				pkgs[0].Stanza.Get("Description") !=
					"Basic TCP/IP networking system\n This package provides the files." {
				t.Errorf("read %v", pkgs)
			}
		})
	}
}

func TestReadPackagesNamesTheBadStanza(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "Packages")
	writeFile(t, p, []byte("Package: ok\nVersion: 1\nArchitecture: all\n\n"+
		"Package: Bad_Name\nVersion: 1\nArchitecture: all\n"))
	_, err := readPackages(p, compressions[2].open, "http://127.0.0.1/debian")
	if err == nil || err.Error() != `package name "Bad_Name" is not a Debian package name` {
		t.Errorf("error = %v", err)
	}
}

func TestIndexRefusesWhatTheSuiteLacks(t *testing.T) {
	t.Parallel()
	u := newUpstream(t, fixtureOpts{})
	keys, err := ReadKeyring(publicKey(t, u.key))
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{Keyring: keys, Cache: t.TempDir(), Fetch: &fetch.Client{Retries: -1}}
	cases := []struct {
		name, arch, comp, want string
	}{
		{"architecture", "riscv64", "main", "the suite has no architecture riscv64 (it has all "},
		{"component", u.arch, "non-free", "the suite has no component non-free (it has main contrib)"},
		{"index", "arm64", "main", "the Release file lists no main/binary-arm64/Packages index"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := u.source()
			src.Components = []string{tc.comp}
			_, err := c.Index(context.Background(), tc.arch, src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := (&Client{Cache: t.TempDir()}).Index(context.Background(), u.arch,
		u.source()); err == nil || !strings.Contains(err.Error(), "no keyring") {
		t.Errorf("without a keyring: %v", err)
	}
}
