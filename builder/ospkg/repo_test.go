package ospkg

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"
	"testing"

	"github.com/kubexm/kubexm/internal/golden"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	ix := syntheticIndex(t, synthetic)
	src := t.TempDir()
	var local []LocalPackage
	for _, name := range []string{"netbase", "conntrack", "libmnl0"} {
		p := *ix.Versions(name)[0]
		data := []byte("the .deb of " + name)
		sum := sha256.Sum256(data)
		p.SHA256, p.Size = hex.EncodeToString(sum[:]), int64(len(data))
		p.Filename = "pool/main/" + name[:1] + "/" + name + "/" + poolName(p.Stanza)
		path := filepath.Join(src, name+".deb")
		writeFile(t, path, data)
		local = append(local, LocalPackage{Package: &p, Path: path})
	}

	dir := t.TempDir()
	if err := Write(dir, local, fixedTime); err != nil {
		t.Fatal(err)
	}
	packages := readAll(t, filepath.Join(dir, "Packages"))
	golden.Check(t, "Packages.golden", packages)
	golden.Check(t, "Release.golden", readAll(t, filepath.Join(dir, "Release")))

	zr, err := gzip.NewReader(bytes.NewReader(readAll(t, filepath.Join(dir, "Packages.gz"))))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, packages) {
		t.Errorf("Packages.gz does not hold Packages (%v)", err)
	}
	for _, lp := range local {
		want := readAll(t, lp.Path)
		got := readAll(t, filepath.Join(dir, "pool", poolDir(lp.Name), lp.Name,
			filepath.Base(lp.Filename)))
		if !bytes.Equal(got, want) {
			t.Errorf("pool file of %s differs", lp.Name)
		}
	}
}

func poolDir(name string) string {
	if len(name) > 3 && name[:3] == "lib" {
		return name[:4]
	}
	return name[:1]
}
