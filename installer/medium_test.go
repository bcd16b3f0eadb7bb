package installer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeBlock makes a sysfs block directory and a /dev whose device nodes
// are the given images (a name with no image gets an empty file): the
// label reading is real, only the device nodes are regular files.
func fakeBlock(t *testing.T, images map[string]string) (sysBlock, dev string) {
	t.Helper()
	root := t.TempDir()
	sysBlock, dev = filepath.Join(root, "sys"), filepath.Join(root, "dev")
	for _, d := range []string{sysBlock, dev} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, img := range images {
		if err := os.Mkdir(filepath.Join(sysBlock, name), 0o755); err != nil {
			t.Fatal(err)
		}
		node := filepath.Join(dev, name)
		var err error
		if img == "" {
			err = os.WriteFile(node, nil, 0o600)
		} else {
			err = os.Symlink(img, node)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return sysBlock, dev
}

func TestFindVolume(t *testing.T) {
	iso := makeISO(t, t.TempDir(), BootLabel)
	fat := makeFAT(t, 2, 12, KeysLabel)
	sysBlock, dev := fakeBlock(t, map[string]string{
		"loop0": iso, // not a kind of device a medium is on
		"sda":   "", "sda1": fat, "sr0": iso, "zram0": iso,
	})

	tests := []struct {
		label, want, fs string
	}{
		{label: BootLabel, want: "sr0", fs: FSISO9660},
		{label: KeysLabel, want: "sda1", fs: FSVFAT},
		{label: "kubexm-keys", want: "sda1", fs: FSVFAT},
	}
	for _, tt := range tests {
		d, err := FindVolume(sysBlock, dev, tt.label)
		if err != nil {
			t.Fatalf("%s: %v", tt.label, err)
		}
		if d.Path != filepath.Join(dev, tt.want) || d.FS != tt.fs {
			t.Errorf("%s: got %+v, want %s (%s)", tt.label, d, tt.want, tt.fs)
		}
	}

	_, err := FindVolume(sysBlock, dev, "OTHER")
	for _, want := range []string{"no medium labelled OTHER among 3 block devices",
		`sda1 (vfat "KUBEXM-KEYS")`, `sr0 (iso9660 "KUBEXM")`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

// TestWaitForVolumeLateDevice plugs the medium in while the installer is
// looking, as a USB stick that enumerates late would appear.
func TestWaitForVolumeLateDevice(t *testing.T) {
	iso := makeISO(t, t.TempDir(), BootLabel)
	sysBlock, dev := fakeBlock(t, map[string]string{"sr0": ""})

	var progress []string
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = os.Mkdir(filepath.Join(sysBlock, "sdb"), 0o755)
		_ = os.Symlink(iso, filepath.Join(dev, "sdb"))
	}()
	d, err := WaitForVolume(context.Background(), sysBlock, dev, BootLabel, Wait{
		Timeout: 10 * time.Second, Interval: 100 * time.Millisecond,
		Progress: func(s string) { progress = append(progress, s) },
	})
	if err != nil || filepath.Base(d.Path) != "sdb" {
		t.Fatalf("got %+v, %v; want sdb", d, err)
	}
	if len(progress) == 0 || !strings.Contains(progress[0], "looking again") {
		t.Errorf("no progress while waiting: %q", progress)
	}
}

func TestWaitForVolumeGivesUp(t *testing.T) {
	sysBlock, dev := fakeBlock(t, map[string]string{"sr0": ""})
	start := time.Now()
	_, err := WaitForVolume(context.Background(), sysBlock, dev, BootLabel, Wait{
		Timeout: 300 * time.Millisecond, Interval: 50 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "no medium labelled KUBEXM") {
		t.Errorf("got %v, want a not-found error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s to give up after 300ms", time.Since(start))
	}
}
