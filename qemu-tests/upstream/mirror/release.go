package mirror

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// File is one release file on the mirror's file server, at the path where upstream
// publishes it below its host name, with the checksum file that upstream publishes for it.
type File struct {
	Component string
	Version   string
	Arch      string
	// Path is the URL path, e.g. /dl.k8s.io/release/v1.37.2/bin/linux/amd64/kubeadm: the
	// upstream URL with "https://" taken off, so that a URL template for upstream reaches the
	// mirror when its base URL is given the mirror's prefix.
	Path string
	// SumPath is the URL path of the checksum file, in the format upstream uses for it.
	SumPath string
	// SHA256 is the file's digest, in hexadecimal.
	SHA256 string
}

// sumFormat is how a checksum file is written.
type sumFormat int

const (
	// sumBare holds the digest alone, as dl.k8s.io and cri-tools publish it.
	sumBare sumFormat = iota
	// sumLine holds "digest  name" lines, as sha256sum prints them.
	sumLine
)

// releaseSpec says how one release file is made from built programs.
type releaseSpec struct {
	component, version, arch string

	dir     string   // folder below the server root: host name and upstream path
	name    string   // upstream file name
	program string   // a single program served as it is, when members is empty
	members []member // the archive's files

	sumName   string
	sumFormat sumFormat
}

// publish writes the release file of s and its checksum file under root, unless they are
// there from an earlier run, and describes them.
func publish(root string, s releaseSpec) (File, error) {
	dst := filepath.Join(root, filepath.FromSlash(s.dir), s.name)
	sumDst := filepath.Join(root, filepath.FromSlash(s.dir), s.sumName)
	f := File{Component: s.component, Version: s.version, Arch: s.arch,
		Path: "/" + path.Join(s.dir, s.name), SumPath: "/" + path.Join(s.dir, s.sumName)}

	if _, err := os.Stat(sumDst); err != nil {
		if err := writeRelease(dst, s); err != nil {
			return File{}, fmt.Errorf("publishing %s of %s: %w", s.name, s.component, err)
		}
	}

	sum, err := sha256File(dst)
	if err != nil {
		return File{}, err
	}
	f.SHA256 = sum

	if err := writeAtomic(sumDst, func(w io.Writer) error {
		_, err := w.Write([]byte(sumText(s, sum)))
		return err
	}); err != nil {
		return File{}, fmt.Errorf("publishing checksum of %s: %w", s.name, err)
	}
	return f, nil
}

func writeRelease(dst string, s releaseSpec) error {
	if len(s.members) == 0 {
		return copyFile(dst, s.program)
	}
	return writeTarGz(dst, s.members)
}

// sumText renders the checksum file of s for a file whose digest is sum.
func sumText(s releaseSpec, sum string) string {
	if s.sumFormat == sumBare {
		return sum
	}
	return sum + "  " + s.name + "\n"
}

// programs lists the members of an archive: each named program of dir, under prefix.
func programs(dir, prefix string, names ...string) []member {
	var ms []member
	for _, n := range names {
		ms = append(ms, member{name: prefix + n, src: filepath.Join(dir, n), mode: 0o755})
	}
	return ms
}

// releaseSpecs lays out the release files of each built component as upstream does; bins
// maps a component name to the folder of its programs for arch.
func releaseSpecs(bins map[string]string, arch string) []releaseSpec {
	const gh = "github.com/"
	var specs []releaseSpec

	k8sDir := "dl.k8s.io/release/" + KubernetesVersion + "/bin/linux/" + arch
	for _, name := range kubernetesBinaries {
		specs = append(specs, releaseSpec{component: "kubernetes", version: KubernetesVersion,
			dir: k8sDir, name: name, program: filepath.Join(bins["kubernetes"], name),
			sumName: name + ".sha256", sumFormat: sumBare})
	}

	ctrd := "containerd-" + number(ContainerdVersion) + "-linux-" + arch + ".tar.gz"
	specs = append(specs, releaseSpec{component: "containerd", version: ContainerdVersion,
		dir: gh + "containerd/containerd/releases/download/" + ContainerdVersion, name: ctrd,
		members: programs(bins["containerd"], "bin/", "containerd", "containerd-shim-runc-v2", "ctr"),
		sumName: ctrd + ".sha256sum", sumFormat: sumLine})

	specs = append(specs, releaseSpec{component: "runc", version: RuncVersion,
		dir:  gh + "opencontainers/runc/releases/download/" + RuncVersion,
		name: "runc." + arch, program: filepath.Join(bins["runc"], "runc"),
		sumName: "runc.sha256sum", sumFormat: sumLine})

	var plugins []string
	for _, p := range cniPlugins {
		plugins = append(plugins, p[strings.Index(p, "/")+1:])
	}
	cni := "cni-plugins-linux-" + arch + "-" + CNIVersion + ".tgz"
	specs = append(specs, releaseSpec{component: "cni-plugins", version: CNIVersion,
		dir:  gh + "containernetworking/plugins/releases/download/" + CNIVersion,
		name: cni, members: programs(bins["cni-plugins"], "./", plugins...),
		sumName: cni + ".sha256", sumFormat: sumLine})

	specs = append(specs, moreReleaseSpecs(bins, arch)...)
	for i := range specs {
		specs[i].arch = arch
	}
	return specs
}

// moreReleaseSpecs lays out the tools around the runtime: crictl, etcd, helm, the registry
// and flannel's CNI plugin.
func moreReleaseSpecs(bins map[string]string, arch string) []releaseSpec {
	const gh = "github.com/"

	crictl := "crictl-" + CrictlVersion + "-linux-" + arch + ".tar.gz"
	etcdDir := "etcd-" + EtcdVersion + "-linux-" + arch
	helm := "helm-" + HelmVersion + "-linux-" + arch + ".tar.gz"
	reg := "registry_" + number(RegistryVersion) + "_linux_" + arch + ".tar.gz"
	flannel := "cni-plugin-flannel-linux-" + arch + "-" + FlannelCNIVersion + ".tgz"
	return []releaseSpec{
		{component: "crictl", version: CrictlVersion,
			dir:  gh + "kubernetes-sigs/cri-tools/releases/download/" + CrictlVersion,
			name: crictl, members: programs(bins["crictl"], "", "crictl"),
			sumName: crictl + ".sha256", sumFormat: sumBare},
		{component: "etcd", version: EtcdVersion,
			dir:     gh + "etcd-io/etcd/releases/download/" + EtcdVersion,
			name:    etcdDir + ".tar.gz",
			members: programs(bins["etcd"], etcdDir+"/", "etcd", "etcdctl", "etcdutl"),
			sumName: "SHA256SUMS", sumFormat: sumLine},
		{component: "helm", version: HelmVersion, dir: "get.helm.sh", name: helm,
			members: programs(bins["helm"], "linux-"+arch+"/", "helm"),
			sumName: helm + ".sha256sum", sumFormat: sumLine},
		{component: "registry", version: RegistryVersion,
			dir:  gh + "distribution/distribution/releases/download/" + RegistryVersion,
			name: reg, members: programs(bins["registry"], "", "registry"),
			sumName: "registry_" + number(RegistryVersion) + "_checksums.txt", sumFormat: sumLine},
		{component: "flannel-cni-plugin", version: FlannelCNIVersion,
			dir:  gh + "flannel-io/cni-plugin/releases/download/" + FlannelCNIVersion,
			name: flannel, members: []member{{name: "flannel-" + arch,
				src: filepath.Join(bins["flannel-cni-plugin"], "flannel"), mode: 0o755}},
			sumName: flannel + ".sha256", sumFormat: sumLine},
	}
}

// number is a version without its leading "v", as some file names carry it.
func number(v string) string {
	return strings.TrimPrefix(v, "v")
}
