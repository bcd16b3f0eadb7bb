package bundle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kubexm/kubexm/internal/fetch/fetchtest"
)

// TestPackOntoAFullDisk packs the 480 KiB tree (random, so it does not compress) onto a
// 128 KiB file system: the error names the bundle and says the disk is full, and the disk
// holds nothing afterwards, neither the bundle nor its temporary file.
func TestPackOntoAFullDisk(t *testing.T) {
	for _, c := range []Compression{Gzip, Zstd} {
		t.Run(string(c), func(t *testing.T) {
			dir := tree(t)
			disk := fetchtest.SmallDisk(t, 128<<10)
			out := filepath.Join(disk, "kubexm.tar.gz")

			err := Pack(context.Background(), dir, out, PackOptions{Compression: c, ModTime: epoch})
			t.Logf("the error: %v", err)
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), out) {
				t.Fatalf("err = %v, want no space left, naming %s", err, out)
			}
			if left, _ := os.ReadDir(disk); len(left) > 0 {
				t.Errorf("left on the full disk: %v", names(left))
			}
		})
	}
}

// TestManifestOntoAFullDisk fills the disk of the tree itself before packing: the error
// names manifest.json, and no manifest is left that lists a tree it was not written for.
func TestManifestOntoAFullDisk(t *testing.T) {
	disk := fetchtest.SmallDisk(t, 64<<10)
	dir := filepath.Join(disk, Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Fill the disk with a file of the tree, as a collection that ran out of room would.
	f, err := os.Create(filepath.Join(dir, "images-blob"))
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = f.Write(make([]byte, 4096))
	}
	f.Close()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk: %v", err)
	}

	out := filepath.Join(t.TempDir(), "kubexm.tar.gz")
	err = Pack(context.Background(), dir, out, PackOptions{ModTime: epoch})
	t.Logf("the error: %v", err)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), ManifestName) {
		t.Fatalf("err = %v, want no space left, naming %s", err, ManifestName)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestName)); err == nil {
		t.Errorf("%s exists after it could not be written", ManifestName)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s exists after the manifest could not be written", out)
	}
}

func names(entries []os.DirEntry) []string {
	var s []string
	for _, e := range entries {
		s = append(s, e.Name())
	}
	return s
}
