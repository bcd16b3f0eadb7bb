package profiles

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultLoadsAndValidates(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}

	want := map[string]string{
		Kubernetes: "v1.37.2", Containerd: "v2.4.2", Runc: "v1.5.3", CNIPlugins: "v1.9.1",
		Crictl: "v1.37.0", Etcd: "v3.7.3", Helm: "v4.3.2", Registry: "v3.1.2",
		CoreDNS: "v1.13.1", Flannel: "v0.28.9", FlannelCNIPlugin: "v1.9.1-flannel3",
		Calico: "v3.32.1", NodeLocalDNS: "1.26.8", Pause: "3.10.1",
	}
	for name, version := range want {
		c, ok := p.Component(name)
		if !ok {
			t.Errorf("component %s missing", name)
			continue
		}
		if c.Version != version {
			t.Errorf("component %s: version %s, want %s", name, c.Version, version)
		}
	}

	c, _ := p.Component(CoreDNS)
	if c.Chart == nil || c.Chart.Version != "1.46.2" {
		t.Errorf("coredns chart = %+v, want version 1.46.2", c.Chart)
	}
}

func TestDefaultReturnsCopies(t *testing.T) {
	a, _ := Default()
	a.Components[0].Version = "changed"
	a.Defaults.PodSubnet = "changed"

	b, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if b.Components[0].Version == "changed" || b.Defaults.PodSubnet == "changed" {
		t.Fatal("a change to one Default result shows in the next")
	}
}

func TestFileURLs(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		component string
		base      string
		arch      string
		want      []string
	}{
		{
			name: "kubernetes from upstream", component: Kubernetes, arch: "arm64",
			want: []string{
				"https://dl.k8s.io/release/v1.37.2/bin/linux/arm64/kubeadm",
				"https://dl.k8s.io/release/v1.37.2/bin/linux/arm64/kubelet",
				"https://dl.k8s.io/release/v1.37.2/bin/linux/arm64/kubectl",
			},
		},
		{
			name: "containerd drops the v in its file name", component: Containerd, arch: "amd64",
			want: []string{"https://github.com/containerd/containerd/releases/download/" +
				"v2.4.2/containerd-2.4.2-linux-amd64.tar.gz"},
		},
		{
			name: "a mirror base with a trailing slash", component: Runc,
			base: "http://127.0.0.1:8080/runc/", arch: "arm64",
			want: []string{"http://127.0.0.1:8080/runc/v1.5.3/runc.arm64"},
		},
		{
			name: "registry", component: Registry, arch: "amd64",
			want: []string{"https://github.com/distribution/distribution/releases/download/" +
				"v3.1.2/registry_3.1.2_linux_amd64.tar.gz"},
		},
		{name: "image-only component has no files", component: Pause, arch: "amd64",
			want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := p.Component(tt.component)
			if !ok {
				t.Fatalf("no component %s", tt.component)
			}

			got, err := c.FileURLs(tt.base, tt.arch)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FileURLs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImageRefs(t *testing.T) {
	p, _ := Default()
	c, _ := p.Component(Etcd)

	got, err := c.ImageRefs()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"registry.k8s.io/etcd:3.7.3-0"}, got); diff != "" {
		t.Errorf("ImageRefs (-want +got):\n%s", diff)
	}
}

func TestPackagesFor(t *testing.T) {
	p, _ := Default()

	worker := p.PackagesFor("worker")
	cp := p.PackagesFor("controlPlane", "etcd")
	for _, pkg := range []string{"conntrack", "socat", "ipset", "ebtables", "ethtool", "chrony"} {
		if !contains(worker, pkg) || !contains(cp, pkg) {
			t.Errorf("%s is not installed on every host", pkg)
		}
	}
	if !contains(cp, "bash-completion") || contains(worker, "bash-completion") {
		t.Error("bash-completion should go to control-plane hosts only")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestParseRejects(t *testing.T) {
	good := string(defaultYAML)
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{name: "empty", yaml: "", want: "profile is empty"},
		{name: "unknown field", yaml: good + "\nextra: 1\n", want: "field extra not found"},
		{
			name: "broken template",
			yaml: strings.Replace(good, "runc.{{.Arch}}", "runc.{{.Arc}}", 1),
			want: `components[2]: runc files[0]: rendering template`,
		},
		{
			name: "missing component",
			yaml: strings.Replace(good, "name: crictl", "name: crictl2", 1),
			want: `components: "crictl" is missing`,
		},
		{
			name: "bad package name",
			yaml: strings.Replace(good, "- socat", "- Socat!", 1),
			want: `packages.all[1]: "Socat!" is not a package name`,
		},
		{
			name: "unknown role",
			yaml: strings.Replace(good, "  worker: []", "  workers: []", 1),
			want: `packages.workers: not a role`,
		},
		{
			name: "bad port",
			yaml: strings.Replace(good, "sshPort: 22", "sshPort: 0", 1),
			want: `defaults.sshPort: 0 is not a port`,
		},
		{
			name: "base not a URL",
			yaml: strings.Replace(good, "base: https://get.helm.sh", "base: get.helm.sh", 1),
			want: `components[6].base: "get.helm.sh" is not an http or https URL`,
		},
		{
			name: "boot loader missing",
			yaml: strings.Replace(good, "efi: systemd-boot-efi", "efi: \"\"", 1),
			want: `boot.efi: "" is not a package name`,
		},
		{
			name: "boot without modules",
			yaml: good[:strings.Index(good, "  modules:")],
			want: `boot.modules: the installer needs at least one module`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestDownloadsPairEachFileWithItsChecksum(t *testing.T) {
	prof, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	const base = "http://127.0.0.1:8080/mirror"
	tests := []struct {
		component, want, wantSum string
	}{
		{Kubernetes, base + "/release/v1.37.2/bin/linux/arm64/kubeadm",
			base + "/release/v1.37.2/bin/linux/arm64/kubeadm.sha256"},
		{Containerd, base + "/v2.4.2/containerd-2.4.2-linux-arm64.tar.gz",
			base + "/v2.4.2/containerd-2.4.2-linux-arm64.tar.gz.sha256sum"},
		{Runc, base + "/v1.5.3/runc.arm64", base + "/v1.5.3/runc.sha256sum"},
		{Etcd, base + "/v3.7.3/etcd-v3.7.3-linux-arm64.tar.gz", base + "/v3.7.3/SHA256SUMS"},
		{Registry, base + "/v3.1.2/registry_3.1.2_linux_arm64.tar.gz",
			base + "/v3.1.2/registry_3.1.2_checksums.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.component, func(t *testing.T) {
			c, ok := prof.Component(tt.component)
			if !ok {
				t.Fatalf("no component %s", tt.component)
			}
			files, err := c.Downloads(base, "arm64")
			if err != nil {
				t.Fatal(err)
			}
			if files[0].URL != tt.want || files[0].ChecksumURL != tt.wantSum ||
				files[0].Name != tt.want[strings.LastIndex(tt.want, "/")+1:] {
				t.Errorf("Downloads()[0] = %+v, want %s with %s", files[0], tt.want, tt.wantSum)
			}
		})
	}
}
