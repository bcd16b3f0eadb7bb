package charts

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const kubeVersion = "v1.37.2"

// corednsDigest is a digest for the override case; no image has it.
const corednsDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func TestImages(t *testing.T) {
	tests := []struct {
		name   string
		chart  func(t *testing.T) string
		values map[string]any
		opts   RenderOptions
		must   []string // whatever the golden file says
		mustNo []string
	}{
		{name: "flannel-default", chart: flannelChart,
			must: []string{"ghcr.io/flannel-io/flannel:v0.28.9",
				"ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3"}},
		{name: "flannel-mirror", chart: flannelChart,
			values: map[string]any{"flannel": map[string]any{
				"image": map[string]any{"repository": "mirror.local:5000/flannel-io/flannel"}}},
			must:   []string{"mirror.local:5000/flannel-io/flannel:v0.28.9"},
			mustNo: []string{"ghcr.io/flannel-io/flannel:v0.28.9"}},
		{name: "coredns-default", chart: corednsChart,
			must:   []string{"docker.io/coredns/coredns:1.13.1"},
			mustNo: []string{"registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.9.0"}},
		{name: "coredns-autoscaler", chart: corednsChart,
			values: map[string]any{"autoscaler": map[string]any{"enabled": true}},
			must: []string{"docker.io/coredns/coredns:1.13.1",
				"registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.9.0"}},
		{name: "coredns-image-override", chart: corednsChart,
			values: map[string]any{"image": map[string]any{"repository": "coredns",
				"tag": "1.13.1@" + corednsDigest}},
			must:   []string{"docker.io/library/coredns:1.13.1@" + corednsDigest},
			mustNo: []string{"docker.io/coredns/coredns:1.13.1"}},
		{name: "workloads", chart: testChart("workloads"),
			opts: RenderOptions{Namespace: "kube-system"},
			must: []string{"registry.k8s.io/kube-proxy:" + kubeVersion,
				"localhost:5000/kube-system/sidecar:1.0", "ghcr.io/kubexm/hook-job:v1",
				"ghcr.io/kubexm/cronjob:v1", "docker.io/library/busybox:latest"},
			mustNo: []string{"docker.io/not/an-image:v0"}},
		{name: "workloads-values", chart: testChart("workloads"),
			values: map[string]any{"app": map[string]any{"image": "app:3"},
				"cronjob": map[string]any{"enabled": false}},
			must:   []string{"docker.io/library/app:3", "localhost:5000/default/sidecar:1.0"},
			mustNo: []string{"ghcr.io/kubexm/cronjob:v1", "example.org/app/server:2.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.KubeVersion = kubeVersion

			got, err := Images(tc.chart(t), tc.values, tc.opts)
			if err != nil {
				t.Fatal(err)
			}

			for _, img := range tc.must {
				if !slices.Contains(got, img) {
					t.Errorf("images %v lack %s", got, img)
				}
			}
			for _, img := range tc.mustNo {
				if slices.Contains(got, img) {
					t.Errorf("images %v hold %s", got, img)
				}
			}
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("images %v are not sorted and unique", got)
			}
			golden(t, filepath.Join("testdata", "images", tc.name+".golden"),
				strings.Join(got, "\n")+"\n")
		})
	}
}

func TestImagesFailures(t *testing.T) {
	tests := []struct {
		name  string
		chart func(t *testing.T) string
		opts  RenderOptions
		want  []string
	}{
		{name: "template error", chart: testChart("broken"),
			opts: RenderOptions{KubeVersion: kubeVersion},
			want: []string{"rendering chart broken 0.1.0", "image.repository must be set"}},
		{name: "kubeVersion constraint", chart: testChart("workloads"),
			opts: RenderOptions{KubeVersion: "v1.29.4"},
			want: []string{"rendering chart workloads 0.1.0", "v1.29.4"}},
		{name: "no Kubernetes version", chart: testChart("workloads"),
			want: []string{"chart workloads", "Kubernetes version must be set"}},
		{name: "bad Kubernetes version", chart: testChart("workloads"),
			opts: RenderOptions{KubeVersion: "latest"},
			want: []string{"chart workloads", "Kubernetes version"}},
		{name: "no chart", chart: func(t *testing.T) string { return t.TempDir() + "/none.tgz" },
			opts: RenderOptions{KubeVersion: kubeVersion},
			want: []string{"loading chart", "none.tgz"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Images(tc.chart(t), nil, tc.opts)
			if err == nil {
				t.Fatalf("images = %v, want an error", got)
			}

			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	digest := "sha256:" + strings.Repeat("a", 64)
	tests := []struct {
		name, in, want string
	}{
		{name: "docker hub user image", in: "coredns/coredns:1.13.1",
			want: "docker.io/coredns/coredns:1.13.1"},
		{name: "official image", in: "busybox:1.37", want: "docker.io/library/busybox:1.37"},
		{name: "no tag", in: "busybox", want: "docker.io/library/busybox:latest"},
		{name: "full name", in: "ghcr.io/flannel-io/flannel:v0.28.9",
			want: "ghcr.io/flannel-io/flannel:v0.28.9"},
		{name: "index.docker.io", in: "index.docker.io/library/nginx:1",
			want: "docker.io/library/nginx:1"},
		{name: "docker.io official", in: "docker.io/nginx:1", want: "docker.io/library/nginx:1"},
		{name: "registry with port", in: "127.0.0.1:5000/a/b:c", want: "127.0.0.1:5000/a/b:c"},
		{name: "registry port, no tag", in: "127.0.0.1:5000/a/b",
			want: "127.0.0.1:5000/a/b:latest"},
		{name: "localhost", in: "localhost/app:1", want: "localhost/app:1"},
		{name: "digest", in: "quay.io/calico/node@" + digest,
			want: "quay.io/calico/node@" + digest},
		{name: "tag and digest", in: "nginx:1@" + digest,
			want: "docker.io/library/nginx:1@" + digest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}

	for _, bad := range []string{"", "UPPER/case:1", "nginx:bad tag", "nginx@sha256:short"} {
		if got, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", bad, got)
		}
	}
}

// testChart is a chart folder of testdata/charts.
func testChart(name string) func(t *testing.T) string {
	return func(*testing.T) string { return filepath.Join("testdata", "charts", name) }
}

// golden compares got with the file, or rewrites the file under -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%swant:\n%s", file, got, want)
	}
}
