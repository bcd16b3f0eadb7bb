package bundle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/atomicfile"
)

// withManifest writes the tree's manifest.json, as make-tar does before it
// writes the tree into an ISO.
func withManifest(t *testing.T, dir string) {
	t.Helper()
	m, err := BuildManifest(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(filepath.Join(dir, ManifestName), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyFS(t *testing.T) {
	ctx := context.Background()
	kubeadm, _ := Binary("kubernetes", "v1.37.2", "amd64", "kubeadm")
	chart, _ := Chart("flannel", "v0.28.9")

	dir := tree(t)
	withManifest(t, dir)
	m, err := VerifyFS(ctx, dir, os.DirFS(dir))
	if err != nil || len(m.Files) != 7 {
		t.Fatalf("VerifyFS of a sound tree: %v (%d files)", err, len(m.Files))
	}

	// A flipped byte, a file gone, a file added, a link: each is named.
	p := filepath.Join(dir, filepath.FromSlash(kubeadm))
	data, _ := os.ReadFile(p)
	data[7] ^= 1
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(chart))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stray"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "images", "link")); err != nil {
		t.Fatal(err)
	}
	_, err = VerifyFS(ctx, "the medium", os.DirFS(dir))
	var pe *ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("VerifyFS of a damaged tree: %v, want a ProblemsError", err)
	}
	msg := err.Error()
	for _, want := range []string{"bundle the medium: 4 file(s)", "corrupt .kubexm/" + kubeadm,
		"missing .kubexm/" + chart, "extra .kubexm/stray (not in the manifest)",
		"extra .kubexm/images/link (not a regular file)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}

	// No manifest: said so, naming the tree.
	if err := os.Remove(filepath.Join(dir, ManifestName)); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFS(ctx, "the medium", os.DirFS(dir)); err == nil ||
		!strings.Contains(err.Error(), "bundle the medium: open manifest.json") {
		t.Errorf("VerifyFS without a manifest: %v", err)
	}
}
