package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// edit returns minimal with each old string replaced by the new one after
// it, once. It fails the test if an old string is not there, so a case
// cannot silently test the unedited config.
func edit(t testing.TB, pairs ...string) string {
	t.Helper()
	s := minimal
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("edit: %q is not in the minimal config", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// withSpec returns minimal with more lines under spec, from line 19 on.
func withSpec(lines string) string {
	return minimal + lines
}

// invalidCase is a config that must not load and the errors it must give.
type invalidCase struct {
	name string
	yaml func(t testing.TB) string
	want []string
}

// invalidCases are configs that break one rule each (or a few related
// ones). FuzzParse starts from them too.
func invalidCases() []invalidCase {
	return []invalidCase{
		{
			name: "empty file",
			yaml: func(testing.TB) string { return "" },
			want: []string{"c.yaml: the file is empty: it must hold one Cluster " +
				"(see kubexm config example)"},
		},
		{
			name: "only comments",
			yaml: func(testing.TB) string { return "# nothing here\n\n# at all\n" },
			want: []string{"c.yaml: the file is empty: it must hold one Cluster " +
				"(see kubexm config example)"},
		},
		{
			name: "two documents",
			yaml: func(testing.TB) string { return minimal + "---\n" + minimal },
			want: []string{"c.yaml:19: a second YAML document starts here: " +
				"a config file holds one Cluster"},
		},
		{
			name: "not YAML",
			yaml: func(t testing.TB) string { return edit(t, "kind: Cluster", "kind: [Cluster") },
			want: []string{"c.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		},
		{
			name: "top level is a list",
			yaml: func(testing.TB) string { return "- apiVersion: kubexm.io/v1alpha1\n" },
			want: []string{"c.yaml:1: expected a mapping with apiVersion, kind, metadata " +
				"and spec, found a list"},
		},
		{
			name: "misspelt host field",
			yaml: func(t testing.TB) string { return edit(t, "address: 10.0.0.3", "adress: 10.0.0.3") },
			want: []string{`c.yaml:14: unknown field "adress" in spec.hosts[2]`},
		},
		{
			name: "unknown top-level field",
			yaml: func(testing.TB) string { return "status: {}\n" + minimal },
			want: []string{`c.yaml:1: unknown field "status" in the top level`},
		},
		{
			name: "field set twice",
			yaml: func(t testing.TB) string {
				return edit(t, "      password: secret-one\n",
					"      password: secret-one\n      address: 10.0.0.9\n")
			},
			want: []string{`c.yaml:10: field "address" in spec.hosts[0] is already set on line 8`},
		},
		{
			name: "map key and chart value set twice",
			yaml: func(testing.TB) string {
				return withSpec("  containerRuntime:\n    registryMirrors:\n" +
					"      docker.io: [https://a.example]\n      docker.io: [https://b.example]\n" +
					"  addons:\n    - name: a\n      repo: https://c.example\n      version: 1.0.0\n" +
					"      values:\n        image: {tag: a, tag: b}\n")
			},
			want: []string{
				`c.yaml:22: spec.containerRuntime.registryMirrors: key "docker.io" is already ` +
					`set on line 21`,
				`c.yaml:28: spec.addons[0].values["image"]: key "tag" is already set on line 28`,
			},
		},
		{
			name: "chart value under a list as key",
			yaml: func(testing.TB) string {
				return withSpec("  addons:\n    - name: a\n      repo: https://c.example\n" +
					"      version: 1.0.0\n      values:\n        a: {[1]: 2}\n")
			},
			want: []string{`c.yaml:24: spec.addons[0].values["a"]: keys must be single values, ` +
				`not a list`},
		},
		{
			name: "port is not a number",
			yaml: func(t testing.TB) string {
				return edit(t, "address: 10.0.0.2\n", "address: 10.0.0.2\n      port: ssh\n")
			},
			want: []string{`c.yaml:12: spec.hosts[1].port: "ssh" is not a whole number`},
		},
		{
			name: "hosts is not a list",
			yaml: func(testing.TB) string {
				return "apiVersion: kubexm.io/v1alpha1\nkind: Cluster\nmetadata: {name: a}\n" +
					"spec:\n  hosts: node1\n"
			},
			want: []string{"c.yaml:5: spec.hosts: expected a list, found a single value"},
		},
		{
			name: "password given as a mapping is not quoted",
			yaml: func(t testing.TB) string {
				return edit(t, "password: secret-one", "password: {value: secret-one}")
			},
			want: []string{"c.yaml:9: spec.hosts[0].password: expected a single value, " +
				"found a mapping"},
		},
		{
			name: "nothing but an empty spec",
			yaml: func(testing.TB) string { return "spec: {}\n" },
			want: []string{
				"c.yaml: apiVersion: must be set to kubexm.io/v1alpha1",
				"c.yaml: kind: must be set to Cluster",
				"c.yaml: metadata.name: must be set",
				"c.yaml:1: spec.hosts: must list at least one host",
				"c.yaml:1: spec.roleGroups.controlPlane: must list at least one host",
			},
		},
		{
			name: "wrong apiVersion and kind",
			yaml: func(t testing.TB) string {
				return edit(t, "kubexm.io/v1alpha1", "kubexm.io/v2", "kind: Cluster", "kind: Node")
			},
			want: []string{
				`c.yaml:1: apiVersion: "kubexm.io/v2" is not supported (want kubexm.io/v1alpha1)`,
				`c.yaml:2: kind: "Node" is not Cluster`,
			},
		},
		{
			name: "cluster name with capitals",
			yaml: func(t testing.TB) string { return edit(t, "name: test", "name: Test_1") },
			want: []string{
				`c.yaml:4: metadata.name: "Test_1" is not a name of lower-case letters, digits and '-'`,
			},
		},
		{
			name: "host named as the control machine",
			yaml: func(t testing.TB) string {
				return edit(t, "- name: node3", "- name: control", "[node2, node3]",
					"[node2, control]")
			},
			want: []string{`c.yaml:13: spec.hosts[2].name: "control" is the name kubexm ` +
				`gives the machine it runs on; choose another`},
		},
		{
			name: "address with an octet out of range",
			yaml: func(t testing.TB) string { return edit(t, "10.0.0.3", "10.0.0.300") },
			want: []string{
				`c.yaml:14: spec.hosts[2].address: "10.0.0.300" is not an IP address or host name`,
			},
		},
		{
			name: "host name given as address needs an internal address",
			yaml: func(t testing.TB) string { return edit(t, "10.0.0.3", "node3.example.lan") },
			want: []string{`c.yaml:14: spec.hosts[2].internalAddress: "node3.example.lan" is ` +
				`not an IP address (set internalAddress when address is a host name)`},
		},
		{
			name: "two hosts with one name",
			yaml: func(t testing.TB) string { return edit(t, "name: node3", "name: node1") },
			want: []string{
				`c.yaml:13: spec.hosts[2].name: "node1" is already the name of spec.hosts[0]`,
				`c.yaml:18: spec.roleGroups.worker[1]: "node3" is not a host in spec.hosts`,
			},
		},
		{
			name: "two hosts with one address and port",
			yaml: func(t testing.TB) string { return edit(t, "10.0.0.3", "10.0.0.1") },
			want: []string{
				`c.yaml:14: spec.hosts[2].address: 10.0.0.1:22 is already the address of spec.hosts[0]`,
			},
		},
		{
			name: "neither password nor key",
			yaml: func(t testing.TB) string { return edit(t, "      password: secret-one\n", "") },
			want: []string{"c.yaml:7: spec.hosts[0]: set password or privateKeyPath: " +
				"kubexm has no other way to log in"},
		},
		{
			name: "passphrase without a key",
			yaml: func(t testing.TB) string {
				return edit(t, "password: secret-one", "password: secret-one\n      privateKeyPassphrase: pp")
			},
			want: []string{"c.yaml:10: spec.hosts[0].privateKeyPassphrase: is set but " +
				"privateKeyPath is not"},
		},
		{
			name: "unsupported arch",
			yaml: func(t testing.TB) string {
				return edit(t, "password: secret-three", "password: secret-three\n      arch: riscv64")
			},
			want: []string{`c.yaml:16: spec.hosts[2].arch: "riscv64" is not supported ` +
				`(want amd64 or arm64)`},
		},
		{
			name: "fingerprint in the wrong form",
			yaml: func(t testing.TB) string {
				return edit(t, "password: secret-one",
					"password: secret-one\n      hostKeyFingerprint: MD5:ab:cd")
			},
			want: []string{`c.yaml:10: spec.hosts[0].hostKeyFingerprint: "MD5:ab:cd" is not a ` +
				`fingerprint like SHA256:<43 base64 characters> (ssh-keygen -lf prints it)`},
		},
		{
			name: "SSH port out of range",
			yaml: func(t testing.TB) string {
				return edit(t, "password: secret-one", "password: secret-one\n      port: 70000")
			},
			want: []string{"c.yaml:10: spec.hosts[0].port: 70000 is not a port (1-65535)"},
		},
		{
			name: "jump host that does not exist",
			yaml: func(t testing.TB) string {
				return edit(t, "password: secret-three", "password: secret-three\n      jumpHost: bastion")
			},
			want: []string{`c.yaml:16: spec.hosts[2].jumpHost: "bastion" is not a host in spec.hosts`},
		},
		{
			name: "jump hosts in a loop",
			yaml: func(t testing.TB) string {
				return edit(t,
					"password: secret-one", "password: secret-one\n      jumpHost: node3",
					"password: secret-three", "password: secret-three\n      jumpHost: node1")
			},
			want: []string{
				"c.yaml:10: spec.hosts[0].jumpHost: jump hosts loop: node1 -> node3 -> node1",
				"c.yaml:17: spec.hosts[2].jumpHost: jump hosts loop: node3 -> node1 -> node3",
			},
		},
		{
			name: "role member that is not a host",
			yaml: func(t testing.TB) string { return edit(t, "[node2, node3]", "[node2, node4, node2]") },
			want: []string{
				`c.yaml:18: spec.roleGroups.worker[1]: "node4" is not a host in spec.hosts`,
				`c.yaml:18: spec.roleGroups.worker[2]: "node2" is listed twice`,
			},
		},
		{
			name: "no control plane",
			yaml: func(t testing.TB) string { return edit(t, "    controlPlane: [node1]\n", "") },
			want: []string{"c.yaml:16: spec.roleGroups.controlPlane: must list at least one host"},
		},
		{
			name: "even number of etcd members",
			yaml: func(t testing.TB) string {
				return edit(t, "  roleGroups:\n", "  roleGroups:\n    etcd: [node1, node2]\n")
			},
			want: []string{"c.yaml:17: spec.roleGroups.etcd: has 2 hosts: etcd needs an odd " +
				"number to keep a majority when one fails"},
		},
		{
			name: "stacked etcd on other hosts",
			yaml: func(t testing.TB) string {
				return edit(t, "  roleGroups:\n", "  roleGroups:\n    etcd: [node2]\n") +
					"  etcd:\n    type: kubeadm\n"
			},
			want: []string{"c.yaml:17: spec.roleGroups.etcd: must be the control-plane hosts " +
				"when spec.etcd.type is kubeadm (stacked etcd runs beside the API server)"},
		},
		{
			name: "external etcd without endpoints, and with etcd hosts",
			yaml: func(t testing.TB) string {
				return edit(t, "  roleGroups:\n", "  roleGroups:\n    etcd: [node1]\n") +
					"  etcd:\n    type: external\n"
			},
			want: []string{
				"c.yaml:17: spec.roleGroups.etcd: must be empty when spec.etcd.type is external",
				"c.yaml:20: spec.etcd.external.endpoints: must list at least one endpoint " +
					"when spec.etcd.type is external",
			},
		},
		{
			name: "external etcd over https without certificates",
			yaml: func(testing.TB) string {
				return withSpec("  etcd:\n    type: external\n    external:\n" +
					"      endpoints: [https://10.0.0.5:2379, 'ftp://x']\n      caFile: /ca.crt\n")
			},
			want: []string{
				`c.yaml:22: spec.etcd.external.endpoints[1]: "ftp://x" is not a URL like ` +
					`https://10.0.0.5:2379`,
				"c.yaml:21: spec.etcd.external.certFile: must be set for https endpoints",
				"c.yaml:21: spec.etcd.external.keyFile: must be set for https endpoints",
			},
		},
		{
			name: "external settings for binary etcd",
			yaml: func(testing.TB) string {
				return withSpec("  etcd:\n    external:\n      endpoints: [http://10.0.0.5:2379]\n")
			},
			want: []string{"c.yaml:20: spec.etcd.external: is only for type external, not kubexm"},
		},
		{
			name: "pod subnet is not a CIDR",
			yaml: func(testing.TB) string {
				return withSpec("  kubernetes:\n    podSubnet: 10.233.64.0\n")
			},
			want: []string{`c.yaml:20: spec.kubernetes.podSubnet: "10.233.64.0" is not a CIDR ` +
				`like 10.233.64.0/18`},
		},
		{
			name: "service subnet with host bits",
			yaml: func(testing.TB) string {
				return withSpec("  kubernetes:\n    serviceSubnet: 10.96.0.1/12\n")
			},
			want: []string{`c.yaml:20: spec.kubernetes.serviceSubnet: "10.96.0.1/12" has host ` +
				`bits set: write 10.96.0.0/12`},
		},
		{
			name: "subnets overlap",
			yaml: func(testing.TB) string {
				return withSpec("  kubernetes:\n    serviceSubnet: 10.233.0.0/16\n")
			},
			want: []string{"c.yaml:20: spec.kubernetes.serviceSubnet: 10.233.0.0/16 overlaps " +
				"podSubnet 10.233.64.0/18"},
		},
		{
			name: "pod subnet too small for the hosts, service subnet too large",
			yaml: func(testing.TB) string {
				return withSpec("  kubernetes:\n    podSubnet: 10.233.64.0/23\n" +
					"    serviceSubnet: 10.0.0.0/8\n")
			},
			want: []string{
				"c.yaml:21: spec.kubernetes.serviceSubnet: 10.0.0.0/8 overlaps podSubnet " +
					"10.233.64.0/23",
				"c.yaml:20: spec.kubernetes.podSubnet: 10.233.64.0/23 has room for 2 nodes' " +
					"/24 ranges, and there are 3 hosts",
				"c.yaml:21: spec.kubernetes.serviceSubnet: 10.0.0.0/8 is too large: the API " +
					"server takes at most a /12",
				"c.yaml:8: spec.hosts[0].internalAddress: 10.0.0.1 is inside " +
					"spec.kubernetes.serviceSubnet 10.0.0.0/8",
				"c.yaml:11: spec.hosts[1].internalAddress: 10.0.0.2 is inside " +
					"spec.kubernetes.serviceSubnet 10.0.0.0/8",
				"c.yaml:14: spec.hosts[2].internalAddress: 10.0.0.3 is inside " +
					"spec.kubernetes.serviceSubnet 10.0.0.0/8",
			},
		},
		{
			name: "pod subnet smaller than a node's range",
			yaml: func(testing.TB) string {
				return withSpec("  kubernetes:\n    podSubnet: 10.233.64.0/25\n")
			},
			want: []string{"c.yaml:20: spec.kubernetes.podSubnet: 10.233.64.0/25 is smaller " +
				"than the /24 each node gets"},
		},
		{
			name: "host inside the pod subnet",
			yaml: func(testing.TB) string { return withSpec("  kubernetes:\n    podSubnet: 10.0.0.0/16\n") },
			want: []string{
				"c.yaml:8: spec.hosts[0].internalAddress: 10.0.0.1 is inside spec.kubernetes." +
					"podSubnet 10.0.0.0/16",
				"c.yaml:11: spec.hosts[1].internalAddress: 10.0.0.2 is inside spec.kubernetes." +
					"podSubnet 10.0.0.0/16",
				"c.yaml:14: spec.hosts[2].internalAddress: 10.0.0.3 is inside spec.kubernetes." +
					"podSubnet 10.0.0.0/16",
			},
		},
		{
			name: "versions spelt unlike upstream",
			yaml: func(testing.TB) string {
				return withSpec("  kubernetes:\n    version: 1.37.2\n" +
					"  containerRuntime:\n    version: latest\n")
			},
			want: []string{
				`c.yaml:20: spec.kubernetes.version: "1.37.2" is not a version like v1.37.2`,
				`c.yaml:22: spec.containerRuntime.version: "latest" is not a version like v2.4.2`,
			},
		},
		{
			name: "unknown kube-proxy mode and network plugin",
			yaml: func(testing.TB) string {
				return withSpec("  kubernetes:\n    kubeProxyMode: userspace\n" +
					"  network:\n    plugin: weave\n    mtu: 100\n")
			},
			want: []string{
				`c.yaml:20: spec.kubernetes.kubeProxyMode: "userspace" is not one of iptables, ` +
					`ipvs, nftables`,
				`c.yaml:22: spec.network.plugin: "weave" is not one of flannel, calico`,
				"c.yaml:23: spec.network.mtu: 100 is not an MTU (576-9216)",
			},
		},
		{
			name: "virtual IP balancer without an address",
			yaml: func(testing.TB) string {
				return withSpec("  controlPlaneEndpoint:\n    loadBalancer: kubevip\n    port: 0\n" +
					"    domain: 'not a name'\n")
			},
			want: []string{
				"c.yaml:19: spec.controlPlaneEndpoint.address: must be set when loadBalancer " +
					"is kubevip",
				`c.yaml:22: spec.controlPlaneEndpoint.domain: "not a name" is not a host name`,
			},
		},
		{
			name: "unknown load balancer",
			yaml: func(testing.TB) string {
				return withSpec("  controlPlaneEndpoint:\n    loadBalancer: nginx\n")
			},
			want: []string{`c.yaml:20: spec.controlPlaneEndpoint.loadBalancer: "nginx" is not one ` +
				`of none, kubevip, haproxy, external`},
		},
		{
			name: "registry on an unknown host with half a certificate",
			yaml: func(testing.TB) string {
				return withSpec("  registry:\n    host: reg1\n    port: 99999\n" +
					"    tls:\n      certFile: /reg.crt\n    auth:\n      username: admin\n")
			},
			want: []string{
				`c.yaml:20: spec.registry.host: "reg1" is not a host in spec.hosts`,
				"c.yaml:21: spec.registry.port: 99999 is not a port (1-65535)",
				"c.yaml:22: spec.registry.tls: set both certFile and keyFile, or neither to " +
					"have kubexm generate them",
				"c.yaml:24: spec.registry.auth.password: must be set",
			},
		},
		{
			name: "addon with both sources and no version",
			yaml: func(testing.TB) string {
				return withSpec("  addons:\n    - name: metrics\n      repo: https://charts.example\n" +
					"      oci: oci://ghcr.io/x/metrics\n    - name: metrics\n" +
					"      oci: https://ghcr.io/x\n      version: 1.0.0\n      namespace: Kube\n")
			},
			want: []string{
				"c.yaml:20: spec.addons[0]: set repo or oci, not both",
				"c.yaml:20: spec.addons[0].version: must be set: the bundle holds one version " +
					"of each chart",
				`c.yaml:23: spec.addons[1].name: "metrics" is already the name of spec.addons[0]`,
				`c.yaml:24: spec.addons[1].oci: "https://ghcr.io/x" is not an oci:// URL`,
				`c.yaml:26: spec.addons[1].namespace: "Kube" is not a namespace name`,
			},
		},
		{
			name: "artifacts for an arch and OS kubexm does not support",
			yaml: func(testing.TB) string {
				return withSpec("  artifacts:\n    arches: [amd64, s390x]\n" +
					"    os: [{id: centos, version: stream9}]\n" +
					"    extraImages: [nginx, 'docker.io/library/nginx:1.29']\n")
			},
			want: []string{
				`c.yaml:20: spec.artifacts.arches[1]: "s390x" is not supported (want amd64 or arm64)`,
				`c.yaml:21: spec.artifacts.os[0].id: "centos" is not supported (want debian or ubuntu)`,
				`c.yaml:21: spec.artifacts.os[0].version: "stream9" is not a release like 12 or 22.04`,
				`c.yaml:22: spec.artifacts.extraImages[0]: "nginx" is not an image reference with ` +
					`a tag or digest`,
			},
		},
		{
			name: "artifacts without the hosts' arch",
			yaml: func(testing.TB) string { return withSpec("  artifacts:\n    arches: [arm64]\n") },
			want: []string{
				"c.yaml:20: spec.artifacts.arches: does not include amd64, the arch of host node1",
				"c.yaml:20: spec.artifacts.arches: does not include amd64, the arch of host node2",
				"c.yaml:20: spec.artifacts.arches: does not include amd64, the arch of host node3",
			},
		},
		{
			name: "mirror of an unknown component, URL password redacted",
			yaml: func(testing.TB) string {
				return withSpec("  artifacts:\n    sources:\n      binaries:\n" +
					"        kubelet: https://mirror.example/k8s\n" +
					"        containerd: 'ftp://user:hunter2@mirror.example/c'\n" +
					"      registries:\n        registry.k8s.io: 'https://mirror'\n")
			},
			want: []string{
				`c.yaml:23: spec.artifacts.sources.binaries["containerd"]: "ftp://user:xxxxx@` +
					`mirror.example/c" is not an http or https URL`,
				`c.yaml:22: spec.artifacts.sources.binaries["kubelet"]: "kubelet" is not a ` +
					`component with files ([cni-plugins containerd crictl etcd flannel-cni-plugin ` +
					`helm kubernetes registry runc])`,
				`c.yaml:25: spec.artifacts.sources.registries["registry.k8s.io"]: "https://mirror" ` +
					`is not a registry prefix like mirror.example:5000/k8s`,
			},
		},
		{
			name: "package mirror for an OS kubexm does not serve",
			yaml: func(testing.TB) string {
				return withSpec("  artifacts:\n    sources:\n      packages:\n" +
					"        rocky: https://mirror.example/rocky\n" +
					"        debian: 'mirror.example/debian'\n")
			},
			want: []string{
				`c.yaml:23: spec.artifacts.sources.packages["debian"]: "mirror.example/debian" ` +
					`is not an http or https URL`,
				`c.yaml:22: spec.artifacts.sources.packages["rocky"]: "rocky" is not an OS ` +
					`kubexm collects packages for (debian, ubuntu)`,
			},
		},
		{
			name: "containerd mirror that is not a URL",
			yaml: func(testing.TB) string {
				return withSpec("  containerRuntime:\n    type: docker\n    registryMirrors:\n" +
					"      docker.io: [mirror.example]\n      'bad host!': []\n")
			},
			want: []string{
				`c.yaml:20: spec.containerRuntime.type: "docker" is not supported (want containerd)`,
				`c.yaml:23: spec.containerRuntime.registryMirrors["bad host!"]: "bad host!" is ` +
					`not a registry host like docker.io or 10.0.0.5:5000`,
				`c.yaml:23: spec.containerRuntime.registryMirrors["bad host!"]: must list at ` +
					`least one endpoint`,
				`c.yaml:22: spec.containerRuntime.registryMirrors["docker.io"][0]: ` +
					`"mirror.example" is not a URL like https://mirror.example:5000`,
			},
		},
		{
			name: "node-local DNS on an address that is not IPv4",
			yaml: func(testing.TB) string {
				return withSpec("  dns:\n    nodeLocalDNS:\n      ip: fe80::10\n" +
					"    coredns:\n      version: v1\n")
			},
			want: []string{
				`c.yaml:23: spec.dns.coredns.version: "v1" is not a version like v1.13.1`,
				`c.yaml:21: spec.dns.nodeLocalDNS.ip: "fe80::10" is not an IPv4 address`,
			},
		},
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tt := range invalidCases() {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml(t)), "c.yaml")
			if diff := cmp.Diff(tt.want, fieldErrors(t, err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorsNeverShowSecrets breaks every field next to a secret and checks
// that no error message quotes one.
func TestErrorsNeverShowSecrets(t *testing.T) {
	data := withSpec("  registry:\n    host: nowhere\n    auth:\n      username: ''\n" +
		"      password: registry-secret\n" +
		"  containerRuntime:\n    registryMirrors:\n" +
		"      docker.io: ['http://u:mirror-secret@bad host/']\n")
	data = strings.Replace(data, "address: 10.0.0.1", "address: 10.0.0.999", 1)

	_, err := Parse([]byte(data), "c.yaml")
	if err == nil {
		t.Fatal("Parse succeeded, want errors")
	}
	for _, secret := range []string{"secret-one", "secret-three", "registry-secret", "mirror-secret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows secret %q:\n%v", secret, err)
		}
	}
}

// TestParseValid are configs near the edges of the rules that must load.
func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		yaml func(t testing.TB) string
	}{
		{
			name: "hosts on one address with forwarded ports",
			yaml: func(t testing.TB) string {
				return edit(t,
					"address: 10.0.0.1", "address: 127.0.0.1\n      port: 2201\n      internalAddress: 10.0.0.1",
					"address: 10.0.0.2", "address: 127.0.0.1\n      port: 2202\n      internalAddress: 10.0.0.2")
			},
		},
		{
			name: "host name address with an internal address",
			yaml: func(t testing.TB) string {
				return edit(t, "address: 10.0.0.3", "address: Node3.Example.lan\n      internalAddress: 10.0.0.3")
			},
		},
		{
			name: "IPv6 addresses",
			yaml: func(t testing.TB) string { return edit(t, "address: 10.0.0.3", "address: fd00::3") },
		},
		{
			name: "a chain of jump hosts through a host with no role",
			yaml: func(t testing.TB) string {
				return edit(t,
					"password: secret-one", "password: secret-one\n      jumpHost: node2",
					"privateKeyPath: /root/.ssh/id_ed25519", "privateKeyPath: /root/.ssh/id_ed25519\n      jumpHost: bastion",
					"  roleGroups:", "    - name: bastion\n      address: 192.0.2.1\n      password: b\n  roleGroups:")
			},
		},
		{
			name: "external etcd over plain http needs no certificates",
			yaml: func(testing.TB) string {
				return withSpec("  etcd:\n    type: external\n    external:\n      endpoints: [http://10.0.0.5:2379]\n")
			},
		},
		{
			name: "three stacked etcd members on three control-plane hosts",
			yaml: func(t testing.TB) string {
				return edit(t, "controlPlane: [node1]", "controlPlane: [node1, node2, node3]") +
					"  etcd: {type: kubeadm}\n"
			},
		},
		{
			name: "pinned host key and an arm64 host",
			yaml: func(t testing.TB) string {
				return edit(t, "password: secret-one", "password: secret-one\n      arch: arm64\n"+
					"      hostKeyFingerprint: SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s")
			},
		},
		{
			name: "anchors and merge keys",
			yaml: func(t testing.TB) string {
				return edit(t,
					"    - name: node1\n", "    - &base\n      name: node1\n      user: admin\n",
					"    - name: node3\n", "    - <<: *base\n      name: node3\n")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.yaml(t)), "c.yaml"); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}
