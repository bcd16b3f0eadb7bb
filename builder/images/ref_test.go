package images

import (
	"strings"
	"testing"
)

func TestParseImage(t *testing.T) {
	dgst := "sha256:" + strings.Repeat("ab", 32)
	mirrors := map[string]string{"registry.k8s.io": "127.0.0.1:5443/k8s/",
		"docker.io": "127.0.0.1:5443/hub"}
	cases := []struct {
		name, in, ref, pull, source string
	}{
		{"tag", "registry.k8s.io/pause:3.10.1", "registry.k8s.io/pause:3.10.1",
			"127.0.0.1:5443/k8s/pause:3.10.1", "127.0.0.1:5443/k8s"},
		{"no tag means latest", "quay.io/cilium/cilium", "quay.io/cilium/cilium:latest",
			"quay.io/cilium/cilium:latest", "quay.io"},
		{"docker hub short name", "nginx:1.27", "docker.io/library/nginx:1.27",
			"127.0.0.1:5443/hub/library/nginx:1.27", "127.0.0.1:5443/hub"},
		{"docker hub alias", "index.docker.io/calico/node:v3", "docker.io/calico/node:v3",
			"127.0.0.1:5443/hub/calico/node:v3", "127.0.0.1:5443/hub"},
		{"digest", "quay.io/cilium/cilium@" + dgst, "quay.io/cilium/cilium@" + dgst,
			"quay.io/cilium/cilium@" + dgst, "quay.io"},
		{"tag and digest", "registry.k8s.io/etcd:3.6.5-0@" + dgst,
			"registry.k8s.io/etcd:3.6.5-0@" + dgst, "127.0.0.1:5443/k8s/etcd@" + dgst,
			"127.0.0.1:5443/k8s"},
		{"registry with a port", "127.0.0.1:5000/app", "127.0.0.1:5000/app:latest",
			"127.0.0.1:5000/app:latest", "127.0.0.1:5000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img, err := parseImage(c.in, &settings{Options: Options{Mirrors: mirrors}})
			if err != nil {
				t.Fatal(err)
			}
			if img.ref != c.ref || img.pull.Name() != c.pull || img.source != c.source {
				t.Errorf("parseImage(%q) = %s from %s (%s), want %s from %s (%s)", c.in, img.ref,
					img.pull.Name(), img.source, c.ref, c.pull, c.source)
			}
		})
	}
}
