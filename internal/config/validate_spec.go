package config

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"github.com/kubexm/kubexm/profiles"
)

// validateKubernetes checks the Kubernetes settings and that the pod and
// service subnets neither overlap each other nor hold a host's address.
func (c *Cluster) validateKubernetes(p *problems, prof *profiles.Profile) {
	k := c.Spec.Kubernetes
	const at = "spec.kubernetes"

	checkVersionOf(p, prof, at+".version", k.Version, profiles.Kubernetes)
	// A clusterName taken from metadata.name was checked with it.
	if k.ClusterName != c.Metadata.Name && !dnsLabel.MatchString(k.ClusterName) {
		p.addf(at+".clusterName", "%q is not a name of lower-case letters, digits and '-'",
			k.ClusterName)
	}
	if !isHostName(k.DNSDomain) {
		p.addf(at+".dnsDomain", "%q is not a DNS domain", k.DNSDomain)
	}
	if !slices.Contains([]string{"iptables", "ipvs", "nftables"}, k.KubeProxyMode) {
		p.addf(at+".kubeProxyMode", "%q is not one of iptables, ipvs, nftables",
			k.KubeProxyMode)
	}

	pods, podsOK := checkCIDR(p, at+".podSubnet", k.PodSubnet)
	svcs, svcsOK := checkCIDR(p, at+".serviceSubnet", k.ServiceSubnet)
	if podsOK && svcsOK && pods.Overlaps(svcs) {
		p.addf(at+".serviceSubnet", "%s overlaps podSubnet %s", svcs, pods)
	}
	if podsOK {
		c.checkPodSubnetSize(p, at+".podSubnet", pods)
	}
	// The API server refuses service ranges of more than 2^20 addresses.
	if svcsOK && svcs.Addr().BitLen()-svcs.Bits() > 20 {
		p.addf(at+".serviceSubnet", "%s is too large: the API server takes at most "+
			"a /%d", svcs, svcs.Addr().BitLen()-20)
	}

	for i, h := range c.Spec.Hosts {
		addr, err := netip.ParseAddr(h.InternalAddress)
		if err != nil {
			continue
		}
		for _, s := range []struct {
			name string
			ok   bool
			net  netip.Prefix
		}{{"podSubnet", podsOK, pods}, {"serviceSubnet", svcsOK, svcs}} {
			if s.ok && s.net.Contains(addr) {
				p.addf(fmt.Sprintf("spec.hosts[%d].internalAddress", i),
					"%s is inside spec.kubernetes.%s %s", addr, s.name, s.net)
			}
		}
	}
}

// checkPodSubnetSize checks that the pod subnet can give every host the
// per-node range the controller manager cuts from it: a /24 for IPv4 and a
// /64 for IPv6, its defaults.
func (c *Cluster) checkPodSubnetSize(p *problems, at string, pods netip.Prefix) {
	nodeBits := 24
	if pods.Addr().Is6() {
		nodeBits = 64
	}
	if pods.Bits() > nodeBits {
		p.addf(at, "%s is smaller than the /%d each node gets", pods, nodeBits)
		return
	}

	if spare := nodeBits - pods.Bits(); spare < 20 && len(c.Spec.Hosts) > 1<<spare {
		p.addf(at, "%s has room for %d nodes' /%d ranges, and there are %d hosts",
			pods, 1<<spare, nodeBits, len(c.Spec.Hosts))
	}
}

// checkCIDR checks that s is a CIDR written as its network address
// (10.233.64.0/18, not 10.233.64.1/18) and returns it.
func checkCIDR(p *problems, at, s string) (netip.Prefix, bool) {
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		p.addf(at, "%q is not a CIDR like 10.233.64.0/18", s)
		return netip.Prefix{}, false
	}
	if prefix.Masked() != prefix {
		p.addf(at, "%q has host bits set: write %s", s, prefix.Masked())
		return netip.Prefix{}, false
	}
	return prefix, true
}

// validateEtcd checks the etcd type and, for external etcd, its endpoints
// and client certificates.
func (c *Cluster) validateEtcd(p *problems, prof *profiles.Profile) {
	e := c.Spec.Etcd
	const at = "spec.etcd"

	switch e.Type {
	case EtcdKubexm, EtcdKubeadm:
		checkVersionOf(p, prof, at+".version", e.Version, profiles.Etcd)
		if e.External != nil {
			p.addf(at+".external", "is only for type external, not %s", e.Type)
		}
	case EtcdExternal:
		c.validateExternalEtcd(p, at+".external")
	default:
		p.addf(at+".type", "%q is not one of kubexm, kubeadm, external", e.Type)
	}
}

// validateExternalEtcd checks the endpoints of an external etcd; https
// endpoints need a CA and a client certificate.
func (c *Cluster) validateExternalEtcd(p *problems, at string) {
	x := c.Spec.Etcd.External
	if x == nil || len(x.Endpoints) == 0 {
		p.addf(at+".endpoints", "must list at least one endpoint when spec.etcd.type is external")
		return
	}

	https := false
	for i, ep := range x.Endpoints {
		if !isURL(ep, "http", "https") {
			p.addf(fmt.Sprintf("%s.endpoints[%d]", at, i),
				"%q is not a URL like https://10.0.0.5:2379", redactURL(ep))
		}
		https = https || isURL(ep, "https")
	}
	if !https {
		return
	}
	for _, f := range []struct{ name, path string }{
		{"caFile", x.CAFile}, {"certFile", x.CertFile}, {"keyFile", x.KeyFile},
	} {
		if f.path == "" {
			p.addf(at+"."+f.name, "must be set for https endpoints")
		}
	}
}

// validateRuntime checks the container runtime and its registry mirrors.
func (c *Cluster) validateRuntime(p *problems, prof *profiles.Profile) {
	r := c.Spec.ContainerRuntime
	const at = "spec.containerRuntime"

	if r.Type != "containerd" {
		p.addf(at+".type", "%q is not supported (want containerd)", r.Type)
	}
	checkVersionOf(p, prof, at+".version", r.Version, profiles.Containerd)

	for _, upstream := range sortedKeys(r.RegistryMirrors) {
		mat := fmt.Sprintf("%s.registryMirrors[%q]", at, upstream)
		if upstream != "_default" && !isRegistryHost(upstream) {
			p.addf(mat, "%q is not a registry host like docker.io or 10.0.0.5:5000", upstream)
		}
		if len(r.RegistryMirrors[upstream]) == 0 {
			p.addf(mat, "must list at least one endpoint")
		}
		for i, ep := range r.RegistryMirrors[upstream] {
			if !isURL(ep, "http", "https") {
				p.addf(fmt.Sprintf("%s[%d]", mat, i),
					"%q is not a URL like https://mirror.example:5000", redactURL(ep))
			}
		}
	}
}

// validateNetwork checks the network plugin and DNS.
func (c *Cluster) validateNetwork(p *problems, prof *profiles.Profile) {
	n := c.Spec.Network
	switch n.Plugin {
	case NetworkFlannel, NetworkCalico:
		checkVersionOf(p, prof, "spec.network.version", n.Version, n.Plugin)
	default:
		p.addf("spec.network.plugin", "%q is not one of flannel, calico", n.Plugin)
	}
	if n.MTU != 0 && (n.MTU < 576 || n.MTU > 9216) {
		p.addf("spec.network.mtu", "%d is not an MTU (576-9216)", n.MTU)
	}

	d := c.Spec.DNS
	checkVersionOf(p, prof, "spec.dns.coredns.version", d.CoreDNS.Version, profiles.CoreDNS)
	if !d.NodeLocalDNS.On() {
		return
	}
	checkVersionOf(p, prof, "spec.dns.nodeLocalDNS.version", d.NodeLocalDNS.Version,
		profiles.NodeLocalDNS)
	if ip, err := netip.ParseAddr(d.NodeLocalDNS.IP); err != nil || !ip.Is4() {
		p.addf("spec.dns.nodeLocalDNS.ip", "%q is not an IPv4 address", d.NodeLocalDNS.IP)
	}
}

// sortedKeys returns the keys of m in order, so errors come out the same
// way every time.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
