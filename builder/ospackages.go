package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kubexm/kubexm/builder/ospkg"
	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/fetch"
)

// osModule collects, for each OS release and arch of the hosts, the
// packages their roles need into a repository image in the tree: a task
// per release and arch.
func osModule(opts Options) *engine.Module {
	a := opts.Cluster.Spec.Artifacts
	m := engine.NewModule("os packages")
	for _, rel := range a.OS {
		for _, arch := range a.Arches {
			m.Tasks = append(m.Tasks, &engine.Task{
				Name:  fmt.Sprintf("%s %s %s", rel.ID, rel.Version, arch),
				Hosts: engine.OnControl(),
				Steps: []engine.Step{engine.StepFunc("collect packages",
					func(ctx context.Context, rt *engine.Runtime) error {
						return collectPackages(ctx, rt, opts, rel, arch)
					})},
			})
		}
	}
	return m
}

// hostBase is what every host has before kubexm installs anything: the
// packages of priority required, which any Debian or Ubuntu install has.
// Packages of lower priority may be missing from a minimal image, so they
// go into the bundle when a requested package needs them.
var hostBase = ospkg.Base{Priorities: []string{"required"}}

func collectPackages(ctx context.Context, rt *engine.Runtime, opts Options,
	rel config.OSRelease, arch string) error {

	d, err := ospkg.LookupDistro(rel.ID, rel.Version)
	if err != nil {
		return err
	}
	o, err := archiveOptions(opts, d, arch)
	if err != nil {
		return err
	}
	o.Packages = opts.Profile.PackagesFor(clusterRoles(opts.Cluster)...)
	o.Base, o.Bundle, o.Time = hostBase, opts.Root, opts.ModTime
	o.Progress = func(done, total int, _ *ospkg.Package) {
		rt.Progress(".deb files", int64(done), int64(total))
	}
	_, err = ospkg.Collect(ctx, o)
	return err
}

// archiveOptions say where the packages of distribution d for arch come
// from: the config's mirror or this machine's apt sources, the keyring
// they are signed with, the CA bundle, and the cache.
func archiveOptions(opts Options, d ospkg.Distro, arch string) (ospkg.Options, error) {
	sources, err := packageSources(opts.Cluster, d)
	if err != nil {
		return ospkg.Options{}, err
	}
	keyring, err := packagesKeyring(opts.Cluster)
	if err != nil {
		return ospkg.Options{}, err
	}
	hc, err := fetch.HTTPClient(opts.Cluster.Spec.Artifacts.CABundle)
	if err != nil {
		return ospkg.Options{}, fmt.Errorf("spec.artifacts.caBundle: %w", err)
	}
	return ospkg.Options{Distro: d.ID, Version: d.Version, Arch: arch, Sources: sources,
		Keyring: keyring, Cache: filepath.Join(opts.CacheDir, "ospkg"),
		Fetch: &fetch.Client{HTTP: hc}}, nil
}

// packageSources are the config's mirror for the distribution, or else the
// suites of it that the apt sources of this machine name.
func packageSources(c *config.Cluster, d ospkg.Distro) ([]ospkg.Source, error) {
	if mirror, ok := c.Spec.Artifacts.Sources.Packages[d.ID]; ok {
		var out []ospkg.Source
		for _, suite := range d.Suites() {
			out = append(out, ospkg.Source{URL: mirror, Suite: suite, Components: d.Components})
		}
		return out, nil
	}
	apt, err := ospkg.ReadAptSources("/")
	if err != nil {
		return nil, err
	}
	sources, err := d.SourcesFrom(apt)
	if err != nil {
		return nil, fmt.Errorf("%w: set spec.artifacts.sources.packages.%s to a mirror of its "+
			"archive", err, d.ID)
	}
	return sources, nil
}

func packagesKeyring(c *config.Cluster) ([]byte, error) {
	p := c.Spec.Artifacts.Sources.PackagesKeyring
	if p == "" {
		return nil, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("spec.artifacts.sources.packagesKeyring: %w", err)
	}
	return data, nil
}

// clusterRoles are the roles any host of the cluster has: one repository
// image serves every host of a release and arch.
func clusterRoles(c *config.Cluster) []string {
	var roles []string
	for _, role := range config.AllRoles {
		if len(c.HostsInRole(role)) > 0 {
			roles = append(roles, role)
		}
	}
	return roles
}
