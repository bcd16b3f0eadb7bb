package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/kubexm/kubexm/profiles"
)

// validateRegistry checks the registry kubexm runs, if the config has one.
func (c *Cluster) validateRegistry(p *problems, prof *profiles.Profile) {
	r := c.Spec.Registry
	const at = "spec.registry"
	if r.Host == "" {
		if r.Auth != nil || r.TLS.CertFile != "" || r.TLS.KeyFile != "" {
			p.addf(at+".host", "must be set (or roleGroups.registry) when the registry is configured")
		}
		return
	}

	if _, ok := c.Host(r.Host); !ok {
		p.addf(at+".host", "%q is not a host in spec.hosts", r.Host)
	}
	if r.Type != "registry" {
		p.addf(at+".type", "%q is not supported (want registry)", r.Type)
	}
	if !validPort(r.Port) {
		p.addf(at+".port", "%d is not a port (1-65535)", r.Port)
	}
	checkVersionOf(p, prof, at+".version", r.Version, profiles.Registry)

	if (r.TLS.CertFile == "") != (r.TLS.KeyFile == "") {
		p.addf(at+".tls", "set both certFile and keyFile, or neither to have kubexm generate them")
	}
	if !r.TLS.On() && r.TLS.CertFile != "" {
		p.addf(at+".tls", "certFile and keyFile are set but tls is not enabled")
	}
	if a := r.Auth; a != nil {
		if a.Username == "" {
			p.addf(at+".auth.username", "must be set")
		}
		if a.Password == "" {
			p.addf(at+".auth.password", "must be set")
		}
	}
}

// validateAddons checks each add-on chart.
func (c *Cluster) validateAddons(p *problems) {
	names := map[string]int{}
	for i, a := range c.Spec.Addons {
		at := fmt.Sprintf("spec.addons[%d]", i)
		if a.Name == "" {
			p.addf(at+".name", "must be set")
		} else if !dnsLabel.MatchString(a.Name) || len(a.Name) > 53 {
			p.addf(at+".name", "%q is not a release name (lower-case letters, digits, '-', "+
				"at most 53)", a.Name)
		} else if j, dup := firstSeen(names, a.Name, i); dup {
			p.addf(at+".name", "%q is already the name of spec.addons[%d]", a.Name, j)
		}

		switch {
		case a.Repo == "" && a.OCI == "":
			p.addf(at, "set repo or oci")
		case a.Repo != "" && a.OCI != "":
			p.addf(at, "set repo or oci, not both")
		case a.Repo != "" && !isURL(a.Repo, "http", "https"):
			p.addf(at+".repo", "%q is not an http or https URL", redactURL(a.Repo))
		case a.OCI != "" && !isURL(a.OCI, "oci"):
			p.addf(at+".oci", "%q is not an oci:// URL", redactURL(a.OCI))
		}
		if a.Version == "" {
			p.addf(at+".version", "must be set: the bundle holds one version of each chart")
		}
		if !dnsLabel.MatchString(a.Namespace) {
			p.addf(at+".namespace", "%q is not a namespace name", a.Namespace)
		}
	}
}

// validateArtifacts checks what make-tar is to collect and the mirrors.
func (c *Cluster) validateArtifacts(p *problems, prof *profiles.Profile) {
	a := c.Spec.Artifacts
	const at = "spec.artifacts"

	for i, arch := range a.Arches {
		if arch != ArchAMD64 && arch != ArchARM64 {
			p.addf(fmt.Sprintf("%s.arches[%d]", at, i), "%q is not supported (want amd64 or arm64)", arch)
		}
	}
	for _, h := range c.Spec.Hosts {
		if !slices.Contains(a.Arches, h.Arch) && (h.Arch == ArchAMD64 || h.Arch == ArchARM64) {
			p.addf(at+".arches", "does not include %s, the arch of host %s", h.Arch, h.Name)
		}
	}
	for i, os := range a.OS {
		if os.ID != "debian" && os.ID != "ubuntu" {
			p.addf(fmt.Sprintf("%s.os[%d].id", at, i), "%q is not supported (want debian or ubuntu)", os.ID)
		}
		if !osVersionRE.MatchString(os.Version) {
			p.addf(fmt.Sprintf("%s.os[%d].version", at, i), "%q is not a release like 12 or 22.04", os.Version)
		}
	}

	for i, img := range a.ExtraImages {
		if !imageRE.MatchString(img) {
			p.addf(fmt.Sprintf("%s.extraImages[%d]", at, i),
				"%q is not an image reference with a tag or digest", img)
		}
	}
	for i, ch := range a.ExtraCharts {
		cat := fmt.Sprintf("%s.extraCharts[%d]", at, i)
		if ch.Name == "" || ch.Version == "" {
			p.addf(cat, "name and version must be set")
		}
		if !isURL(ch.Repo, "http", "https", "oci") {
			p.addf(cat+".repo", "%q is not an http, https or oci URL", redactURL(ch.Repo))
		}
	}

	c.validateSources(p, prof, at+".sources")
}

// validateSources checks the mirror settings.
func (c *Cluster) validateSources(p *problems, prof *profiles.Profile, at string) {
	s := c.Spec.Artifacts.Sources
	for _, name := range sortedKeys(s.Binaries) {
		bat := fmt.Sprintf("%s.binaries[%q]", at, name)
		if comp, ok := prof.Component(name); !ok || len(comp.Files) == 0 {
			p.addf(bat, "%q is not a component with files (%s)", name, binaryComponents(prof))
		}
		if !isURL(s.Binaries[name], "http", "https") {
			p.addf(bat, "%q is not an http or https URL", redactURL(s.Binaries[name]))
		}
	}

	for _, upstream := range sortedKeys(s.Registries) {
		rat := fmt.Sprintf("%s.registries[%q]", at, upstream)
		if !isRegistryHost(upstream) {
			p.addf(rat, "%q is not a registry host like registry.k8s.io", upstream)
		}
		if mirror := s.Registries[upstream]; mirror == "" || !isRegistryHost(firstSegment(mirror)) {
			p.addf(rat, "%q is not a registry prefix like mirror.example:5000/k8s", mirror)
		}
	}

	for _, distro := range sortedKeys(s.Packages) {
		pat := fmt.Sprintf("%s.packages[%q]", at, distro)
		if distro != "debian" && distro != "ubuntu" {
			p.addf(pat, "%q is not an OS kubexm collects packages for (debian, ubuntu)", distro)
		}
		if !isURL(s.Packages[distro], "http", "https") {
			p.addf(pat, "%q is not an http or https URL", redactURL(s.Packages[distro]))
		}
	}

	for _, from := range sortedKeys(s.Charts) {
		cat := fmt.Sprintf("%s.charts[%q]", at, from)
		if !isURL(from, "http", "https", "oci") || !isURL(s.Charts[from], "http", "https", "oci") {
			p.addf(cat, "both sides must be http, https or oci URLs")
		}
	}
}

// binaryComponents lists the profile's components that have files.
func binaryComponents(prof *profiles.Profile) string {
	var names []string
	for _, c := range prof.Components {
		if len(c.Files) > 0 {
			names = append(names, c.Name)
		}
	}
	slices.Sort(names)
	return fmt.Sprint(names)
}

// firstSegment returns what comes before the first '/' of s.
func firstSegment(s string) string {
	for i, r := range s {
		if r == '/' {
			return s[:i]
		}
	}
	return s
}

// redactURL returns s with the password of its user information, if any,
// replaced, so an error about a URL never shows a credential.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return "<a URL that does not parse>"
		}
		return s
	}
	if _, has := u.User.Password(); has {
		return u.Redacted()
	}
	return s
}
