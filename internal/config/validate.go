package config

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/kubexm/kubexm/profiles"
)

// validate checks the config once defaults are applied and records every
// problem in p. The checks hold in every mode: whether a host is reachable
// or a file exists is for the pipelines to find out.
func (c *Cluster) validate(p *problems, prof *profiles.Profile) {
	if c.APIVersion == "" {
		p.addf("apiVersion", "must be set to %s", APIVersion)
	} else if c.APIVersion != APIVersion {
		p.addf("apiVersion", "%q is not supported (want %s)", c.APIVersion, APIVersion)
	}
	if c.Kind == "" {
		p.addf("kind", "must be set to %s", Kind)
	} else if c.Kind != Kind {
		p.addf("kind", "%q is not %s", c.Kind, Kind)
	}
	if c.Metadata.Name == "" {
		p.addf("metadata.name", "must be set")
	} else if !dnsLabel.MatchString(c.Metadata.Name) {
		p.addf("metadata.name", "%q is not a name of lower-case letters, digits and '-'",
			c.Metadata.Name)
	}

	c.validateHosts(p)
	c.validateRoles(p)
	c.validateEndpoint(p)
	c.validateKubernetes(p, prof)
	c.validateEtcd(p, prof)
	c.validateRuntime(p, prof)
	c.validateNetwork(p, prof)
	c.validateRegistry(p, prof)
	c.validateAddons(p)
	c.validateArtifacts(p, prof)
	c.validateSeed(p)
}

// validateHosts checks each host, that names and addresses are unique, and
// that jump hosts lead somewhere.
func (c *Cluster) validateHosts(p *problems) {
	if len(c.Spec.Hosts) == 0 {
		p.addf("spec.hosts", "must list at least one host")
	}

	names := map[string]int{}
	dials := map[string]int{}
	internal := map[string]int{}
	for i, h := range c.Spec.Hosts {
		at := fmt.Sprintf("spec.hosts[%d]", i)
		h.validate(p, at)

		if j, dup := firstSeen(names, h.Name, i); dup && h.Name != "" {
			p.addf(at+".name", "%q is already the name of spec.hosts[%d]", h.Name, j)
		}

		// Hosts may share an address on different SSH ports (forwarded
		// ports of virtual machines), but not both.
		dial := net.JoinHostPort(h.Address, strconv.Itoa(h.Port))
		j, dialDup := firstSeen(dials, dial, i)
		if dialDup && h.Address != "" {
			p.addf(at+".address", "%s is already the address of spec.hosts[%d]", dial, j)
		}

		j, dup := firstSeen(internal, h.InternalAddress, i)
		if dup && !dialDup && h.InternalAddress != "" {
			p.addf(at+".internalAddress", "%s is already the internal address of "+
				"spec.hosts[%d]", h.InternalAddress, j)
		}
	}

	for i, h := range c.Spec.Hosts {
		c.validateJump(p, i, h)
	}
}

// firstSeen records that key is at index i and returns the index it was
// first seen at, if it was.
func firstSeen(m map[string]int, key string, i int) (int, bool) {
	if j, ok := m[key]; ok {
		return j, true
	}
	m[key] = i
	return 0, false
}

// validate checks one host's own fields; at is its path.
func (h Host) validate(p *problems, at string) {
	if h.Name == "" {
		p.addf(at+".name", "must be set")
	} else if !isNodeName(h.Name) {
		p.addf(at+".name", "%q is not a node name (lower-case letters, digits, '-' and '.')",
			h.Name)
	} else if h.Name == ReservedHostName {
		p.addf(at+".name", "%q is the name kubexm gives the machine it runs on; "+
			"choose another", h.Name)
	}
	addrOK := isIP(h.Address) || isHostName(h.Address)
	if h.Address == "" {
		p.addf(at+".address", "must be set")
	} else if !addrOK {
		p.addf(at+".address", "%q is not an IP address or host name", h.Address)
	}
	// An internal address taken from a bad address is reported above.
	fromBadAddr := h.InternalAddress == h.Address && !addrOK
	if h.InternalAddress != "" && !fromBadAddr && !isIP(h.InternalAddress) {
		p.addf(at+".internalAddress", "%q is not an IP address "+
			"(set internalAddress when address is a host name)", h.InternalAddress)
	}

	if !validPort(h.Port) {
		p.addf(at+".port", "%d is not a port (1-65535)", h.Port)
	}
	if !userRE.MatchString(h.User) {
		p.addf(at+".user", "%q is not a user name", h.User)
	}
	if h.Password == "" && h.PrivateKeyPath == "" {
		p.addf(at, "set password or privateKeyPath: kubexm has no other way to log in")
	}
	if h.PrivateKeyPassphrase != "" && h.PrivateKeyPath == "" {
		p.addf(at+".privateKeyPassphrase", "is set but privateKeyPath is not")
	}

	if h.Arch != ArchAMD64 && h.Arch != ArchARM64 {
		p.addf(at+".arch", "%q is not supported (want amd64 or arm64)", h.Arch)
	}
	if h.HostKeyFingerprint != "" && !fingerprintRE.MatchString(h.HostKeyFingerprint) {
		p.addf(at+".hostKeyFingerprint", "%q is not a fingerprint like SHA256:"+
			"<43 base64 characters> (ssh-keygen -lf prints it)", h.HostKeyFingerprint)
	}
}

// validateJump checks that the jump host of hosts[i] is another known host
// and that following jump hosts from it ends.
func (c *Cluster) validateJump(p *problems, i int, h Host) {
	if h.JumpHost == "" {
		return
	}
	at := fmt.Sprintf("spec.hosts[%d].jumpHost", i)
	if h.JumpHost == h.Name {
		p.addf(at, "a host cannot be its own jump host")
		return
	}

	seen := []string{h.Name}
	for next := h.JumpHost; next != ""; {
		j, ok := c.Host(next)
		if !ok {
			p.addf(at, "%q is not a host in spec.hosts", next)
			return
		}
		if slices.Contains(seen, next) {
			p.addf(at, "jump hosts loop: %s -> %s", strings.Join(seen, " -> "), next)
			return
		}
		seen = append(seen, next)
		next = j.JumpHost
	}
}

// validateRoles checks that role groups name known hosts once each, that
// there is a control plane, and that etcd can keep a quorum.
func (c *Cluster) validateRoles(p *problems) {
	g := c.Spec.RoleGroups
	for _, role := range AllRoles {
		seen := map[string]bool{}
		for i, name := range c.roleMembers(role) {
			at := fmt.Sprintf("spec.roleGroups.%s[%d]", role, i)
			if _, ok := c.Host(name); !ok {
				p.addf(at, "%q is not a host in spec.hosts", name)
			}
			if seen[name] {
				p.addf(at, "%q is listed twice", name)
			}
			seen[name] = true
		}
	}

	if len(g.ControlPlane) == 0 {
		p.addf("spec.roleGroups.controlPlane", "must list at least one host")
	}
	switch c.Spec.Etcd.Type {
	case EtcdExternal:
		if len(g.Etcd) > 0 {
			p.addf("spec.roleGroups.etcd", "must be empty when spec.etcd.type is external")
		}
	case EtcdKubexm, EtcdKubeadm:
		if n := len(g.Etcd); n%2 == 0 && n > 0 {
			p.addf("spec.roleGroups.etcd", "has %d hosts: etcd needs an odd number "+
				"to keep a majority when one fails", n)
		}
	}
	if c.Spec.Etcd.Type == EtcdKubeadm && !sameSet(g.Etcd, g.ControlPlane) {
		p.addf("spec.roleGroups.etcd", "must be the control-plane hosts when "+
			"spec.etcd.type is kubeadm (stacked etcd runs beside the API server)")
	}
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// validateEndpoint checks the control-plane endpoint.
func (c *Cluster) validateEndpoint(p *problems) {
	e := c.Spec.ControlPlaneEndpoint
	const at = "spec.controlPlaneEndpoint"

	switch e.LoadBalancer {
	case LBNone, LBHAProxy:
	case LBKubeVIP, LBExternal:
		if e.Address == "" {
			p.addf(at+".address", "must be set when loadBalancer is %s", e.LoadBalancer)
		}
	default:
		p.addf(at+".loadBalancer", "%q is not one of none, kubevip, haproxy, external",
			e.LoadBalancer)
	}

	if e.Address != "" && !isIP(e.Address) {
		p.addf(at+".address", "%q is not an IP address", e.Address)
	}
	if !isHostName(e.Domain) {
		p.addf(at+".domain", "%q is not a host name", e.Domain)
	}
	if !validPort(e.Port) {
		p.addf(at+".port", "%d is not a port (1-65535)", e.Port)
	}
}

// checkVersion checks that v is spelt like the profile's version like: with
// a leading "v" exactly when like has one, since upstream URLs and image tags
// are built from it.
func checkVersion(p *problems, at, v, like string) {
	if v == "" {
		p.addf(at, "must be set")
		return
	}
	if !versionRE.MatchString(v) || strings.HasPrefix(v, "v") != strings.HasPrefix(like, "v") {
		p.addf(at, "%q is not a version like %s", v, like)
	}
}

// checkVersionOf checks v against the profile's version of component.
func checkVersionOf(p *problems, prof *profiles.Profile, at, v, component string) {
	like := version(prof, component)
	if like == "" {
		like = "v1.2.3"
	}
	checkVersion(p, at, v, like)
}
