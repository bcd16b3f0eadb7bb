package ospkg

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	diskfs "github.com/diskfs/go-diskfs"

	"github.com/kubexm/kubexm/internal/testenv"
)

// isoTree makes a small tree like a repository's.
func isoTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Release"), []byte("Origin: kubexm\n"))
	writeFile(t, filepath.Join(dir, "pool/libn/libnetfilter-conntrack3/"+
		"libnetfilter-conntrack3_1.0.9-3_amd64.deb"), bytes.Repeat([]byte("x"), 5000))
	writeFile(t, filepath.Join(dir, "pool/s/socat/socat_1.7.4.4-2_amd64.deb"), []byte("y"))
	return dir
}

func TestPackISOIsReproducible(t *testing.T) {
	t.Parallel()
	dir := isoTree(t)
	out := t.TempDir()
	a, b := filepath.Join(out, "a.iso"), filepath.Join(out, "b.iso")
	if err := PackISO(dir, a, VolumeLabel, fixedTime); err != nil {
		t.Fatal(err)
	}

	// A later wall clock, other file times and change times: same image.
	time.Sleep(1100 * time.Millisecond)
	now := time.Now()
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
		return os.Chtimes(p, now, now)
	})
	if err := PackISO(dir, b, VolumeLabel, fixedTime); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, a), readAll(t, b)) {
		t.Fatal("two images of the same tree and time differ")
	}

	if _, err := os.Stat(filepath.Join(dir, "pool/s/socat/socat_1.7.4.4-2_amd64.deb")); err != nil {
		t.Errorf("packing changed the source tree: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(out, "*")); len(left) != 2 {
		t.Errorf("packing left %q beside the images", left)
	}
}

func TestPackISOTimesAndNames(t *testing.T) {
	t.Parallel()
	dst := filepath.Join(t.TempDir(), "os.iso")
	if err := PackISO(isoTree(t), dst, VolumeLabel, fixedTime); err != nil {
		t.Fatal(err)
	}
	d, err := diskfs.Open(dst, diskfs.WithOpenMode(diskfs.ReadOnly))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fsys, err := d.GetFilesystem(0)
	if err != nil {
		t.Fatal(err)
	}

	long := "pool/libn/libnetfilter-conntrack3/libnetfilter-conntrack3_1.0.9-3_amd64.deb"
	for _, p := range []string{"Release", "pool", "pool/s/socat", long} {
		fi, err := fsys.Stat(p)
		if err != nil {
			t.Errorf("stat %s (a Rock Ridge name): %v", p, err)
			continue
		}
		if !fi.ModTime().Equal(fixedTime) {
			t.Errorf("%s is dated %s, want %s", p, fi.ModTime().UTC(), fixedTime)
		}
	}
	const pvdOffset, pvdCreated = 16 * 2048, 813 // ECMA-119
	pvd := readAll(t, dst)[pvdOffset:]
	if got := string(pvd[pvdCreated : pvdCreated+16]); got != "2025052012000000" {
		t.Errorf("volume created %q, want 2025052012000000", got)
	}
	if got := string(pvd[40:72]); got != VolumeLabel+strings.Repeat(" ", 32-len(VolumeLabel)) {
		t.Errorf("volume identifier %q", got)
	}
}

func TestPackISORefuses(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	cases := []struct {
		name, dir, label, want string
	}{
		{"lower-case label", isoTree(t), "kubexm", `label "kubexm"`},
		{"long label", isoTree(t), strings.Repeat("A", 33), "label"},
		{"missing tree", filepath.Join(out, "nothing"), VolumeLabel, "staging"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(out, strings.ReplaceAll(tc.name, " ", "-")+".iso")
			err := PackISO(tc.dir, dst, tc.label, fixedTime)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
			if left, _ := filepath.Glob(dst + "*"); len(left) > 0 {
				t.Errorf("a failed pack left %q", left)
			}
		})
	}
}

// TestPackISORootIsReadableByAll: apt reads the mounted repository as its
// unprivileged _apt user, so the image's root folder must be open to all.
func TestPackISORootIsReadableByAll(t *testing.T) {
	xorriso, err := exec.LookPath("xorriso")
	if err != nil {
		testenv.Missing(t, "%s", "xorriso not installed")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Packages"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "repo.iso")
	if err := PackISO(dir, dst, VolumeLabel, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xorriso, "-indev", dst, "-lsdl", "/").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "drwxr-xr-x") {
		t.Errorf("the image's root folder is not 0755: %v\n%s", err, out)
	}
}
