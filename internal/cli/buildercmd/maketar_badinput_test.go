package buildercmd

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/builder/buildertest"
	"github.com/kubexm/kubexm/builder/images"
	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/fetch/fetchtest"
	"github.com/kubexm/kubexm/qemu-tests/upstream/faultserver"
)

// oneNode is the hosts part of the make-tar test configs.
var oneNode = clusterYAML("    - name: node1\n      address: 10.0.0.1\n      password: pw\n")

// TestMakeTarRefusesBadInput runs make-tar end to end on the bad input of the issue that
// reaches it through a config or an upstream: each error names the artifact at fault, and
// no bundle is written.
func TestMakeTarRefusesBadInput(t *testing.T) {
	const kubeadm = "/kubernetes/release/v1.37.2/bin/linux/amd64/kubeadm"
	cases := []struct {
		name  string
		spec  string // more of the config's spec, before the artifacts block
		extra string // more of the artifacts block
		fault func(*buildertest.Upstream)
		want  []string
	}{
		{name: "unknown Kubernetes version", spec: "  kubernetes:\n    version: v1.99.0\n",
			want: []string{"kubernetes", "v1.99.0"}},
		{name: "checksum mismatch", fault: func(u *buildertest.Upstream) {
			u.Files.SetFault(kubeadm+".sha256", faultserver.Fault{WrongChecksum: true})
		}, want: []string{"kubeadm", "checksum mismatch"}},
		{name: "binary not found", fault: func(u *buildertest.Upstream) {
			u.Files.SetFault(kubeadm, faultserver.Fault{FailFirst: 100, FailStatus: 404})
		}, want: []string{"kubeadm", "404"}},
		{name: "image not found",
			extra: "    extraImages:\n      - registry.k8s.io/no-such-image:v1\n",
			want:  []string{"registry.k8s.io/no-such-image:v1", "not found"}},
		{name: "chart not found", extra: "    extraCharts:\n      - name: flannel\n" +
			"        repo: https://flannel-io.github.io/flannel\n        version: v9.9.9\n",
			want: []string{"flannel", "v9.9.9"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := buildertest.Start(t)
			if tc.fault != nil {
				tc.fault(up)
			}
			t.Setenv("KUBEXM_CACHE", t.TempDir())
			cfg := writeConfig(t, oneNode+tc.spec+up.Sources+tc.extra)
			out := filepath.Join(t.TempDir(), "kubexm.tar.gz")

			code, stdout, stderr := execute(t, NewBuilder(), "make-tar", "-f", cfg, "-o", out,
				"--workdir", filepath.Join(t.TempDir(), bundle.Dir))
			t.Log(lastLine(stderr))
			if code == 0 {
				t.Fatalf("make-tar succeeded:\n%s", stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("the error does not name %q:\n%s", w, stderr)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written by a failed run", out)
			}
		})
	}
}

// TestMakeTarIntoAFullWorkDir collects into a work tree on a disk half the size the tree
// needs: make-tar fails saying the disk is full and naming a file, writes no bundle, and
// every file it leaves in the tree under its final name is whole (the same as in a tree
// collected with room to spare).
func TestMakeTarIntoAFullWorkDir(t *testing.T) {
	up := buildertest.Start(t)
	t.Setenv("KUBEXM_CACHE", t.TempDir())
	cfg := writeConfig(t, oneNode+up.Sources)
	makeTar := func(work string) (int, string, string) {
		t.Helper()
		out := filepath.Join(filepath.Dir(work), "kubexm.tar.gz")
		code, _, stderr := execute(t, NewBuilder(), "make-tar", "-f", cfg, "-o", out,
			"--workdir", work)
		return code, out, stderr
	}

	// 1. The tree collected with room, for its size and its files.
	ref := filepath.Join(t.TempDir(), bundle.Dir)
	if code, _, stderr := makeTar(ref); code != 0 {
		t.Fatalf("make-tar with room: exit %d\n%s", code, stderr)
	}
	size := treeSize(t, ref)

	// 2. The same into half the room. The download cache is elsewhere, so what fills up
	// is the tree itself.
	t.Setenv("KUBEXM_CACHE", t.TempDir())
	disk := fetchtest.SmallDisk(t, size/2)
	work := filepath.Join(disk, bundle.Dir)
	code, out, stderr := makeTar(work)
	if code == 0 || !strings.Contains(stderr, "no space left on device") ||
		!strings.Contains(stderr, disk) {
		t.Fatalf("make-tar into a full disk: exit %d, want a failure naming a file on %s:\n%s",
			code, disk, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written by a failed run", out)
	}
	t.Log(lastLine(stderr))
	checkWholeFiles(t, work, ref)
}

// treeSize is the bytes of the regular files under dir.
func treeSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		n += fi.Size()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkWholeFiles checks that every file of the tree at work under a final name (not a
// temporary one, not the run's log) is the file of the same name in the tree at ref. The
// image index is the exception: it lists the images saved so far, so it must only be
// readable and name blobs that are there. A failed run leaves no manifest.json, the mark
// of a finished tree.
func checkWholeFiles(t *testing.T, work, ref string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(work, bundle.ManifestName)); err == nil {
		t.Errorf("a failed run left %s in the tree", bundle.ManifestName)
	}
	checked, bad := 0, 0
	err := filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(work, p)
		if strings.HasPrefix(rel, "logs"+string(filepath.Separator)) ||
			strings.Contains(d.Name(), ".partial") || strings.Contains(d.Name(), ".tmp") {
			return nil
		}
		checked++
		if rel == filepath.Join(bundle.ImagesDir, "index.json") {
			bad += checkImageIndex(t, filepath.Join(work, bundle.ImagesDir))
			return nil
		}
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		want, err := os.ReadFile(filepath.Join(ref, rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is left under its final name, %d bytes, and is not the whole file",
				rel, len(got))
			bad++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files under their final names, %d of them not whole", checked, bad)
}

// checkImageIndex checks that the index.json of the layout at dir reads, and that each
// image it lists has its manifest blob in the layout; it returns the number of faults.
func checkImageIndex(t *testing.T, dir string) int {
	t.Helper()
	list, err := images.List(dir)
	if err != nil {
		t.Errorf("the image index left by a failed run does not read: %v", err)
		return 1
	}
	faults := 0
	for _, img := range list {
		blob := filepath.Join(dir, "blobs", img.Digest.Algorithm, img.Digest.Hex)
		if _, err := os.Stat(blob); err != nil {
			t.Errorf("the image index lists %s, whose manifest is not in the layout", img.Ref)
			faults++
		}
	}
	return faults
}

// lastLine is the last line of a command's output: make-tar's error.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
