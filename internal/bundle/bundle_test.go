package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var epoch = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// tree writes a small .kubexm tree of random content and returns its path.
func tree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), Dir)
	rng := rand.New(rand.NewPCG(1, 2))
	kubeadm, _ := Binary("kubernetes", "v1.37.2", "amd64", "kubeadm")
	chart, _ := Chart("flannel", "v0.28.9")
	iso, _ := OSPackages("debian", "12", "amd64")
	files := map[string]int{
		kubeadm: 300 << 10, chart: 20 << 10, iso: 64 << 10,
		"images/oci-layout": 30, "images/index.json": 200,
		"images/blobs/sha256/aa": 100 << 10, "images/blobs/sha256/bb": 0,
	}
	for rel, size := range files {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.IntN(256))
		}
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if rel == kubeadm {
			mode = 0o755
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func pack(t *testing.T, dir string, c Compression) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "kubexm.tar")
	origins := map[string]Origin{"kubernetes/v1.37.2/amd64/kubeadm": {
		Source:    "https://mirror.test/release/v1.37.2/bin/linux/amd64/kubeadm",
		Component: "kubernetes", Version: "v1.37.2", Arch: "amd64"}}
	if err := Pack(context.Background(), dir, out, PackOptions{Compression: c, ModTime: epoch,
		Origins: origins}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPackIsDeterministicAndVerifies(t *testing.T) {
	for _, c := range []Compression{Gzip, Zstd} {
		t.Run(string(c), func(t *testing.T) {
			dir := tree(t)
			a, b := pack(t, dir, c), pack(t, dir, c)
			da, _ := os.ReadFile(a)
			db, _ := os.ReadFile(b)
			if !bytes.Equal(da, db) {
				t.Errorf("two packs of one tree differ (%d and %d bytes)", len(da), len(db))
			}
			// A bundle is copied and read by others: not a temporary file's 0600.
			if fi, err := os.Stat(a); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("the bundle's mode is %v (%v), want 0644", fi.Mode().Perm(), err)
			}
			m, err := Verify(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Files) != 7 {
				t.Errorf("manifest lists %d files, want 7", len(m.Files))
			}
			f, _ := m.lookup("kubernetes/v1.37.2/amd64/kubeadm")
			if f.Source == "" || f.Component != "kubernetes" || f.Size != 300<<10 {
				t.Errorf("kubeadm entry = %+v", f)
			}
			if f, _ := m.lookup("helm/flannel/v0.28.9/flannel-v0.28.9.tgz"); f.Component != "helm/flannel" {
				t.Errorf("chart entry from its path = %+v", f)
			}
			if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(a), ".*partial*")); len(matches) > 0 {
				t.Errorf("temporary files left: %v", matches)
			}
		})
	}
}

func TestPackLeavesOutExcludedEntries(t *testing.T) {
	dir := tree(t)
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "logs", "run.log"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "kubexm.tar.gz")
	if err := Pack(context.Background(), dir, out, PackOptions{Exclude: []string{"logs"}}); err != nil {
		t.Fatal(err)
	}
	m, err := Verify(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.lookup("logs/run.log"); ok || len(m.Files) != 7 {
		t.Errorf("the manifest lists %d files (logs/run.log: %v); want the 7 of the tree", len(m.Files), ok)
	}
}

func TestUnpackVerifiesAndARerunKeepsFiles(t *testing.T) {
	dir := tree(t)
	tarball := pack(t, dir, Gzip)
	parent := t.TempDir()

	stats, err := Unpack(context.Background(), tarball, parent)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Written != 7 || stats.Kept != 0 {
		t.Errorf("first unpack: %+v, want 7 written", stats)
	}
	kubeadm := filepath.Join(parent, Dir, "kubernetes/v1.37.2/amd64/kubeadm")
	if fi, err := os.Stat(kubeadm); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("kubeadm: %v, %v; want it runnable", fi, err)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "images/blobs/sha256/aa"))
	got, _ := os.ReadFile(filepath.Join(parent, Dir, "images/blobs/sha256/aa"))
	if !bytes.Equal(want, got) {
		t.Errorf("an extracted blob differs from the packed one")
	}

	stats, err = Unpack(context.Background(), tarball, parent)
	if err != nil || stats.Written != 0 || stats.Kept != 7 {
		t.Errorf("second unpack: %+v, %v; want all 7 kept", stats, err)
	}

	// A file damaged on disk is written again.
	if err := os.WriteFile(kubeadm, []byte("damaged"), 0o755); err != nil {
		t.Fatal(err)
	}
	stats, err = Unpack(context.Background(), tarball, parent)
	if err != nil || stats.Written != 1 {
		t.Errorf("unpack over a damaged file: %+v, %v; want it rewritten", stats, err)
	}
}

// entry of a hand-made tarball.
type tarEntry struct {
	hdr  tar.Header
	data string
}

func reg(name, data string) tarEntry {
	return tarEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644,
		Size: int64(len(data))}, data: data}
}

// manifestFor lists the given name -> content pairs.
func manifestFor(files ...[2]string) tarEntry {
	m := &Manifest{Version: ManifestVersion}
	for _, f := range files {
		sum := sha256.Sum256([]byte(f[1]))
		m.Files = append(m.Files, File{Path: f[0], Size: int64(len(f[1])),
			SHA256: hex.EncodeToString(sum[:])})
	}
	data, _ := m.Encode()
	return reg(".kubexm/manifest.json", string(data))
}

func craft(t *testing.T, entries []tarEntry, cut int) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	zw.Close()
	data := buf.Bytes()
	if cut > 0 {
		data = data[:len(data)-cut]
	}
	p := filepath.Join(t.TempDir(), "bad.tar.gz")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadBundles(t *testing.T) {
	ok := [2]string{"a/v1/amd64/tool", "the tool"}
	big := strings.Repeat("kubexm ", 20000)
	tests := []struct {
		name    string
		entries []tarEntry
		cut     int
		want    string
	}{
		{name: "dot-dot entry", entries: []tarEntry{manifestFor(ok),
			reg(".kubexm/../../etc/cron.d/x", "evil")}, want: `leads outside the bundle`},
		{name: "absolute path", entries: []tarEntry{manifestFor(ok), reg("/etc/passwd", "x")},
			want: `entry "/etc/passwd" is outside .kubexm/`},
		{name: "symlink out of the tree", entries: []tarEntry{manifestFor(ok),
			{hdr: tar.Header{Name: ".kubexm/a/link", Typeflag: tar.TypeSymlink,
				Linkname: "../../../etc/shadow"}}},
			want: `entry ".kubexm/a/link" is a link to "../../../etc/shadow": it points outside the bundle`},
		{name: "device file", entries: []tarEntry{manifestFor(ok),
			{hdr: tar.Header{Name: ".kubexm/a/dev", Typeflag: tar.TypeChar, Devmajor: 1}}},
			want: `entry ".kubexm/a/dev" is a device`},
		{name: "flipped byte", entries: []tarEntry{manifestFor(ok),
			reg(".kubexm/a/v1/amd64/tool", "the toal")},
			want: "corrupt .kubexm/a/v1/amd64/tool (sha256"},
		{name: "missing file", entries: []tarEntry{manifestFor(ok, [2]string{"b/v1/amd64/x", "x"}),
			reg(".kubexm/a/v1/amd64/tool", "the tool")}, want: "missing .kubexm/b/v1/amd64/x"},
		{name: "extra file", entries: []tarEntry{manifestFor(ok),
			reg(".kubexm/a/v1/amd64/tool", "the tool"), reg(".kubexm/stowaway", "x")},
			want: "extra .kubexm/stowaway (not in the manifest)"},
		{name: "duplicate entry", entries: []tarEntry{manifestFor(ok),
			reg(".kubexm/a/v1/amd64/tool", "the tool"), reg(".kubexm/a/v1/amd64/tool", "the tool")},
			want: "extra .kubexm/a/v1/amd64/tool (a second copy)"},
		{name: "size claimed beyond the manifest", entries: []tarEntry{manifestFor(ok),
			reg(".kubexm/a/v1/amd64/tool", "the tool, and then much more")},
			want: "corrupt .kubexm/a/v1/amd64/tool (28 bytes, manifest says 8)"},
		{name: "no manifest first", entries: []tarEntry{reg(".kubexm/a/v1/amd64/tool", "the tool"),
			manifestFor(ok)}, want: "manifest.json must be the first file"},
		{name: "cut trailer", entries: []tarEntry{manifestFor(ok),
			reg(".kubexm/a/v1/amd64/tool", "the tool")}, cut: 4, want: "truncated"},
		{name: "truncated end", entries: []tarEntry{manifestFor([2]string{"a/v1/amd64/big", big}),
			reg(".kubexm/a/v1/amd64/big", big)}, cut: 200, want: "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tarball := craft(t, tt.entries, tt.cut)

			_, verr := Verify(context.Background(), tarball)
			if verr == nil || !strings.Contains(verr.Error(), tt.want) {
				t.Errorf("Verify: %v, want %q", verr, tt.want)
			}

			parent := t.TempDir()
			_, uerr := Unpack(context.Background(), tarball, parent)
			if uerr == nil || !strings.Contains(uerr.Error(), tt.want) {
				t.Errorf("Unpack: %v, want %q", uerr, tt.want)
			}
			if _, err := os.Stat(filepath.Join(parent, Dir, ManifestName)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed unpack left a manifest: the tree looks complete")
			}
			// Only a good file that came before the fault may be there.
			bad := []string{"stowaway", "a/link", "a/dev"}
			if !slices.Contains([]string{"missing file", "extra file", "cut trailer", "duplicate entry"},
				tt.name) {
				bad = append(bad, "a/v1/amd64/tool")
			}
			for _, b := range bad {
				if _, err := os.Lstat(filepath.Join(parent, Dir, b)); err == nil {
					t.Errorf("%s was written", b)
				}
			}
			if _, err := os.Stat(filepath.Join(parent, "..", "etc")); err == nil {
				t.Errorf("something was written outside the destination")
			}
		})
	}
}

func TestLayoutPaths(t *testing.T) {
	tests := []struct {
		name string
		got  func() (string, error)
		want string
		err  string
	}{
		{name: "binary", got: func() (string, error) {
			return Binary("containerd", "v2.4.2", "amd64", "containerd-2.4.2-linux-amd64.tar.gz")
		}, want: "containerd/v2.4.2/amd64/containerd-2.4.2-linux-amd64.tar.gz"},
		{name: "chart", got: func() (string, error) { return Chart("coredns", "1.46.2") },
			want: "helm/coredns/1.46.2/coredns-1.46.2.tgz"},
		{name: "os", got: func() (string, error) { return OSPackages("ubuntu", "22.04", "amd64") },
			want: "os/ubuntu/22.04/amd64/ubuntu-22.04-amd64.iso"},
		{name: "slash in a version", got: func() (string, error) {
			return Binary("etcd", "v3/../../x", "amd64", "etcd")
		}, err: `"v3/../../x" cannot be a path element`},
		{name: "the helm program beside the charts", got: func() (string, error) {
			return Binary("helm", "v4.3.2", "amd64", "helm-v4.3.2-linux-amd64.tar.gz")
		}, want: "helm-cli/v4.3.2/amd64/helm-v4.3.2-linux-amd64.tar.gz"},
		{name: "reserved component", got: func() (string, error) {
			return Binary("os", "v1", "amd64", "x")
		}, err: `component "os": the name is taken`},
		{name: "boot", got: func() (string, error) { return Boot("amd64", "vmlinuz") },
			want: "boot/amd64/vmlinuz"},
		{name: "boot is not a component", got: func() (string, error) {
			return Binary("boot", "v1", "amd64", "x")
		}, err: `component "boot": the name is taken`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
