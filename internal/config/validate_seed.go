package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// maxInterfaceName is the longest name Linux gives a network interface
// (IFNAMSIZ less the terminating NUL).
const maxInterfaceName = 15

// validateSeed checks the seed node's network settings: a static address
// with a gateway on its subnet, or DHCP with neither gateway nor DNS.
func (c *Cluster) validateSeed(p *problems) {
	s := c.Spec.Seed
	const at = "spec.seed"

	if s.Interface != "" && !isInterfaceName(s.Interface) {
		p.addf(at+".interface", "%q is not an interface name (1-%d characters, "+
			"no '/', ':' or spaces)", s.Interface, maxInterfaceName)
	}
	if s.DHCP() {
		if s.Gateway != "" {
			p.addf(at+".gateway", "is set but address is not: with DHCP the gateway "+
				"comes from the DHCP server")
		}
		if len(s.DNS) > 0 {
			p.addf(at+".dns", "is set but address is not: with DHCP the name servers "+
				"come from the DHCP server")
		}
		return
	}

	addr, ok := c.checkSeedAddress(p, at+".address")
	if s.Gateway != "" {
		gw, err := netip.ParseAddr(s.Gateway)
		switch {
		case err != nil:
			p.addf(at+".gateway", "%q is not an IP address", s.Gateway)
		case ok && !addr.Masked().Contains(gw):
			p.addf(at+".gateway", "%s is not on the seed's subnet %s", gw, addr.Masked())
		case ok && gw == addr.Addr():
			p.addf(at+".gateway", "%s is the seed's own address", gw)
		}
	}
	for i, dns := range s.DNS {
		if !isIP(dns) {
			p.addf(fmt.Sprintf("%s.dns[%d]", at, i), "%q is not an IP address", dns)
		}
	}
}

// checkSeedAddress checks that the seed's address is a host address with a
// prefix length that no host of the config has too.
func (c *Cluster) checkSeedAddress(p *problems, at string) (netip.Prefix, bool) {
	raw := c.Spec.Seed.Address
	addr, err := netip.ParsePrefix(raw)
	if err != nil {
		p.addf(at, "%q is not an address with its prefix length, like 10.0.0.5/24", raw)
		return netip.Prefix{}, false
	}
	// Below a /31 the first address of a subnet names the subnet itself.
	if addr.Bits() < addr.Addr().BitLen()-1 && addr.Addr() == addr.Masked().Addr() {
		p.addf(at, "%s is the subnet's own address, not a host's", raw)
		return netip.Prefix{}, false
	}

	for i, h := range c.Spec.Hosts {
		for _, hostAddr := range []string{h.Address, h.InternalAddress} {
			if ip, err := netip.ParseAddr(hostAddr); err == nil && ip == addr.Addr() {
				p.addf(at, "%s is already the address of spec.hosts[%d]", ip, i)
				return addr, true
			}
		}
	}
	return addr, true
}

// isInterfaceName reports whether Linux would accept s as the name of a
// network interface.
func isInterfaceName(s string) bool {
	return s != "" && len(s) <= maxInterfaceName && s != "." && s != ".." &&
		!strings.ContainsAny(s, "/: \t\n")
}
