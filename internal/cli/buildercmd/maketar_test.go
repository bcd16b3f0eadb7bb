package buildercmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubexm/kubexm/builder/buildertest"
	"github.com/kubexm/kubexm/internal/bundle"
)

func TestMakeTarBuildsAVerifiedBundleAndASecondRunDownloadsNothing(t *testing.T) {
	up := buildertest.Start(t)
	cfg := writeConfig(t, clusterYAML("    - name: node1\n      address: 10.0.0.1\n"+
		"      password: pw\n")+"  registry:\n    port: 5000\n"+up.Sources)
	t.Setenv("KUBEXM_CACHE", t.TempDir())
	t.Setenv("SOURCE_DATE_EPOCH", "1764547200")

	// Each run collects into a new work tree: what the second needs comes
	// from the download cache alone.
	build := func() string {
		t.Helper()
		work := filepath.Join(t.TempDir(), bundle.Dir)
		out := filepath.Join(filepath.Dir(work), "kubexm.tar.gz")
		code, stdout, stderr := execute(t, NewBuilder(), "make-tar", "-f", cfg, "-o", out,
			"--workdir", work)
		if code != 0 {
			t.Fatalf("make-tar: exit %d\n%s\n%s", code, stdout, stderr)
		}
		return out
	}
	first := build()
	m, err := bundle.Verify(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	all := strings.Join(paths, "\n")
	for _, want := range []string{
		"kubernetes/v1.37.2/amd64/kubeadm",
		"containerd/v2.4.2/amd64/containerd-2.4.2-linux-amd64.tar.gz",
		"etcd/v3.7.3/amd64/etcd-v3.7.3-linux-amd64.tar.gz",
		"helm-cli/v4.3.2/amd64/helm-v4.3.2-linux-amd64.tar.gz",
		"helm/flannel/v0.28.9/flannel-v0.28.9.tgz",
		"helm/coredns/1.46.2/coredns-1.46.2.tgz",
		"images/index.json",
		"os/debian/12/amd64/debian-12-amd64.iso",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the bundle lacks %s; it has:\n%s", want, all)
		}
	}
	if strings.Contains(all, "logs/") {
		t.Errorf("the run's logs went into the bundle")
	}
	index, err := os.ReadFile(filepath.Join(filepath.Dir(first), bundle.Dir, "images",
		"index.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range []string{"registry.k8s.io/kube-apiserver:v1.37.2",
		"ghcr.io/flannel-io/flannel:v0.28.9", "docker.io/coredns/coredns:1.13.1"} {
		if !strings.Contains(string(index), img) {
			t.Errorf("images/index.json lacks %s (from the profile or a chart)", img)
		}
	}

	kubeadm := "/kubernetes/release/v1.37.2/bin/linux/amd64/kubeadm"
	hits, blobs := up.Files.Hits(kubeadm)+up.Files.Hits(kubeadm+".sha256"), up.BlobGets.Load()
	charts, debs := up.ChartGets.Load(), up.DebGets.Load()
	if charts == 0 || debs == 0 {
		t.Fatalf("the first run fetched %d charts and %d .deb files", charts, debs)
	}
	second := build()
	if got := up.Files.Hits(kubeadm) + up.Files.Hits(kubeadm+".sha256"); got != hits {
		t.Errorf("the second make-tar made %d requests for kubeadm, want none", got-hits)
	}
	if got := up.BlobGets.Load(); got != blobs {
		t.Errorf("the second make-tar fetched %d image blobs, want none", got-blobs)
	}
	if got := up.ChartGets.Load(); got != charts {
		t.Errorf("the second make-tar fetched %d charts, want none", got-charts)
	}
	if got := up.DebGets.Load(); got != debs {
		t.Errorf("the second make-tar fetched %d .deb files, want none", got-debs)
	}
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if string(a) != string(b) {
		ma, _ := bundle.Verify(context.Background(), first)
		mb, _ := bundle.Verify(context.Background(), second)
		t.Errorf("two bundles of one config with one SOURCE_DATE_EPOCH differ:\n%s",
			cmp.Diff(ma, mb))
	}
}
