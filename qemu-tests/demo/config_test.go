package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/config"
)

// sources is an artifacts block in the shape of mirror.SourcesYAML.
const sources = `artifacts:
  caBundle: /cache/pki/ca.pem
  sources:
    binaries:
      kubernetes: http://127.0.0.1:40000/dl.k8s.io
    registries:
      registry.k8s.io: 127.0.0.1:40001/registry.k8s.io
    charts:
      https://flannel-io.github.io/flannel: http://127.0.0.1:40000/charts
`

// TestMirrorConfigLoads checks that the demo's config is a valid cluster config that asks
// only for what the mirror serves, and sends downloads to the mirror.
func TestMirrorConfigLoads(t *testing.T) {
	out, err := mirrorConfig(config.Example(), sources)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(file)
	if err != nil {
		t.Fatalf("the demo config does not load: %v\n%s", err, out)
	}

	s, a := c.Spec, c.Spec.Artifacts
	if s.Network.Plugin != config.NetworkFlannel || s.DNS.NodeLocalDNS.On() || len(s.Addons) > 0 {
		t.Errorf("network %q, NodeLocal DNS %v, addons %v: want flannel, off, none",
			s.Network.Plugin, s.DNS.NodeLocalDNS.On(), s.Addons)
	}
	if len(a.ExtraImages)+len(a.ExtraCharts) > 0 {
		t.Errorf("extra images %v and charts %v are left", a.ExtraImages, a.ExtraCharts)
	}
	for _, h := range s.Hosts {
		if h.Arch != "" && h.Arch != "amd64" {
			t.Errorf("host %s is %s; the mirror builds amd64", h.Name, h.Arch)
		}
	}
	if a.CABundle != "/cache/pki/ca.pem" ||
		a.Sources.Binaries["kubernetes"] != "http://127.0.0.1:40000/dl.k8s.io" {
		t.Errorf("artifacts not pointed at the mirror: caBundle %q, binaries %v",
			a.CABundle, a.Sources.Binaries)
	}
	if !strings.Contains(string(out), "# The image registry kubexm runs") {
		t.Error("the example's comments are gone")
	}
}

// TestBuildWatchStopsOnABuild checks that the demo notices the mirror starting a build
// from source, so that a half-cold cache fails fast instead of building for an hour.
func TestBuildWatchStopsOnABuild(t *testing.T) {
	stopped := false
	var log strings.Builder
	w := &buildWatch{out: &log, cold: func() { stopped = true }}

	w.Write([]byte("starting the registry\n"))
	if stopped || w.sawBuild() {
		t.Fatal("an ordinary progress line stopped the mirror")
	}
	w.Write([]byte("building helm v4.3.2 for linux/amd64 from source\n"))
	if !stopped || !w.sawBuild() {
		t.Fatal("a build from source did not stop the mirror")
	}
	if !strings.Contains(log.String(), "building helm") {
		t.Error("the progress lines were not passed on")
	}
}
