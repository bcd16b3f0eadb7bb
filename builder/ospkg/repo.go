package ospkg

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kubexm/kubexm/internal/atomicfile"
)

// SourcesLine is the apt sources line that installs from the repository
// Write makes, once it (or the ISO of it) is at /mnt/kubexm. The
// repository is unsigned: it is trusted because it came inside a bundle
// whose files were checked against the bundle's manifest, and every .deb
// in it against a signed upstream index when the bundle was made.
const SourcesLine = "deb [trusted=yes] file:/mnt/kubexm ./"

// LocalPackage is a package with the path of its downloaded .deb.
type LocalPackage struct {
	*Package
	Path string
}

// Write lays out a flat apt repository in dir: the .deb files under
// pool/<initial>/<name>/, and Packages, Packages.gz and Release (with the
// SHA256 of both indexes) at the top, dated at t. The .deb files are
// hard-linked from where they are when dir is on the same file system.
// The same packages and t always give the same bytes.
func Write(dir string, pkgs []LocalPackage, t time.Time) error {
	pkgs = sortedLocal(pkgs)
	var index bytes.Buffer
	for i, lp := range pkgs {
		rel, err := placeDeb(dir, lp)
		if err != nil {
			return err
		}
		if i > 0 {
			index.WriteString("\n")
		}
		s := lp.Stanza.With("Filename", rel).With("Size", fmt.Sprint(lp.Size)).
			With("SHA256", lp.SHA256)
		if _, err := s.WriteTo(&index); err != nil {
			return err
		}
	}

	gz, err := gzipped(index.Bytes())
	if err != nil {
		return err
	}
	files := map[string][]byte{"Packages": index.Bytes(), "Packages.gz": gz}
	files["Release"] = release(files, archesOf(pkgs), t)
	for _, name := range []string{"Packages", "Packages.gz", "Release"} {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return fmt.Errorf("writing the local repository: %w", err)
		}
	}
	return nil
}

// placeDeb puts one .deb into the pool and returns its path there.
func placeDeb(dir string, lp LocalPackage) (string, error) {
	initial := lp.Name[:1]
	if strings.HasPrefix(lp.Name, "lib") && len(lp.Name) > 3 {
		initial = lp.Name[:4]
	}
	base := path.Base(lp.Filename)
	if !strings.HasSuffix(base, ".deb") || strings.HasPrefix(base, ".") {
		return "", fmt.Errorf("package %s: file name %q is not a .deb", lp.Package, base)
	}
	rel := path.Join("pool", initial, lp.Name, base)
	dst := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("writing the local repository: %w", err)
	}
	if err := atomicfile.Link(lp.Path, dst, 0o644); err != nil {
		return "", fmt.Errorf("package %s: %w", lp.Package, err)
	}
	return rel, nil
}

// release renders the Release file of the flat repository.
func release(files map[string][]byte, arches []string, t time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Origin: kubexm\nLabel: kubexm\n")
	fmt.Fprintf(&b, "Date: %s\n", t.UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Architectures: %s\n", strings.Join(arches, " "))
	fmt.Fprintf(&b, "Description: OS packages of a kubexm bundle (unsigned: use [trusted=yes])\n")
	b.WriteString("SHA256:\n")
	for _, name := range []string{"Packages", "Packages.gz"} {
		sum := sha256.Sum256(files[name])
		fmt.Fprintf(&b, " %s %d %s\n", hex.EncodeToString(sum[:]), len(files[name]), name)
	}
	return b.Bytes()
}

// gzipped compresses data with no name or time in the header.
func gzipped(data []byte) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func sortedLocal(pkgs []LocalPackage) []LocalPackage {
	out := append([]LocalPackage(nil), pkgs...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return CompareVersions(out[i].Version, out[j].Version) < 0
	})
	return out
}

// archesOf lists the architectures of pkgs, sorted, "all" included.
func archesOf(pkgs []LocalPackage) []string {
	set := map[string]bool{"all": true}
	for _, p := range pkgs {
		set[p.Architecture] = true
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}
