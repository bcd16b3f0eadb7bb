package binaries

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/fetch"
	"github.com/kubexm/kubexm/internal/host"
	"github.com/kubexm/kubexm/profiles"
	"github.com/kubexm/kubexm/qemu-tests/upstream/faultserver"
)

// publish writes a release file and its bare checksum file under root.
func publish(t *testing.T, root, rel, content string, sumFile func(sum, name string) (string, string)) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256([]byte(content))
	name, body := sumFile(hex.EncodeToString(s[:]), filepath.Base(p))
	f, err := os.OpenFile(filepath.Join(filepath.Dir(p), name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprint(f, body)
}

// upstream serves kubeadm (bare .sha256 beside each file) and etcd (one
// SHA256SUMS per release) for two arches, as upstream lays them out.
func upstream(t *testing.T) (*faultserver.Server, []profiles.Component) {
	t.Helper()
	root := t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		publish(t, root, "k8s/release/v1.37.2/bin/linux/"+arch+"/kubeadm", "kubeadm "+arch,
			func(sum, name string) (string, string) { return name + ".sha256", sum + "\n" })
		publish(t, root, "etcd/v3.7.3/etcd-v3.7.3-linux-"+arch+".tar.gz", "etcd "+arch,
			func(sum, name string) (string, string) { return "SHA256SUMS", sum + "  " + name + "\n" })
	}
	fs := faultserver.New(root)
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	return fs, []profiles.Component{
		{Name: profiles.Kubernetes, Version: "v1.37.2", Base: srv.URL + "/k8s",
			Files:    []string{"{{.Base}}/release/{{.Version}}/bin/linux/{{.Arch}}/kubeadm"},
			Checksum: "{{.File}}.sha256"},
		{Name: profiles.Etcd, Version: "v3.7.3", Base: srv.URL + "/etcd",
			Files:    []string{"{{.Base}}/{{.Version}}/etcd-{{.Version}}-linux-{{.Arch}}.tar.gz"},
			Checksum: "{{.Dir}}/SHA256SUMS"},
	}
}

func run(t *testing.T, comps []profiles.Component, opts Options) error {
	t.Helper()
	p := engine.New("make-tar", engine.OnlineDirect).Then(NewModule(comps, opts))
	inv := engine.NewInventory(map[string]host.Host{engine.Control: host.NewLocal()}, nil)
	_, err := p.Run(context.Background(), engine.RunOptions{Inventory: inv})
	return err
}

func options(t *testing.T, cacheDir string) Options {
	return Options{Root: t.TempDir(), Arches: []string{"amd64", "arm64"}, Origins: &bundle.Origins{},
		Cache: &fetch.Cache{Dir: cacheDir, Client: &fetch.Client{Backoff: time.Millisecond}}}
}

func TestCollectsEveryArchAndASecondRunDownloadsNothing(t *testing.T) {
	fs, comps := upstream(t)
	cacheDir := t.TempDir()
	opts := options(t, cacheDir)
	if err := run(t, comps, opts); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"kubernetes/v1.37.2/amd64/kubeadm", "kubernetes/v1.37.2/arm64/kubeadm",
		"etcd/v3.7.3/arm64/etcd-v3.7.3-linux-arm64.tar.gz"} {
		if _, err := os.Stat(filepath.Join(opts.Root, rel)); err != nil {
			t.Errorf("%s missing: %v", rel, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(opts.Root, "kubernetes/v1.37.2/amd64/kubeadm")); err != nil ||
		fi.Mode().Perm() != 0o755 {
		t.Errorf("kubeadm: %v, %v; want it runnable", fi, err)
	}
	o := opts.Origins.Map()["kubernetes/v1.37.2/arm64/kubeadm"]
	if !strings.HasSuffix(o.Source, "/k8s/release/v1.37.2/bin/linux/arm64/kubeadm") || o.Arch != "arm64" {
		t.Errorf("kubeadm origin = %+v", o)
	}

	before := fs.Hits("/k8s/release/v1.37.2/bin/linux/amd64/kubeadm") +
		fs.Hits("/etcd/v3.7.3/SHA256SUMS")
	if err := run(t, comps, options(t, cacheDir)); err != nil {
		t.Fatal(err)
	}
	after := fs.Hits("/k8s/release/v1.37.2/bin/linux/amd64/kubeadm") +
		fs.Hits("/etcd/v3.7.3/SHA256SUMS")
	if after != before {
		t.Errorf("the second run made %d requests, want none", after-before)
	}
}

func TestBadUpstreams(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		fault      faultserver.Fault
		version    string
		unverified bool
		want       string
	}{
		{name: "wrong published checksum", path: "/k8s/release/v1.37.2/bin/linux/amd64/kubeadm.sha256",
			fault: faultserver.Fault{WrongChecksum: true}, want: "checksum mismatch"},
		{name: "no published checksum",
			path:  "/k8s/release/v1.37.2/bin/linux/amd64/kubeadm.sha256",
			fault: faultserver.Fault{FailFirst: 99, FailStatus: 404},
			want:  "no published checksum for kubeadm"},
		{name: "unknown version", version: "v1.99.0",
			want: "kubernetes v1.99.0: no published checksum for kubeadm"},
		{name: "unverified when allowed", unverified: true,
			path:  "/k8s/release/v1.37.2/bin/linux/amd64/kubeadm.sha256",
			fault: faultserver.Fault{FailFirst: 99, FailStatus: 404}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, comps := upstream(t)
			if tt.path != "" {
				fs.SetFault(tt.path, tt.fault)
			}
			if tt.version != "" {
				comps[0].Version = tt.version
			}
			opts := options(t, t.TempDir())
			opts.AllowUnverified = tt.unverified
			err := run(t, comps, opts)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "kubernetes") {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			kubeadm := filepath.Join(opts.Root, "kubernetes", comps[0].Version, "amd64", "kubeadm")
			if _, err := os.Stat(kubeadm); err == nil {
				t.Errorf("%s was written despite the failure", kubeadm)
			}
		})
	}
}
