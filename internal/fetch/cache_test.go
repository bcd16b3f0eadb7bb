package fetch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestCacheSecondFetchMakesNoRequest(t *testing.T) {
	fs, base, data := mirror(t)
	cache := &Cache{Dir: t.TempDir(), Client: fastClient()}
	ctx := context.Background()

	get := func(dst string) bool {
		t.Helper()
		var sum string
		_, err := cache.Document(ctx, base+kubeadm+".sha256", func(doc []byte) (err error) {
			sum, err = ParseChecksum(doc, "kubeadm")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		hit, err := cache.File(ctx, base+kubeadm, sum, dst)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(dst); string(got) != string(data) {
			t.Fatalf("%s differs from the published file", dst)
		}
		return hit
	}

	first := filepath.Join(t.TempDir(), "a", "kubeadm")
	if get(first) {
		t.Error("first fetch came from an empty cache")
	}
	if !get(first) {
		t.Error("a fetch to the same place did not come from the cache")
	}
	if left, _ := filepath.Glob(first + ".*"); len(left) > 0 {
		t.Errorf("placing the file again left %v", left)
	}
	if !get(filepath.Join(t.TempDir(), "b", "kubeadm")) {
		t.Error("second fetch did not come from the cache")
	}
	if n, m := fs.Hits(kubeadm), fs.Hits(kubeadm+".sha256"); n != 1 || m != 1 {
		t.Errorf("requests: %d for the file, %d for its checksum; want 1 each", n, m)
	}

	// A damaged cache entry is fetched again, not used.
	blobs, _ := filepath.Glob(filepath.Join(cache.Dir, "sha256", "*"))
	if err := os.WriteFile(blobs[0], []byte("bit rot"), 0o644); err != nil {
		t.Fatal(err)
	}
	if get(filepath.Join(t.TempDir(), "c", "kubeadm")) {
		t.Error("a damaged cache entry was used")
	}
}
