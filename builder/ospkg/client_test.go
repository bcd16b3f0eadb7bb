package ospkg

import (
	"path/filepath"
	"testing"
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
