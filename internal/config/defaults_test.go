package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultsFromProfile(t *testing.T) {
	c := mustParse(t, minimal)
	s := c.Spec

	tests := []struct {
		name string
		got  any
		want any
	}{
		{"ssh port", s.Hosts[0].Port, 22},
		{"ssh user", s.Hosts[1].User, "root"},
		{"arch", s.Hosts[2].Arch, "amd64"},
		{"internal address is the address", s.Hosts[1].InternalAddress, "10.0.0.2"},
		{"etcd on the control plane", s.RoleGroups.Etcd, []string{"node1"}},
		{"etcd type", s.Etcd.Type, "kubexm"},
		{"etcd version", s.Etcd.Version, "v3.7.3"},
		{"endpoint address is the first control-plane host",
			s.ControlPlaneEndpoint.Address, "10.0.0.1"},
		{"endpoint domain", s.ControlPlaneEndpoint.Domain, "lb.kubexm.local"},
		{"endpoint port", s.ControlPlaneEndpoint.Port, 6443},
		{"load balancer", s.ControlPlaneEndpoint.LoadBalancer, "none"},
		{"kubernetes version", s.Kubernetes.Version, "v1.37.2"},
		{"cluster name is metadata.name", s.Kubernetes.ClusterName, "test"},
		{"dns domain", s.Kubernetes.DNSDomain, "cluster.local"},
		{"pod subnet", s.Kubernetes.PodSubnet, "10.233.64.0/18"},
		{"service subnet", s.Kubernetes.ServiceSubnet, "10.233.0.0/18"},
		{"kube-proxy mode", s.Kubernetes.KubeProxyMode, "iptables"},
		{"runtime", s.ContainerRuntime.Type, "containerd"},
		{"runtime version", s.ContainerRuntime.Version, "v2.4.2"},
		{"network plugin", s.Network.Plugin, "flannel"},
		{"network version", s.Network.Version, "v0.28.9"},
		{"coredns version", s.DNS.CoreDNS.Version, "v1.13.1"},
		{"node-local dns on", s.DNS.NodeLocalDNS.On(), true},
		{"node-local dns ip", s.DNS.NodeLocalDNS.IP, "169.254.25.10"},
		{"node-local dns version", s.DNS.NodeLocalDNS.Version, "1.26.8"},
		{"no registry without a registry role", s.Registry.Host, ""},
		{"registry port", s.Registry.Port, 5000},
		{"registry version", s.Registry.Version, "v3.1.2"},
		{"registry tls on and generated", s.Registry.TLS.Generated(), true},
		{"arches of the hosts", s.Artifacts.Arches, []string{"amd64"}},
		{"os", s.Artifacts.OS, []OSRelease{{ID: "debian", Version: "12"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultsFollowTheConfig(t *testing.T) {
	tests := []struct {
		name  string
		yaml  func(t *testing.T) string
		check func(c *Cluster) (got, want any)
	}{
		{
			name: "set values are kept",
			yaml: func(*testing.T) string {
				return withSpec("  kubernetes:\n    version: v1.36.4\n    podSubnet: 10.50.0.0/16\n")
			},
			check: func(c *Cluster) (any, any) {
				k := c.Spec.Kubernetes
				return []string{k.Version, k.PodSubnet}, []string{"v1.36.4", "10.50.0.0/16"}
			},
		},
		{
			name: "calico gets calico's version",
			yaml: func(*testing.T) string { return withSpec("  network:\n    plugin: calico\n") },
			check: func(c *Cluster) (any, any) {
				return c.Spec.Network.Version, "v3.32.1"
			},
		},
		{
			name: "stacked etcd defaults to the control plane",
			yaml: func(*testing.T) string { return withSpec("  etcd:\n    type: kubeadm\n") },
			check: func(c *Cluster) (any, any) {
				return c.Spec.RoleGroups.Etcd, []string{"node1"}
			},
		},
		{
			name: "external etcd gets no members and no version",
			yaml: func(*testing.T) string {
				return withSpec("  etcd:\n    type: external\n    external:\n" +
					"      endpoints: [http://10.0.0.5:2379]\n")
			},
			check: func(c *Cluster) (any, any) {
				return []any{len(c.Spec.RoleGroups.Etcd), c.Spec.Etcd.Version}, []any{0, ""}
			},
		},
		{
			name: "registry host is the first registry role host",
			yaml: func(t *testing.T) string {
				return edit(t, "    worker: [node2, node3]\n",
					"    worker: [node2, node3]\n    registry: [node3, node2]\n")
			},
			check: func(c *Cluster) (any, any) { return c.Spec.Registry.Host, "node3" },
		},
		{
			name: "turned-off switches stay off",
			yaml: func(*testing.T) string {
				return withSpec("  dns:\n    nodeLocalDNS:\n      enabled: false\n" +
					"  registry:\n    host: node1\n    tls:\n      enabled: false\n")
			},
			check: func(c *Cluster) (any, any) {
				return []bool{c.Spec.DNS.NodeLocalDNS.On(), c.Spec.Registry.TLS.On()},
					[]bool{false, false}
			},
		},
		{
			name: "a virtual IP is not replaced by a host's address",
			yaml: func(*testing.T) string {
				return withSpec("  controlPlaneEndpoint:\n    loadBalancer: kubevip\n" +
					"    address: 10.0.0.100\n")
			},
			check: func(c *Cluster) (any, any) {
				return c.Spec.ControlPlaneEndpoint.Address, "10.0.0.100"
			},
		},
		{
			name: "arches are every arch of the hosts, sorted",
			yaml: func(t *testing.T) string {
				return edit(t, "password: secret-one", "password: secret-one\n      arch: arm64")
			},
			check: func(c *Cluster) (any, any) {
				return c.Spec.Artifacts.Arches, []string{"amd64", "arm64"}
			},
		},
		{
			name: "addon chart and namespace",
			yaml: func(*testing.T) string {
				return withSpec("  addons:\n    - name: metrics-server\n" +
					"      repo: https://kubernetes-sigs.github.io/metrics-server\n" +
					"      version: 3.13.0\n    - name: podinfo\n" +
					"      oci: oci://ghcr.io/stefanprodan/charts/podinfo\n" +
					"      version: 6.9.0\n      namespace: apps\n")
			},
			check: func(c *Cluster) (any, any) {
				a := c.Spec.Addons
				return [][2]string{{a[0].Chart, a[0].Namespace}, {a[1].Chart, a[1].Namespace}},
					[][2]string{{"metrics-server", "kube-system"}, {"", "apps"}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := tt.check(mustParse(t, tt.yaml(t)))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
