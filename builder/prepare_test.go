package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClearTree(t *testing.T) {
	own := []string{"manifest.json", "images", "kubernetes", "logs", "state"}
	mk := func(root string, rels ...string) {
		for _, rel := range rels {
			p := filepath.Join(root, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	root := t.TempDir()
	mk(root, "kubernetes/v1.36.0/amd64/kubeadm", "kubernetes/v1.37.2/amd64/kubeadm.partial",
		"images/index.json", "manifest.json", "logs/run.log", "state/make-tar.json")
	if err := clearTree(root, own); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(root)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, " ") != "logs state" {
		t.Errorf("left %v, want only logs and state", left)
	}

	foreign := t.TempDir()
	mk(foreign, "thesis.tex", "kubernetes/x")
	err := clearTree(foreign, own)
	if err == nil || !strings.Contains(err.Error(), "thesis.tex") {
		t.Fatalf("err = %v, want the foreign entry named", err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "kubernetes/x")); err != nil {
		t.Errorf("a refused clear removed files: %v", err)
	}
}
