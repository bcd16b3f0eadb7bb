package mirror

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// These tests are fast and need no build: they run in make test. The mirror as a whole is
// tested by e2e_test.go (build tag e2e).

func TestParseStaging(t *testing.T) {
	t.Parallel()

	goMod := `module k8s.io/kubernetes

require k8s.io/api v0.0.0

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	github.com/other/mod => github.com/other/mod v1.2.3
)

replace k8s.io/kubelet => ./staging/src/k8s.io/kubelet
`
	got := parseStaging([]byte(goMod))
	want := []string{"k8s.io/api", "k8s.io/client-go", "k8s.io/kubelet"}
	if !slices.Equal(got, want) {
		t.Errorf("parseStaging = %v, want %v", got, want)
	}
}

func TestPackageNames(t *testing.T) {
	t.Parallel()

	out := "iptables\n  Depends: libc6\n  Depends: <libxtables12>\nlibc6\n  Depends: libgcc-s1\n" +
		"<debconf-2.0>\nlibgcc-s1\nlibc6\n"
	got := packageNames([]byte(out))
	if want := []string{"iptables", "libc6", "libgcc-s1"}; !slices.Equal(got, want) {
		t.Errorf("packageNames = %v, want %v", got, want)
	}
}

func TestBinName(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, pkg, want string
	}{
		{"plain", "k8s.io/kubernetes/cmd/kubeadm", "kubeadm"},
		{"major version suffix", "go.etcd.io/etcd/server/v3", "server"},
		{"module root", "github.com/coredns/coredns", "coredns"},
		{"not a version", "example.com/tools/vet", "vet"},
		{"v alone", "example.com/x/v", "v"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := binName(tc.pkg); got != tc.want {
				t.Errorf("binName(%q) = %q, want %q", tc.pkg, got, tc.want)
			}
		})
	}
}

func TestWrapperGoMod(t *testing.T) {
	t.Parallel()

	r := recipe{name: "etcd", require: []string{"go.etcd.io/etcd/server/v3 v3.7.3"}}
	got := string(wrapperGoMod(r, map[string]string{"b/mod": "b/mod v2", "a/mod": "a/mod v1"}))
	for _, want := range []string{"module kubexm.invalid/upstream/etcd\n",
		"require (\n\tgo.etcd.io/etcd/server/v3 v3.7.3\n)\n",
		"replace (\n\ta/mod => a/mod v1\n\tb/mod => b/mod v2\n)\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("wrapper go.mod lacks %q:\n%s", want, got)
		}
	}
}

// TestPublish packs a release in each checksum format and reads it back.
func TestPublish(t *testing.T) {
	t.Parallel()

	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "tool"), []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		spec    releaseSpec
		members []string
		sumLine bool
	}{
		{"program, bare digest", releaseSpec{dir: "dl.example/v1", name: "tool",
			program: filepath.Join(bin, "tool"), sumName: "tool.sha256", sumFormat: sumBare},
			nil, false},
		{"archive, sha256sum line", releaseSpec{dir: "gh.example/v1", name: "tool-v1.tar.gz",
			members: programs(bin, "bin/", "tool"), sumName: "SHA256SUMS", sumFormat: sumLine},
			[]string{"bin/tool"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			f, err := publish(root, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			sums, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.SumPath)))
			if err != nil {
				t.Fatal(err)
			}

			want := f.SHA256
			if tc.sumLine {
				want += "  " + tc.spec.name + "\n"
			}
			if string(sums) != want {
				t.Errorf("checksum file = %q, want %q", sums, want)
			}
			if tc.members != nil {
				got := tarNames(t, filepath.Join(root, filepath.FromSlash(f.Path)))
				if !slices.Equal(got, tc.members) {
					t.Errorf("archive holds %v, want %v", got, tc.members)
				}
			}
		})
	}
}

func tarNames(t *testing.T, name string) []string {
	t.Helper()

	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
	}
}

// TestLayerIsReproducible builds the same layer twice and checks the digests agree, so that
// a rebuilt image is the same image.
func TestLayerIsReproducible(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pause"), []byte("program"), 0o755); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(tree, "usr", "sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("xtables-nft-multi", filepath.Join(tree, "usr", "sbin", "iptables")); err != nil {
		t.Fatal(err)
	}

	spec := layerSpec{tree: tree, files: []layerFile{{path: "/usr/local/bin/pause",
		src: filepath.Join(dir, "pause"), mode: 0o755}}}
	var digests []string
	for range 2 {
		l, err := spec.layer()
		if err != nil {
			t.Fatal(err)
		}
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
	}
	if digests[0] != digests[1] {
		t.Errorf("the same layer has two digests: %v", digests)
	}
}

func TestSourcesYAML(t *testing.T) {
	t.Parallel()

	m := &Mirror{HTTPURL: "http://127.0.0.1:1", Registry: "127.0.0.1:2", CAFile: "/ca.crt",
		ChartRepo: "http://127.0.0.1:1/charts"}
	got := m.SourcesYAML()
	for _, want := range []string{
		"  caBundle: /ca.crt\n",
		"      kubernetes: http://127.0.0.1:1/dl.k8s.io\n",
		"      containerd: http://127.0.0.1:1/github.com/containerd/containerd/releases/download\n",
		"      registry.k8s.io: 127.0.0.1:2/registry.k8s.io\n",
		"      https://flannel-io.github.io/flannel: http://127.0.0.1:1/charts\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("sources block lacks %q:\n%s", want, got)
		}
	}
}
