package mirror

import (
	"fmt"
	"os/exec"
	"strings"
)

// Versions of the components the mirror builds. Kubernetes' own are the ones its release
// was tested with; the others are the newest releases the module proxy serves.
const (
	KubernetesVersion = "v1.37.2"
	ContainerdVersion = "v2.4.2"
	RuncVersion       = "v1.5.3"
	CNIVersion        = "v1.9.1"
	CrictlVersion     = "v1.37.0"
	EtcdVersion       = "v3.7.3"
	HelmVersion       = "v4.3.2"
	RegistryVersion   = "v3.1.2"
	CoreDNSVersion    = "v1.13.1"
	FlannelVersion    = "v0.28.9"
	// FlannelCNIVersion is the tag of flannel's CNI plugin image that the flannel chart
	// names. That plugin's own repository is not in the module proxy; the plugin was split
	// out of the CNI plugins, whose v0.9.1 still carries it, so it is built from there.
	FlannelCNIVersion = "v1.9.1-flannel3"
	// PauseVersion is the tag of the pause image that kubeadm v1.37.2 asks for.
	PauseVersion = "3.10.1"
)

// kubernetesBinaries are the programs of a Kubernetes release that kubexm installs or runs
// as images.
var kubernetesBinaries = []string{"kubeadm", "kubelet", "kubectl", "kube-apiserver",
	"kube-controller-manager", "kube-scheduler", "kube-proxy"}

func kubernetesRecipe() recipe {
	var bins []binary
	for _, name := range kubernetesBinaries {
		bins = append(bins, binary{"k8s.io/kubernetes/cmd/" + name, name})
	}

	// kubeadm refuses to run when its version is the placeholder of an unstamped build, and
	// reads it from component-base; kubectl reads the client-go copy.
	major, minor := splitVersion(KubernetesVersion)
	var ld []string
	for _, pkg := range []string{"k8s.io/client-go/pkg/version", "k8s.io/component-base/version"} {
		ld = append(ld, "-X "+pkg+".gitVersion="+KubernetesVersion, "-X "+pkg+".gitMajor="+major,
			"-X "+pkg+".gitMinor="+minor, "-X "+pkg+".gitTreeState=clean",
			"-X "+pkg+".buildDate=2026-01-01T00:00:00Z")
	}

	return recipe{
		name: "kubernetes", version: KubernetesVersion,
		require: []string{"k8s.io/kubernetes " + KubernetesVersion},
		staging: "k8s.io/kubernetes " + KubernetesVersion, stagingVersion: "v0" +
			strings.TrimPrefix(KubernetesVersion, "v1"),
		bins: bins, ldflags: strings.Join(ld, " "),
	}
}

// splitVersion returns the major and minor number of a version such as v1.37.2.
func splitVersion(v string) (string, string) {
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	return parts[0], parts[1]
}

func containerdRecipe() recipe {
	const mod = "github.com/containerd/containerd/v2"
	return recipe{
		name: "containerd", version: ContainerdVersion,
		require: []string{mod + " " + ContainerdVersion},
		bins: []binary{{mod + "/cmd/containerd", "containerd"},
			{mod + "/cmd/containerd-shim-runc-v2", "containerd-shim-runc-v2"},
			{mod + "/cmd/ctr", "ctr"}},
		ldflags: "-X " + mod + "/version.Version=" + ContainerdVersion,
	}
}

// runcRecipe builds runc statically, as upstream ships it. Its seccomp support needs
// libseccomp; without the library (pkg-config cannot find it) runc is built without seccomp,
// which the containers of the tests do not ask for.
func runcRecipe() recipe {
	r := recipe{
		name: "runc", version: RuncVersion,
		require: []string{"github.com/opencontainers/runc " + RuncVersion},
		bins:    []binary{{"github.com/opencontainers/runc", "runc"}},
		cgo:     true, tags: []string{"netgo", "osusergo"},
		ldflags: "-X main.version=" + strings.TrimPrefix(RuncVersion, "v") +
			" -extldflags -static",
	}
	if haveSeccomp() {
		r.tags = append(r.tags, "seccomp")
	}
	return r
}

// haveSeccomp tells whether libseccomp can be linked.
func haveSeccomp() bool {
	return exec.Command("pkg-config", "--exists", "libseccomp").Run() == nil
}

// cniPlugins are the plugins of the upstream CNI plugins archive, by folder.
var cniPlugins = []string{"main/bridge", "main/host-device", "main/ipvlan", "main/loopback",
	"main/macvlan", "main/ptp", "main/vlan", "main/dummy", "main/tap", "ipam/dhcp",
	"ipam/host-local", "ipam/static", "meta/bandwidth", "meta/firewall", "meta/portmap",
	"meta/sbr", "meta/tuning", "meta/vrf"}

func cniRecipe() recipe {
	const mod = "github.com/containernetworking/plugins"
	var bins []binary
	for _, p := range cniPlugins {
		bins = append(bins, binary{mod + "/plugins/" + p, p[strings.Index(p, "/")+1:]})
	}
	return recipe{
		name: "cni-plugins", version: CNIVersion, require: []string{mod + " " + CNIVersion},
		bins:    bins,
		ldflags: "-X " + mod + "/pkg/utils/buildversion.BuildVersion=" + CNIVersion,
	}
}

func flannelCNIRecipe() recipe {
	const mod = "github.com/containernetworking/plugins"
	return recipe{
		name: "flannel-cni-plugin", version: FlannelCNIVersion,
		require: []string{mod + " v0.9.1"},
		bins:    []binary{{mod + "/plugins/meta/flannel", "flannel"}},
	}
}

func crictlRecipe() recipe {
	const mod = "sigs.k8s.io/cri-tools"
	return recipe{
		name: "crictl", version: CrictlVersion, require: []string{mod + " " + CrictlVersion},
		bins:    []binary{{mod + "/cmd/crictl", "crictl"}},
		ldflags: "-X " + mod + "/pkg/version.Version=" + CrictlVersion,
	}
}

// etcdRecipe needs a wrapper module because etcd's modules replace each other by folder,
// which go install refuses; the server's main package is the etcd program.
func etcdRecipe(version string) recipe {
	const base = "go.etcd.io/etcd/"
	return recipe{
		name: "etcd", version: version,
		require: []string{base + "server/v3 " + version, base + "etcdctl/v3 " + version,
			base + "etcdutl/v3 " + version},
		bins: []binary{{base + "server/v3", "etcd"}, {base + "etcdctl/v3", "etcdctl"},
			{base + "etcdutl/v3", "etcdutl"}},
	}
}

func helmRecipe() recipe {
	const mod = "helm.sh/helm/v4"
	return recipe{
		name: "helm", version: HelmVersion, require: []string{mod + " " + HelmVersion},
		bins:    []binary{{mod + "/cmd/helm", "helm"}},
		ldflags: "-X " + mod + "/internal/version.version=" + HelmVersion,
	}
}

func registryRecipe() recipe {
	const mod = "github.com/distribution/distribution/v3"
	return recipe{
		name: "registry", version: RegistryVersion,
		require: []string{mod + " " + RegistryVersion},
		bins:    []binary{{mod + "/cmd/registry", "registry"}},
		ldflags: "-X " + mod + "/version.version=" + RegistryVersion,
	}
}

func corednsRecipe(version string) recipe {
	const mod = "github.com/coredns/coredns"
	return recipe{
		name: "coredns", version: version, require: []string{mod + " " + version},
		bins: []binary{{mod, "coredns"}},
	}
}

// flannelRecipe builds flanneld. One module that flannel requires is not served at the
// version it names; a later version of it is, and compiles. The udp backend needs cgo, so
// flanneld is linked against the C library and its image carries one.
func flannelRecipe() recipe {
	const mod = "github.com/flannel-io/flannel"
	const vpc = "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc"
	return recipe{
		name: "flannel", version: FlannelVersion, require: []string{mod + " " + FlannelVersion},
		replace: map[string]string{vpc: vpc + " v1.0.1000"},
		bins:    []binary{{mod, "flanneld"}, {mod + "/cmd/install_conf", "install-conf"}},
		cgo:     true,
		ldflags: "-X " + mod + "/pkg/version.Version=" + FlannelVersion,
	}
}

// pauseRecipe builds the pause program of this folder, whose source is embedded.
func pauseRecipe() recipe {
	return recipe{
		name: "pause", version: PauseVersion,
		files: map[string][]byte{"main.go": pauseSource},
		bins:  []binary{{"kubexm.invalid/upstream/pause", "pause"}},
	}
}

// binName is the file name go build gives the program of package pkg: its last path
// element, or the one before when the last is a major version suffix such as v3.
func binName(pkg string) string {
	parts := strings.Split(pkg, "/")
	last := parts[len(parts)-1]
	var n int
	if len(parts) > 1 && len(last) > 1 && last[0] == 'v' {
		if _, err := fmt.Sscanf(last[1:], "%d", &n); err == nil && fmt.Sprint(n) == last[1:] {
			return parts[len(parts)-2]
		}
	}
	return last
}
