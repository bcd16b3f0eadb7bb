package config

import (
	"slices"

	"github.com/kubexm/kubexm/profiles"
)

// applyDefaults fills every optional field the config leaves out, from the
// profile and from the config's other fields. It never overwrites a value
// that is set, so validation sees the user's value.
func (c *Cluster) applyDefaults(prof *profiles.Profile) {
	d := prof.Defaults
	s := &c.Spec

	for i := range s.Hosts {
		h := &s.Hosts[i]
		setInt(&h.Port, d.SSHPort)
		set(&h.User, d.SSHUser)
		set(&h.Arch, d.Arch)
		set(&h.InternalAddress, h.Address)
	}

	set(&s.Etcd.Type, d.EtcdType)
	if len(s.RoleGroups.Etcd) == 0 && s.Etcd.Type != EtcdExternal {
		s.RoleGroups.Etcd = slices.Clone(s.RoleGroups.ControlPlane)
	}
	if s.Etcd.Type != EtcdExternal {
		set(&s.Etcd.Version, version(prof, profiles.Etcd))
	}

	c.defaultEndpoint(d)
	c.defaultKubernetes(prof)
	c.defaultAddons(d)
	c.defaultArtifacts(d)
}

// defaultEndpoint fills the control-plane endpoint. Without a balancer in
// front, or with a local haproxy on every node, the first control-plane host
// is as good an address as any; a virtual IP or an external balancer has an
// address only the user knows.
func (c *Cluster) defaultEndpoint(d profiles.Defaults) {
	e := &c.Spec.ControlPlaneEndpoint
	setInt(&e.Port, d.APIServerPort)
	set(&e.LoadBalancer, d.LoadBalancer)
	set(&e.Domain, d.APIServerDomain)

	if e.Address != "" || (e.LoadBalancer != LBNone && e.LoadBalancer != LBHAProxy) {
		return
	}
	if cps := c.HostsInRole(RoleControlPlane); len(cps) > 0 {
		e.Address = cps[0].InternalAddress
	}
}

// defaultKubernetes fills the Kubernetes settings and the versions of the
// components installed with it.
func (c *Cluster) defaultKubernetes(prof *profiles.Profile) {
	d := prof.Defaults
	s := &c.Spec

	k := &s.Kubernetes
	set(&k.Version, version(prof, profiles.Kubernetes))
	set(&k.ClusterName, c.Metadata.Name)
	set(&k.DNSDomain, d.DNSDomain)
	set(&k.PodSubnet, d.PodSubnet)
	set(&k.ServiceSubnet, d.ServiceSubnet)
	set(&k.KubeProxyMode, d.KubeProxyMode)

	set(&s.ContainerRuntime.Type, d.ContainerRuntime)
	set(&s.ContainerRuntime.Version, version(prof, profiles.Containerd))

	set(&s.Network.Plugin, d.NetworkPlugin)
	set(&s.Network.Version, version(prof, s.Network.Plugin))

	set(&s.DNS.CoreDNS.Version, version(prof, profiles.CoreDNS))
	n := &s.DNS.NodeLocalDNS
	setBool(&n.Enabled, d.NodeLocalDNS)
	set(&n.IP, d.NodeLocalDNSIP)
	set(&n.Version, version(prof, profiles.NodeLocalDNS))

	r := &s.Registry
	set(&r.Type, d.RegistryType)
	if len(s.RoleGroups.Registry) > 0 {
		set(&r.Host, s.RoleGroups.Registry[0])
	}
	setInt(&r.Port, d.RegistryPort)
	set(&r.Version, version(prof, profiles.Registry))
	setBool(&r.TLS.Enabled, true)
}

// defaultAddons fills each add-on's chart name and namespace.
func (c *Cluster) defaultAddons(d profiles.Defaults) {
	for i := range c.Spec.Addons {
		a := &c.Spec.Addons[i]
		if a.OCI == "" {
			set(&a.Chart, a.Name)
		}
		set(&a.Namespace, d.AddonNamespace)
	}
}

// defaultArtifacts collects for the architectures the hosts have and for
// the profile's operating systems.
func (c *Cluster) defaultArtifacts(d profiles.Defaults) {
	a := &c.Spec.Artifacts
	if len(a.Arches) == 0 {
		// A host of another arch is an error of its own; no need to
		// report it again here.
		for _, h := range c.Spec.Hosts {
			if h.Arch == ArchAMD64 || h.Arch == ArchARM64 {
				a.Arches = append(a.Arches, h.Arch)
			}
		}
		slices.Sort(a.Arches)
		a.Arches = slices.Compact(a.Arches)
	}

	if len(a.OS) == 0 {
		for _, os := range d.OS {
			a.OS = append(a.OS, OSRelease{ID: os.ID, Version: os.Version})
		}
	}
}

// version is the profile's version of a component, or "" if it has none.
func version(prof *profiles.Profile, component string) string {
	c, _ := prof.Component(component)
	return c.Version
}

// set sets *dst to v if *dst is empty.
func set(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// setInt sets *dst to v if *dst is zero.
func setInt(dst *int, v int) {
	if *dst == 0 {
		*dst = v
	}
}

// setBool sets *dst to point to v if it is unset.
func setBool(dst **bool, v bool) {
	if *dst == nil {
		*dst = &v
	}
}
