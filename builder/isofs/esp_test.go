package isofs

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	diskfs "github.com/diskfs/go-diskfs"
)

// espFiles makes the files of a systemd-boot ESP, one of them larger
// than a cluster chain of one FAT sector.
func espFiles(t *testing.T) map[string]string {
	src := t.TempDir()
	files := map[string]string{
		"EFI/BOOT/BOOTX64.EFI":       "MZ" + strings.Repeat("e", 90000),
		"loader/loader.conf":         "default kubexm.conf\ntimeout 0\n",
		"loader/entries/kubexm.conf": "title kubexm\nlinux /vmlinuz\n",
		"vmlinuz":                    strings.Repeat("v", 300000),
	}
	m := map[string]string{}
	for name, content := range files {
		p := filepath.Join(src, strings.ReplaceAll(name, "/", "_"))
		writeFile(t, p, []byte(content))
		m[name] = p
	}
	return m
}

func TestESPIsReproducibleAndReadable(t *testing.T) {
	t.Parallel()
	files := espFiles(t)
	out := t.TempDir()
	a, b := filepath.Join(out, "a.img"), filepath.Join(out, "b.img")
	if err := MakeESP(a, files, fixedTime); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if err := MakeESP(b, files, fixedTime); err != nil {
		t.Fatal(err)
	}
	assertSame(t, a, b)
	if size := fileSize(t, a); size%SectorSize != 0 || size > 6<<20 {
		t.Errorf("the image of 400 KB is %d bytes: want a small multiple of %d", size, SectorSize)
	}

	d, err := diskfs.Open(a, diskfs.WithOpenMode(diskfs.ReadOnly))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fsys, err := d.GetFilesystem(0)
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		f, err := fsys.OpenFile("/"+name, os.O_RDONLY)
		if err != nil {
			t.Errorf("open %s: %v", name, err)
			continue
		}
		got, _ := io.ReadAll(f)
		if !bytes.Equal(got, readAll(t, src)) {
			t.Errorf("%s holds %d bytes, not its source's", name, len(got))
		}
		fi, err := fsys.Stat(name)
		if err != nil {
			t.Errorf("stat %s: %v", name, err)
		} else if !fi.ModTime().Equal(fixedTime) {
			t.Errorf("%s is dated %s, want %s", name, fi.ModTime(), fixedTime)
		}
	}
}

// TestESPWithMtools reads the image with mtools, as a second, independent
// FAT reader, and checks it with fsck.fat.
func TestESPWithMtools(t *testing.T) {
	t.Parallel()
	needTool(t, "mdir", "mtools")
	needTool(t, "fsck.fat", "dosfstools")
	img := filepath.Join(t.TempDir(), "efi.img")
	if err := MakeESP(img, espFiles(t), fixedTime); err != nil {
		t.Fatal(err)
	}
	out := run(t, "mdir", "-i", img, "-b", "-/", "::/")
	for _, want := range []string{"::/EFI/BOOT/BOOTX64.EFI", "::/loader/entries/kubexm.conf"} {
		if !strings.Contains(out, want) {
			t.Errorf("mdir does not list %s:\n%s", want, out)
		}
	}
	if got := run(t, "mtype", "-i", img, "::/loader/loader.conf"); got != "default kubexm.conf\ntimeout 0\n" {
		t.Errorf("loader.conf reads %q", got)
	}
	if label := run(t, "mlabel", "-i", img, "-s", "::"); !strings.Contains(label, ESPLabel) {
		t.Errorf("label %q, want %s", label, ESPLabel)
	}
	run(t, "fsck.fat", "-n", img)
}

func TestESPRefuses(t *testing.T) {
	t.Parallel()
	files := espFiles(t)
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no files", nil, "no files"},
		{"absolute path", map[string]string{"/EFI/x": files["vmlinuz"]}, `"/EFI/x"`},
		{"escaping path", map[string]string{"../x": files["vmlinuz"]}, `"../x"`},
		{"missing source", map[string]string{"vmlinuz": "/nonexistent"}, "vmlinuz: stat /nonexistent"},
		{"folder source", map[string]string{"vmlinuz": t.TempDir()}, "is not a file"},
	}
	out := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(out, strings.ReplaceAll(tt.name, " ", "-")+".img")
			err := MakeESP(dst, tt.files, fixedTime)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if left, _ := filepath.Glob(dst + "*"); len(left) > 0 {
				t.Errorf("a failed write left %q", left)
			}
		})
	}
}

// TestFATSize checks the sizing against go-diskfs's cluster sizes: each
// volume must fall in the size band of the cluster size it was sized for.
func TestFATSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		sizes    []int64
		min, max int64
	}{
		{"tiny", []int64{10}, fatMinSize, fatMinSize + SectorSize},
		{"kernel and initramfs", []int64{8 << 20, 30 << 20}, 38 << 20, 40 << 20},
		{"past a band's edge", []int64{32 << 20}, 32<<20 + 1, 34 << 20},
	}
	for _, tt := range tests {
		got, err := fatSize(tt.sizes, 3)
		if err != nil || got < tt.min || got > tt.max || got%SectorSize != 0 {
			t.Errorf("%s: size %d (%v), want %d to %d", tt.name, got, err, tt.min, tt.max)
		}
	}
	if _, err := fatSize([]int64{3 << 30}, 1); err == nil {
		t.Error("3 GiB fit in FAT16")
	}
}
