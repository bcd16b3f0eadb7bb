package config

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The roles a host can play, as roleGroups names them.
const (
	RoleEtcd         = "etcd"
	RoleControlPlane = "controlPlane"
	RoleWorker       = "worker"
	RoleRegistry     = "registry"
)

// ReservedHostName is the name plans and logs give the machine kubexm runs
// on; no host of the config may take it.
const ReservedHostName = "control"

// AllRoles are the roles in the order Roles lists them.
var AllRoles = []string{RoleEtcd, RoleControlPlane, RoleWorker, RoleRegistry}

// The values of spec.controlPlaneEndpoint.loadBalancer.
const (
	LBNone     = "none"
	LBKubeVIP  = "kubevip"
	LBHAProxy  = "haproxy"
	LBExternal = "external"
)

// The values of spec.etcd.type.
const (
	EtcdKubexm   = "kubexm"   // etcd binaries under systemd on the etcd hosts
	EtcdKubeadm  = "kubeadm"  // stacked: kubeadm's static pods on the control plane
	EtcdExternal = "external" // run by someone else; kubexm only connects
)

// The CPU architectures kubexm installs on, in GOARCH spelling.
const (
	ArchAMD64 = "amd64"
	ArchARM64 = "arm64"
)

// The values of spec.network.plugin.
const (
	NetworkFlannel = "flannel"
	NetworkCalico  = "calico"
)

// Host returns the host called name, and whether there is one.
func (c *Cluster) Host(name string) (Host, bool) {
	for _, h := range c.Spec.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// HostsInRole returns the hosts of a role (RoleEtcd, ...) in the order the
// role group lists them. An unknown role has none.
func (c *Cluster) HostsInRole(role string) []Host {
	var hosts []Host
	for _, name := range c.roleMembers(role) {
		if h, ok := c.Host(name); ok {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// Roles returns the roles of the host called name, in the order of AllRoles.
// A host that is only a jump host has none.
func (c *Cluster) Roles(name string) []string {
	var roles []string
	for _, role := range AllRoles {
		if slices.Contains(c.roleMembers(role), name) {
			roles = append(roles, role)
		}
	}
	return roles
}

// roleMembers returns the host names the role group of role lists.
func (c *Cluster) roleMembers(role string) []string {
	g := c.Spec.RoleGroups
	switch role {
	case RoleEtcd:
		return g.Etcd
	case RoleControlPlane:
		return g.ControlPlane
	case RoleWorker:
		return g.Worker
	case RoleRegistry:
		return g.Registry
	}
	return nil
}

// Secrets returns every password, passphrase and credential in the config,
// including passwords written into URLs, so that logs and errors can blank
// them out. Each appears once.
func (c *Cluster) Secrets() []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}

	for _, h := range c.Spec.Hosts {
		add(h.Password)
		add(h.PrivateKeyPassphrase)
	}
	if a := c.Spec.Registry.Auth; a != nil {
		add(a.Password)
	}
	for _, u := range c.urls() {
		for _, secret := range urlSecrets(u) {
			add(secret)
		}
	}
	return out
}

// urls returns every URL of the config that may carry credentials.
func (c *Cluster) urls() []string {
	s := c.Spec
	var urls []string
	for _, endpoints := range s.ContainerRuntime.RegistryMirrors {
		urls = append(urls, endpoints...)
	}
	if s.Etcd.External != nil {
		urls = append(urls, s.Etcd.External.Endpoints...)
	}
	for _, a := range s.Addons {
		urls = append(urls, a.Repo, a.OCI)
	}
	for _, ch := range s.Artifacts.ExtraCharts {
		urls = append(urls, ch.Repo)
	}
	for _, m := range []map[string]string{
		s.Artifacts.Sources.Binaries, s.Artifacts.Sources.Registries, s.Artifacts.Sources.Charts,
		s.Artifacts.Sources.Packages,
	} {
		for _, u := range m {
			urls = append(urls, u)
		}
	}

	slices.Sort(urls)
	return urls
}

// urlSecrets returns the credentials in a URL's user information: the
// password as written (percent-encoded) and decoded, or the user name alone
// when there is no password, as with a token (https://TOKEN@host).
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return nil
	}
	p, ok := u.User.Password()
	if !ok {
		return []string{u.User.Username()}
	}
	_, written, _ := strings.Cut(u.User.String(), ":")
	return []string{p, written}
}

// Hash returns a stable digest of the effective config (after defaults): the
// same config gives the same hash across runs and kubexm versions that
// render it the same, so a resumed run can tell whether the config changed.
// It is hex SHA-256 and reveals nothing of the secrets in the config.
func (c *Cluster) Hash() string {
	// Marshalling a struct of strings, numbers, lists and maps cannot fail:
	// yaml.v3 writes fields in declaration order and map keys sorted.
	data, err := yaml.Marshal(c)
	if err != nil {
		panic("config: marshalling the cluster for its hash: " + err.Error())
	}

	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
