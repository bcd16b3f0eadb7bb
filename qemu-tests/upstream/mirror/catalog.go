package mirror

import (
	"context"
	"fmt"
	"slices"
)

// KubeadmEtcdVersion, KubeadmCoreDNSVersion and KubeadmPauseVersion are the versions of the
// images that kubeadm v1.37.2 runs by default (kubeadm config images list); they differ from
// the releases the profile installs, so the mirror builds both.
const (
	KubeadmEtcdVersion    = "v3.7.0"
	KubeadmCoreDNSVersion = "v1.14.6"
	KubeadmPauseVersion   = "3.10.2"
)

// multiArch are the arches of the images that nodes of either arch pull.
var multiArch = []string{"amd64", "arm64"}

// builds lists every program build of the mirror, by key, with the arch to build for.
// Kubernetes comes first: it takes the longest, and everything else waits on the same lock.
type buildJob struct {
	key    string
	recipe recipe
	arch   string
}

func buildJobs() []buildJob {
	jobs := []buildJob{
		{"kubernetes", kubernetesRecipe(), "amd64"},
		{"containerd", containerdRecipe(), "amd64"},
		{"runc", runcRecipe(), "amd64"},
		{"cni-plugins", cniRecipe(), "amd64"},
		{"flannel-cni-plugin", flannelCNIRecipe(), "amd64"},
		{"crictl", crictlRecipe(), "amd64"},
		{"etcd", etcdRecipe(EtcdVersion), "amd64"},
		{"etcd-kubeadm", etcdRecipe(KubeadmEtcdVersion), "amd64"},
		{"helm", helmRecipe(), "amd64"},
		{"registry", registryRecipe(), "amd64"},
		{"flannel", flannelRecipe(), "amd64"},
	}
	for _, arch := range multiArch {
		jobs = append(jobs, buildJob{"pause/" + arch, pauseRecipe(), arch},
			buildJob{"coredns/" + arch, corednsRecipe(CoreDNSVersion), arch})
	}
	// kubexm installs CoreDNS from its chart (v1.13.1, for both arches); kubeadm's own
	// CoreDNS is only listed by kubeadm, so one arch of it spares a long build.
	return append(jobs, buildJob{"coredns-kubeadm/amd64", corednsRecipe(KubeadmCoreDNSVersion),
		"amd64"})
}

// BuildKeys are the names Build takes: a component, or component/arch for those built for
// more than one arch.
func BuildKeys() []string {
	var keys []string
	for _, j := range buildJobs() {
		keys = append(keys, j.key)
	}
	return keys
}

// Build builds into the cache the programs named by keys (see BuildKeys), or all of them
// when keys is empty, so that a machine can warm its cache before the tests need it.
func Build(ctx context.Context, o Options, keys ...string) error {
	if err := o.defaults(); err != nil {
		return err
	}
	b := &builder{Cache: o.Cache, Log: o.Log}

	for _, k := range keys {
		if !slices.Contains(BuildKeys(), k) {
			return fmt.Errorf("building %q: no such component; known are %v", k, BuildKeys())
		}
	}
	_, err := b.buildAll(ctx, keys...)
	return err
}

// buildAll builds (or finds in the cache) the programs of keys, or of every build job when
// keys is empty, and returns their folders by key.
func (b *builder) buildAll(ctx context.Context, keys ...string) (map[string]string, error) {
	bins := map[string]string{}
	for _, j := range buildJobs() {
		if len(keys) > 0 && !slices.Contains(keys, j.key) {
			continue
		}
		dir, err := b.build(ctx, j.recipe, j.arch)
		if err != nil {
			return nil, err
		}
		bins[j.key] = dir
	}
	return bins, nil
}

// imageSpecs lists the images of the mirror, built from bins (see buildAll) and the Debian
// userland in debian.
func imageSpecs(bins map[string]string, debian string) []imageSpec {
	const k8s = "registry.k8s.io/"
	userland := layerSpec{tree: debian}
	var specs []imageSpec

	for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		specs = append(specs, imageSpec{names: []string{k8s + c + ":" + KubernetesVersion},
			archs: []string{"amd64"}, entrypoint: []string{"/usr/local/bin/" + c},
			layers: fixedLayers(programLayer(bins["kubernetes"], "/usr/local/bin", c))})
	}
	specs = append(specs, imageSpec{names: []string{k8s + "kube-proxy:" + KubernetesVersion},
		archs: []string{"amd64"}, entrypoint: []string{"/usr/local/bin/kube-proxy"},
		layers: fixedLayers(userland,
			programLayer(bins["kubernetes"], "/usr/local/bin", "kube-proxy"))})

	specs = append(specs, imageSpec{
		names: []string{k8s + "pause:" + PauseVersion, k8s + "pause:" + KubeadmPauseVersion},
		archs: multiArch, entrypoint: []string{"/pause"},
		layers: perArch(func(arch string) []layerSpec {
			return []layerSpec{programLayer(bins["pause/"+arch], "", "pause")}
		})})

	for key, v := range map[string]string{"etcd": EtcdVersion, "etcd-kubeadm": KubeadmEtcdVersion} {
		specs = append(specs, imageSpec{names: []string{k8s + "etcd:" + number(v) + "-0"},
			archs: []string{"amd64"}, entrypoint: []string{"/usr/local/bin/etcd"},
			layers: fixedLayers(programLayer(bins[key], "/usr/local/bin", "etcd", "etcdctl",
				"etcdutl"))})
	}
	return append(specs, addonImageSpecs(bins, userland)...)
}

// addonImageSpecs lists the images of the add-ons: CoreDNS, flannel and the registry.
func addonImageSpecs(bins map[string]string, userland layerSpec) []imageSpec {
	corednsLayers := func(key string) func(string) ([]layerSpec, error) {
		return perArch(func(arch string) []layerSpec {
			return []layerSpec{programLayer(bins[key+"/"+arch], "", "coredns")}
		})
	}
	registryConf := layerFile{path: "/etc/distribution/config.yml", mode: 0o644,
		data: []byte(defaultRegistryConfig)}

	return []imageSpec{
		// The chart names CoreDNS by its Docker Hub name and a tag without "v"; the profile
		// and kubeadm by its registry.k8s.io name.
		{names: []string{"registry.k8s.io/coredns/coredns:" + CoreDNSVersion,
			"docker.io/coredns/coredns:" + number(CoreDNSVersion)},
			archs: multiArch, entrypoint: []string{"/coredns"}, layers: corednsLayers("coredns")},
		{names: []string{"registry.k8s.io/coredns/coredns:" + KubeadmCoreDNSVersion},
			archs: []string{"amd64"}, entrypoint: []string{"/coredns"},
			layers: corednsLayers("coredns-kubeadm")},
		{names: []string{"ghcr.io/flannel-io/flannel:" + FlannelVersion},
			archs: []string{"amd64"}, entrypoint: []string{"/opt/bin/flanneld"},
			layers: fixedLayers(userland,
				programLayer(bins["flannel"], "/opt/bin", "flanneld", "install-conf"))},
		// flannel's CNI plugin image is only copied from, by the cp of the userland.
		{names: []string{"ghcr.io/flannel-io/flannel-cni-plugin:" + FlannelCNIVersion},
			archs: []string{"amd64"}, entrypoint: []string{"/bin/sh"},
			layers: fixedLayers(userland, programLayer(bins["flannel-cni-plugin"], "", "flannel"))},
		{names: []string{"docker.io/library/registry:" + number(RegistryVersion)},
			archs: []string{"amd64"}, entrypoint: []string{"/bin/registry"},
			cmd: []string{"serve", "/etc/distribution/config.yml"},
			layers: fixedLayers(programLayer(bins["registry"], "/bin", "registry"),
				layerSpec{files: []layerFile{registryConf}})},
	}
}

// defaultRegistryConfig is the configuration the upstream registry image carries.
const defaultRegistryConfig = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
`

// fixedLayers gives the same layers for every arch.
func fixedLayers(ls ...layerSpec) func(string) ([]layerSpec, error) {
	return func(string) ([]layerSpec, error) { return ls, nil }
}

// perArch gives the layers that f makes for each arch.
func perArch(f func(arch string) []layerSpec) func(string) ([]layerSpec, error) {
	return func(arch string) ([]layerSpec, error) { return f(arch), nil }
}
