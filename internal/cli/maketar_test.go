package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/profiles"
	"github.com/kubexm/kubexm/qemu-tests/upstream/faultserver"
)

// binaryMirror publishes a small stand-in for every file of every component
// of the default profile, with its checksum file where the profile says
// upstream puts it, and returns the sources block that points a config at
// it. The upstream mirror of qemu-tests serves the real builds in make e2e.
func binaryMirror(t *testing.T) (*faultserver.Server, string) {
	t.Helper()
	root := t.TempDir()
	fs := faultserver.New(root)
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)

	prof, err := profiles.Default()
	if err != nil {
		t.Fatal(err)
	}
	var sources strings.Builder
	sources.WriteString("  artifacts:\n    sources:\n      binaries:\n")
	for _, c := range prof.Components {
		if len(c.Files) == 0 {
			continue
		}
		base := srv.URL + "/" + c.Name
		files, err := c.Downloads(base, "amd64")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			content := "stand-in for " + f.Name
			sum := sha256.Sum256([]byte(content))
			write(t, root, f.URL, content, false)
			write(t, root, f.ChecksumURL, hex.EncodeToString(sum[:])+"  "+f.Name+"\n", true)
		}
		fmt.Fprintf(&sources, "        %s: %s\n", c.Name, base)
	}
	return fs, sources.String()
}

func write(t *testing.T, root, rawURL, content string, appendTo bool) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, filepath.FromSlash(u.Path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(p, flags, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

func TestMakeTarCollectsBinariesAndASecondRunDownloadsNothing(t *testing.T) {
	fs, sources := binaryMirror(t)
	cfg := writeConfig(t, clusterYAML("    - name: node1\n      address: 10.0.0.1\n"+
		"      password: pw\n")+"  registry:\n    port: 5000\n"+sources)
	t.Setenv("KUBEXM_CACHE", t.TempDir())
	t.Setenv("SOURCE_DATE_EPOCH", "1764547200")

	make := func() string {
		t.Helper()
		dir := t.TempDir()
		out := filepath.Join(dir, "kubexm.tar.gz")
		code, stdout, stderr := execute(t, NewBuilder(), "make-tar", "-f", cfg, "-o", out,
			"--workdir", filepath.Join(dir, bundle.Dir))
		if code != 0 {
			t.Fatalf("make-tar: exit %d\n%s\n%s", code, stdout, stderr)
		}
		return out
	}
	first := make()
	m, err := bundle.Verify(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	for _, want := range []string{"kubernetes/v1.37.2/amd64/kubeadm",
		"containerd/v2.4.2/amd64/containerd-2.4.2-linux-amd64.tar.gz",
		"etcd/v3.7.3/amd64/etcd-v3.7.3-linux-amd64.tar.gz"} {
		if !strings.Contains(strings.Join(paths, "\n"), want) {
			t.Errorf("the bundle lacks %s; it has:\n%s", want, strings.Join(paths, "\n"))
		}
	}
	if strings.Contains(strings.Join(paths, "\n"), "logs/") {
		t.Errorf("the run's logs went into the bundle")
	}

	kubeadm := "/kubernetes/release/v1.37.2/bin/linux/amd64/kubeadm"
	hits := fs.Hits(kubeadm) + fs.Hits(kubeadm+".sha256")
	second := make()
	if got := fs.Hits(kubeadm) + fs.Hits(kubeadm+".sha256"); got != hits {
		t.Errorf("the second make-tar made %d requests for kubeadm, want none", got-hits)
	}
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if string(a) != string(b) {
		t.Errorf("two bundles of one config with one SOURCE_DATE_EPOCH differ")
	}
}
