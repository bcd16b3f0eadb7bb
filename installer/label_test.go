package installer

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/kubexm/kubexm/internal/testenv"
)

// needTool skips a test whose tool is missing, except on CI where every
// tool the tests use must be installed.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		testenv.Missing(t, "%s is not installed: %v", name, err)
	}
}

func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// makeISO writes an ISO 9660 image of dir labelled label with xorriso, the
// tool make-tar's ISO is checked against.
func makeISO(t *testing.T, dir, label string) string {
	t.Helper()
	needTool(t, "xorriso")
	img := filepath.Join(t.TempDir(), "medium.iso")
	runTool(t, "xorriso", "-abort_on", "FAILURE", "-outdev", img, "-volid", label,
		"-map", dir, "/")
	return img
}

// makeFAT writes a FAT image of the given size in MiB and FAT bits,
// labelled label, with mkfs.vfat as an operator would.
func makeFAT(t *testing.T, mib, bits int, label string) string {
	t.Helper()
	needTool(t, "mkfs.vfat")
	img := filepath.Join(t.TempDir(), "keys.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, int64(mib)<<20); err != nil {
		t.Fatal(err)
	}
	args := []string{"-F", strconv.Itoa(bits)}
	if label != "" {
		args = append(args, "-n", label)
	}
	runTool(t, "mkfs.vfat", append(args, img)...)
	return img
}

func TestReadVolumeISO(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigName), []byte("kind: Cluster\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{BootLabel, KeysLabel} {
		t.Run(label, func(t *testing.T) {
			v, err := ReadVolumeFile(makeISO(t, dir, label))
			if err != nil {
				t.Fatal(err)
			}
			if v != (Volume{FS: FSISO9660, Label: label}) {
				t.Errorf("got %+v, want iso9660 %q", v, label)
			}
		})
	}
}

// TestReadVolumeHybridISO checks that an ISO whose system area holds an
// MBR, as a hybrid ISO written to a USB stick does, is read as ISO 9660.
func TestReadVolumeHybridISO(t *testing.T) {
	img := makeISO(t, t.TempDir(), BootLabel)
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	mbr := make([]byte, 512)
	mbr[0], mbr[11], mbr[13], mbr[14], mbr[16] = 0xEB, 0x02, 1, 1, 2 // a plausible BPB
	mbr[510], mbr[511] = 0x55, 0xAA
	if _, err := f.WriteAt(mbr, 0); err != nil {
		t.Fatal(err)
	}
	f.Close()

	v, err := ReadVolumeFile(img)
	if err != nil || v.FS != FSISO9660 || v.Label != BootLabel {
		t.Errorf("got %+v, %v; want iso9660 %s", v, err, BootLabel)
	}
}

func TestReadVolumeFAT(t *testing.T) {
	tests := []struct {
		name      string
		mib, bits int
		label     string
	}{
		{name: "FAT12", mib: 2, bits: 12, label: KeysLabel},
		{name: "FAT16", mib: 20, bits: 16, label: KeysLabel},
		{name: "FAT32", mib: 40, bits: 32, label: KeysLabel},
		{name: "FAT32 without label", mib: 40, bits: 32, label: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ReadVolumeFile(makeFAT(t, tt.mib, tt.bits, tt.label))
			if err != nil {
				t.Fatal(err)
			}
			if v != (Volume{FS: FSVFAT, Label: tt.label}) {
				t.Errorf("got %+v, want vfat %q", v, tt.label)
			}
		})
	}
}

func TestReadVolumeNeither(t *testing.T) {
	tests := map[string][]byte{
		"empty":    nil,
		"short":    []byte("not a filesystem"),
		"zeros":    make([]byte, 64<<10),
		"ext4-ish": append(make([]byte, 1080), 0x53, 0xEF),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "disk")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadVolumeFile(path); !errors.Is(err, ErrNoLabel) {
				t.Errorf("got %v, want ErrNoLabel", err)
			}
		})
	}
}
