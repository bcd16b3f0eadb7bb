package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := Write(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(got) != "new" || fi.Mode().Perm() != 0o644 {
		t.Errorf("content %q mode %v, want new 0644", got, fi.Mode().Perm())
	}
}

func TestFailureLeavesTheOldFileAndNoTemporary(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := Write(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := From(p, 0o644, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return errors.New("source broke")
	})
	if err == nil {
		t.Fatal("want the fill's error")
	}
	got, _ := os.ReadFile(p)
	entries, _ := os.ReadDir(dir)
	if string(got) != "old" || len(entries) != 1 {
		t.Errorf("content %q, %d entries; want the old file alone", got, len(entries))
	}
}

func TestCopy(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(src, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Copy(src, dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "data" {
		t.Errorf("copy = %q", got)
	}
}

func TestLinkReplacesWholeAndCopiesAcrossFileSystems(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	if err := os.WriteFile(src, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second time dst is src already
		if err := Link(src, dst, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := os.Stat(src)
	b, _ := os.Stat(dst)
	if !os.SameFile(a, b) {
		t.Error("dst is not a hard link of src")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".dst.partial-*")); len(left) > 0 {
		t.Errorf("temporary names left: %v", left)
	}

	// /dev/shm is a tmpfs, another file system than the test's folder.
	shm, err := os.MkdirTemp("/dev/shm", "atomicfile-")
	if err != nil {
		t.Fatalf("no /dev/shm to link across: %v", err)
	}
	defer os.RemoveAll(shm)
	other := filepath.Join(shm, "dst")
	if err := Link(src, other, 0o640); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(other); string(data) != "new" {
		t.Errorf("the copy across file systems holds %q", data)
	}
	if fi, _ := os.Stat(other); fi.Mode().Perm() != 0o640 {
		t.Errorf("the copy has mode %v, want 0640", fi.Mode().Perm())
	}
}
