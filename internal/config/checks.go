package config

import (
	"net/netip"
	"net/url"
	"regexp"
	"strings"
)

var (
	// dnsLabel is an RFC 1123 label: what Kubernetes accepts as a name.
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

	// hostLabel is a label of a host name, in either case.
	hostLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

	// versionRE is a release version: v1.37.2, 3.10.1, v1.9.1-flannel3.
	versionRE = regexp.MustCompile(`^v?[0-9]+\.[0-9]+(\.[0-9]+)?([-+][0-9A-Za-z.+-]+)?$`)

	// osVersionRE is a VERSION_ID of /etc/os-release: 12, 22.04.
	osVersionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)

	// fingerprintRE is an SSH key fingerprint as ssh-keygen -l prints it.
	fingerprintRE = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)

	// userRE is a POSIX login name.
	userRE = regexp.MustCompile(`^[a-z_][a-z0-9_.-]{0,31}$`)

	// imageRE is a loose image reference: no scheme, no spaces, a name and
	// a tag or digest. The registry client checks the rest.
	imageRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._/:-]*[a-z0-9](:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$`)
)

// isHostName reports whether s is a DNS host name. A name whose last label
// is all digits is not one: it is a mistyped IP address (10.0.0.300).
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(strings.TrimSuffix(s, "."), ".")
	for _, l := range labels {
		if !hostLabel.MatchString(l) {
			return false
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// isNodeName reports whether s is a Kubernetes node name: an RFC 1123
// subdomain, lower case.
func isNodeName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !dnsLabel.MatchString(l) {
			return false
		}
	}
	return true
}

// isIP reports whether s is an IPv4 or IPv6 address.
func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// isURL reports whether s is an absolute URL with one of the schemes and a
// host.
func isURL(s string, schemes ...string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	for _, scheme := range schemes {
		if u.Scheme == scheme {
			return true
		}
	}
	return false
}

// isRegistryHost reports whether s names a registry as image references do:
// a host name or IP, with an optional port (docker.io, 10.0.0.5:5000).
func isRegistryHost(s string) bool {
	host := s
	if h, port, ok := strings.Cut(s, ":"); ok && !strings.Contains(port, ":") {
		if !isPort(port) {
			return false
		}
		host = h
	}
	return isHostName(host) || isIP(host)
}

// isPort reports whether s is a port number, 1 to 65535.
func isPort(s string) bool {
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n >= 1 && n <= 65535
}

// validPort reports whether n is a TCP port.
func validPort(n int) bool { return n >= 1 && n <= 65535 }
