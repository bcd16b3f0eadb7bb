package isofs

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
)

// A folder whose name starts with a dot (the bundle's .kubexm) must have a
// valid ISO 9660 name, so that readers without Rock Ridge can walk it,
// and keep its own name for those with.
func TestDotFolderHasAnISOName(t *testing.T) {
	t.Parallel()
	xorriso := needTool(t, "xorriso", "xorriso")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".kubexm/boot/amd64/vmlinuz"), []byte("kernel"))
	writeFile(t, filepath.Join(dir, ".kubexm/manifest.json"), []byte("{}"))
	writeFile(t, filepath.Join(dir, "boot/efi.img"), []byte("fat"))
	writeFile(t, filepath.Join(dir, "kubexm.yaml"), []byte("kind: Cluster"))
	iso := filepath.Join(t.TempDir(), "dot.iso")
	if err := Write(dir, iso, Options{Label: "KUBEXM", Time: fixedTime}); err != nil {
		t.Fatal(err)
	}

	// go-diskfs's reader (Rock Ridge names) walks into it.
	f, err := os.Open(iso)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	fsys, err := iso9660.Read(file.New(f, true), st.Size(), 0, SectorSize)
	if err != nil {
		t.Fatal(err)
	}
	kf, err := fsys.OpenFile("/.kubexm/boot/amd64/vmlinuz", os.O_RDONLY)
	if err != nil {
		t.Fatalf("opening /.kubexm/boot/amd64/vmlinuz: %v", err)
	}
	if data, _ := io.ReadAll(kf); string(data) != "kernel" {
		t.Errorf("/.kubexm/boot/amd64/vmlinuz reads %q", data)
	}

	// xorriso finds the same files by their Rock Ridge names, and without
	// Rock Ridge sees the folder under its ISO 9660 name, with no complaint.
	rr := run(t, xorriso, "-indev", iso, "-find", "/", "-type", "f")
	for _, p := range []string{"'/.kubexm/boot/amd64/vmlinuz'", "'/.kubexm/manifest.json'"} {
		if !strings.Contains(rr, p) {
			t.Errorf("xorriso -find lacks %s:\n%s", p, rr)
		}
	}
	plain := run(t, xorriso, "-read_fs", "norock", "-indev", iso, "-find", "/", "-type", "d")
	if !strings.Contains(plain, "'/0'") || strings.Contains(plain, "FAILURE") {
		t.Errorf("without Rock Ridge xorriso does not list the folder as /0:\n%s", plain)
	}
}
