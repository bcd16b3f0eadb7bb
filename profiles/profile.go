// Package profiles holds the defaults kubexm builds a cluster from: component
// versions that are known to work together, where upstream publishes each
// component's files and images, and the operating-system packages each role
// needs.
//
// The default profile is the YAML file default.yaml, embedded in the binary,
// so an air-gapped site needs no file beside kubexm to know what to install.
// The cluster config fills the fields a user leaves out from it, and make-tar
// reads it to know what to collect.
package profiles

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed default.yaml
var defaultYAML []byte

// The names of the components in a profile. Other packages look components
// up by these names, so a profile must use them.
const (
	Kubernetes       = "kubernetes"
	Containerd       = "containerd"
	Runc             = "runc"
	CNIPlugins       = "cni-plugins"
	Crictl           = "crictl"
	Etcd             = "etcd"
	Helm             = "helm"
	Registry         = "registry"
	Pause            = "pause"
	CoreDNS          = "coredns"
	NodeLocalDNS     = "nodelocaldns"
	Flannel          = "flannel"
	FlannelCNIPlugin = "flannel-cni-plugin"
	Calico           = "calico"
)

// required are the components every profile must have: the cluster config
// takes its default versions from them.
var required = []string{
	Kubernetes, Containerd, Runc, CNIPlugins, Crictl, Etcd, Helm, Registry,
	Pause, CoreDNS, NodeLocalDNS, Flannel, FlannelCNIPlugin, Calico,
}

// PackagesForAll is the key of Profile.Packages whose list every host gets.
const PackagesForAll = "all"

// packageKeys are the keys Profile.Packages may use: PackagesForAll and the
// role names of the cluster config.
var packageKeys = []string{PackagesForAll, "etcd", "controlPlane", "worker", "registry"}

// Profile is one set of defaults: what a cluster gets, and from where.
type Profile struct {
	// Name identifies the profile in logs and in the bundle's manifest.
	Name string `yaml:"name"`

	// Description says in one line what the profile installs.
	Description string `yaml:"description"`

	// Defaults are the values of the cluster config's optional fields.
	Defaults Defaults `yaml:"defaults"`

	// Components are the programs, images and charts a cluster is built from.
	Components []Component `yaml:"components"`

	// Packages are the operating-system packages to install, by role: the
	// list under PackagesForAll goes to every host.
	Packages map[string][]string `yaml:"packages"`

	// Boot is what the bootable ISO boots: a distribution's kernel and
	// boot loaders, and the kernel modules the installer needs.
	Boot Boot `yaml:"boot"`
}

// Boot names the parts of the bootable ISO that come from a distribution.
// They are packages like the hosts' ones, fetched and checked by the same
// apt client, from the same sources, so the medium holds nothing that was
// not verified against the distribution's archive key.
type Boot struct {
	// OS is the release the parts come from.
	OS OS `yaml:"os"`
	// Kernel is the kernel package, or a metapackage that depends on one
	// (linux-image-amd64): the newest linux-image-* it names is taken.
	Kernel string `yaml:"kernel"`
	// BIOS is the package with isolinux.bin and isohdpfx.bin, and the one
	// with ldlinux.c32.
	BIOS BootPackages `yaml:"bios"`
	// EFI is the package with the EFI boot loader (systemd-boot).
	EFI string `yaml:"efi"`
	// Modules are the kernel modules the installer loads, by name; their
	// dependencies come with them.
	Modules []string `yaml:"modules"`
}

// BootPackages are the BIOS boot loader's packages.
type BootPackages struct {
	Isolinux string `yaml:"isolinux"` // isolinux.bin and the hybrid MBR code
	Syslinux string `yaml:"syslinux"` // ldlinux.c32, isolinux's core module
}

// Defaults are the values a cluster config gets for the fields it leaves out,
// other than component versions (which come from the components).
type Defaults struct {
	SSHPort          int    `yaml:"sshPort"`          // port of the hosts' SSH servers
	SSHUser          string `yaml:"sshUser"`          // user kubexm logs in as
	Arch             string `yaml:"arch"`             // GOARCH spelling of the hosts
	APIServerPort    int    `yaml:"apiServerPort"`    // port of the control-plane endpoint
	APIServerDomain  string `yaml:"apiServerDomain"`  // name of the control-plane endpoint
	LoadBalancer     string `yaml:"loadBalancer"`     // what balances the API servers
	DNSDomain        string `yaml:"dnsDomain"`        // the cluster's DNS domain
	PodSubnet        string `yaml:"podSubnet"`        // CIDR pods get addresses from
	ServiceSubnet    string `yaml:"serviceSubnet"`    // CIDR services get addresses from
	KubeProxyMode    string `yaml:"kubeProxyMode"`    // iptables, ipvs or nftables
	NetworkPlugin    string `yaml:"networkPlugin"`    // flannel or calico
	EtcdType         string `yaml:"etcdType"`         // kubexm, kubeadm or external
	ContainerRuntime string `yaml:"containerRuntime"` // the only one: containerd
	RegistryType     string `yaml:"registryType"`     // the only one: registry
	RegistryPort     int    `yaml:"registryPort"`     // port the image registry listens on
	NodeLocalDNS     bool   `yaml:"nodeLocalDNS"`     // whether NodeLocal DNS runs
	NodeLocalDNSIP   string `yaml:"nodeLocalDNSIP"`   // link-local address NodeLocal DNS binds
	AddonNamespace   string `yaml:"addonNamespace"`   // namespace of add-ons that name none
	OS               []OS   `yaml:"os"`               // releases a bundle carries packages for
}

// OS is an operating-system release that a bundle carries packages for.
type OS struct {
	// ID is the ID field of /etc/os-release: debian, ubuntu.
	ID string `yaml:"id"`
	// Version is the VERSION_ID field of /etc/os-release: 12, 22.04.
	Version string `yaml:"version"`
}

// Chart is a Helm chart in a chart repository.
type Chart struct {
	Name    string `yaml:"name"`    // the chart's name in the repository
	Repo    string `yaml:"repo"`    // URL of the chart repository
	Version string `yaml:"version"` // the chart's version, as the repository spells it
}

// Default returns the embedded default profile. Each call returns a fresh
// copy that the caller may change.
func Default() (*Profile, error) {
	p, err := Parse(defaultYAML)
	if err != nil {
		return nil, fmt.Errorf("embedded profile default.yaml: %w", err)
	}
	return p, nil
}

// Parse reads a profile from YAML and validates it. Unknown fields are
// errors, so a misspelt key does not silently fall back to nothing.
func Parse(data []byte) (*Profile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)

	var p Profile
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("profile is empty")
		}
		return nil, fmt.Errorf("decoding profile: %w", err)
	}

	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Component returns the component called name, and whether there is one.
func (p *Profile) Component(name string) (Component, bool) {
	for _, c := range p.Components {
		if c.Name == name {
			return c, true
		}
	}
	return Component{}, false
}

// PackagesFor returns the operating-system packages a host with the given
// roles needs: the list for every host plus each role's list, sorted, with
// no name twice.
func (p *Profile) PackagesFor(roles ...string) []string {
	var out []string
	for _, key := range append([]string{PackagesForAll}, roles...) {
		out = append(out, p.Packages[key]...)
	}

	slices.Sort(out)
	return slices.Compact(out)
}

// Validate reports every problem of the profile at once, each naming the
// field at fault.
func (p *Profile) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	if strings.TrimSpace(p.Name) == "" {
		add("name: must be set")
	}
	errs = append(errs, p.Defaults.validate()...)
	errs = append(errs, p.validateComponents()...)

	errs = append(errs, p.Boot.validate()...)
	for key, pkgs := range p.Packages {
		if !slices.Contains(packageKeys, key) {
			add("packages.%s: not a role (want one of %s)", key, strings.Join(packageKeys, ", "))
		}
		for i, name := range pkgs {
			if !isPackageName(name) {
				add("packages.%s[%d]: %q is not a package name", key, i, name)
			}
		}
	}
	return errors.Join(errs...)
}

// validateComponents checks each component and that the required ones and
// the default network plugin are there.
func (p *Profile) validateComponents() []error {
	var errs []error
	seen := map[string]bool{}
	for i, c := range p.Components {
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("components[%d].name: %q appears twice", i, c.Name))
		}
		seen[c.Name] = true
		errs = append(errs, c.validate(fmt.Sprintf("components[%d]", i))...)
	}

	for _, name := range required {
		if !seen[name] {
			errs = append(errs, fmt.Errorf("components: %q is missing", name))
		}
	}
	return errs
}

// validate checks that every default the cluster config relies on is set.
func (d Defaults) validate() []error {
	var errs []error
	for field, v := range map[string]string{
		"sshUser": d.SSHUser, "arch": d.Arch, "apiServerDomain": d.APIServerDomain,
		"loadBalancer": d.LoadBalancer, "dnsDomain": d.DNSDomain, "podSubnet": d.PodSubnet,
		"serviceSubnet": d.ServiceSubnet, "kubeProxyMode": d.KubeProxyMode,
		"networkPlugin": d.NetworkPlugin, "etcdType": d.EtcdType,
		"containerRuntime": d.ContainerRuntime, "registryType": d.RegistryType,
		"nodeLocalDNSIP": d.NodeLocalDNSIP, "addonNamespace": d.AddonNamespace,
	} {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("defaults.%s: must be set", field))
		}
	}

	for field, v := range map[string]int{
		"sshPort": d.SSHPort, "apiServerPort": d.APIServerPort, "registryPort": d.RegistryPort,
	} {
		if v < 1 || v > 65535 {
			errs = append(errs, fmt.Errorf("defaults.%s: %d is not a port", field, v))
		}
	}

	if d.NetworkPlugin != Flannel && d.NetworkPlugin != Calico {
		errs = append(errs, fmt.Errorf("defaults.networkPlugin: %q is not flannel or calico",
			d.NetworkPlugin))
	}
	for i, os := range d.OS {
		if os.ID == "" || os.Version == "" {
			errs = append(errs, fmt.Errorf("defaults.os[%d]: id and version must be set", i))
		}
	}

	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errs
}

// isPackageName reports whether s is spelt as a Debian package name:
// lower-case letters, digits, and + - . after the first character.
func isPackageName(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case i > 0 && (r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// validate checks that every boot part is named.
func (b Boot) validate() []error {
	var errs []error
	for field, name := range map[string]string{
		"boot.kernel": b.Kernel, "boot.bios.isolinux": b.BIOS.Isolinux,
		"boot.bios.syslinux": b.BIOS.Syslinux, "boot.efi": b.EFI,
	} {
		if !isPackageName(name) {
			errs = append(errs, fmt.Errorf("%s: %q is not a package name", field, name))
		}
	}
	if b.OS.ID == "" || b.OS.Version == "" {
		errs = append(errs, errors.New("boot.os: id and version must be set"))
	}
	if len(b.Modules) == 0 {
		errs = append(errs, errors.New("boot.modules: the installer needs at least one module"))
	}
	return errs
}
