package mirror

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kubexm/kubexm/qemu-tests/upstream/faultserver"
)

// upstreamBases maps each component's upstream base URL, as the profile names it, to its
// path on the file server: the same URL with the scheme taken off.
var upstreamBases = map[string]string{
	"kubernetes":         "https://dl.k8s.io",
	"containerd":         "https://github.com/containerd/containerd/releases/download",
	"runc":               "https://github.com/opencontainers/runc/releases/download",
	"cni-plugins":        "https://github.com/containernetworking/plugins/releases/download",
	"crictl":             "https://github.com/kubernetes-sigs/cri-tools/releases/download",
	"etcd":               "https://github.com/etcd-io/etcd/releases/download",
	"helm":               "https://get.helm.sh",
	"registry":           "https://github.com/distribution/distribution/releases/download",
	"flannel-cni-plugin": "https://github.com/flannel-io/cni-plugin/releases/download",
}

// upstreamChartRepos are the chart repositories whose charts the mirror serves.
var upstreamChartRepos = []string{"https://coredns.github.io/helm",
	"https://flannel-io.github.io/flannel"}

// upstreamRegistries are the registries whose images the mirror holds, each below a prefix
// of the same name.
var upstreamRegistries = []string{"docker.io", "ghcr.io", "registry.k8s.io"}

// BaseURL is the mirror's stand-in for an upstream base URL: a URL template for upstream
// reaches the mirror when its base is replaced by this.
func (m *Mirror) BaseURL(upstream string) string {
	_, rest, ok := strings.Cut(upstream, "://")
	if !ok {
		rest = upstream
	}
	return m.HTTPURL + "/" + strings.TrimSuffix(rest, "/")
}

// Env is the mirror described as shell variable assignments, one a line, for a serve
// command's -env file and for scripts.
func (m *Mirror) Env() string {
	var b strings.Builder
	fmt.Fprintf(&b, "KUBEXM_MIRROR_HTTP=%s\n", m.HTTPURL)
	fmt.Fprintf(&b, "KUBEXM_MIRROR_REGISTRY=%s\n", m.Registry)
	fmt.Fprintf(&b, "KUBEXM_MIRROR_CA=%s\n", m.CAFile)
	fmt.Fprintf(&b, "KUBEXM_MIRROR_CHARTS=%s\n", m.ChartRepo)
	fmt.Fprintf(&b, "KUBEXM_MIRROR_OCI_CHARTS=oci://%s/%s\n", m.Registry, ociChartPrefix)
	fmt.Fprintf(&b, "KUBEXM_MIRROR_FAULTS=%s%s\n", m.HTTPURL, faultserver.ControlPath)
	if m.User != "" {
		fmt.Fprintf(&b, "KUBEXM_MIRROR_USER=%s\nKUBEXM_MIRROR_PASSWORD=%s\n", m.User, m.Password)
	}
	return b.String()
}

// SourcesYAML is an artifacts block for a kubexm cluster config that sends every download
// of make-tar (and of create online) to the mirror.
func (m *Mirror) SourcesYAML() string {
	var b strings.Builder
	b.WriteString("artifacts:\n")
	fmt.Fprintf(&b, "  caBundle: %s\n", m.CAFile)
	b.WriteString("  sources:\n    binaries:\n")
	for _, c := range slices.Sorted(maps.Keys(upstreamBases)) {
		fmt.Fprintf(&b, "      %s: %s\n", c, m.BaseURL(upstreamBases[c]))
	}

	b.WriteString("    registries:\n")
	for _, r := range upstreamRegistries {
		fmt.Fprintf(&b, "      %s: %s/%s\n", r, m.Registry, r)
	}
	b.WriteString("    charts:\n")
	for _, r := range upstreamChartRepos {
		fmt.Fprintf(&b, "      %s: %s\n", r, m.ChartRepo)
	}
	return b.String()
}
