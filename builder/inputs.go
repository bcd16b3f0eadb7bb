package builder

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubexm/kubexm/builder/charts"
	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/profiles"
)

// chartJob is a chart to collect and the values the install renders it
// with, which decide the images it needs.
type chartJob struct {
	ref       charts.Ref
	values    map[string]any
	namespace string
}

// used returns the names of the components the cluster runs, for the
// images and charts they bring.
func used(c *config.Cluster) []string {
	s := c.Spec
	names := []string{profiles.Kubernetes, profiles.Pause, profiles.CoreDNS}
	if s.DNS.NodeLocalDNS.On() {
		names = append(names, profiles.NodeLocalDNS)
	}
	if s.Etcd.Type == config.EtcdKubeadm {
		names = append(names, profiles.Etcd) // stacked etcd runs kubeadm's image
	}
	switch s.Network.Plugin {
	case config.NetworkFlannel:
		names = append(names, profiles.Flannel, profiles.FlannelCNIPlugin)
	case config.NetworkCalico:
		names = append(names, profiles.Calico)
	}
	return names
}

// imageRefs returns the images the components of the cluster run, and the
// extra images of the config, sorted and unique.
func imageRefs(c *config.Cluster, prof *profiles.Profile) ([]string, error) {
	var refs []string
	for _, name := range used(c) {
		comp, ok := prof.Component(name)
		if !ok {
			return nil, fmt.Errorf("profile %s has no component %s", prof.Name, name)
		}
		comp.Version = versionFor(c, name, comp.Version)
		r, err := comp.ImageRefs()
		if err != nil {
			return nil, err
		}
		refs = append(refs, r...)
	}
	refs = append(refs, c.Spec.Artifacts.ExtraImages...)
	slices.Sort(refs)
	return slices.Compact(refs), nil
}

// versionFor is the version of component name the config asks for, or def.
func versionFor(c *config.Cluster, name, def string) string {
	s := c.Spec
	v := map[string]string{
		profiles.Kubernetes:   s.Kubernetes.Version,
		profiles.Containerd:   s.ContainerRuntime.Version,
		profiles.Etcd:         s.Etcd.Version,
		profiles.Registry:     s.Registry.Version,
		profiles.CoreDNS:      s.DNS.CoreDNS.Version,
		profiles.NodeLocalDNS: s.DNS.NodeLocalDNS.Version,
		s.Network.Plugin:      s.Network.Version,
	}[name]
	if v == "" {
		return def
	}
	return v
}

// chartJobs returns the charts of the cluster's network plugin and DNS, its
// add-ons and the config's extra charts, with repositories replaced by the
// config's chart mirrors.
func chartJobs(c *config.Cluster, prof *profiles.Profile) []chartJob {
	var jobs []chartJob
	for _, name := range used(c) {
		comp, _ := prof.Component(name)
		if ch := comp.Chart; ch != nil {
			jobs = append(jobs, chartJob{
				ref:    charts.Ref{Name: ch.Name, Version: ch.Version, Repo: ch.Repo},
				values: componentValues(c, name), namespace: "kube-system",
			})
		}
	}
	for _, a := range c.Spec.Addons {
		jobs = append(jobs, chartJob{ref: charts.Ref{Name: a.Chart, Version: a.Version,
			Repo: a.Repo, OCI: a.OCI}, values: a.Values, namespace: a.Namespace})
	}
	for _, x := range c.Spec.Artifacts.ExtraCharts {
		ref := charts.Ref{Name: x.Name, Version: x.Version, Repo: x.Repo}
		if strings.HasPrefix(x.Repo, "oci://") {
			ref.Repo, ref.OCI = "", x.Repo
		}
		jobs = append(jobs, chartJob{ref: ref, namespace: "default"})
	}
	for i := range jobs {
		if m, ok := c.Spec.Artifacts.Sources.Charts[jobs[i].ref.Repo]; ok {
			jobs[i].ref.Repo = m
		}
	}
	return jobs
}

// componentValues are the chart values kubexm installs a component with,
// as far as they change what the chart renders.
// TODO: share these with the create pipeline's network and DNS modules
// once they exist, so that make-tar and the install render the same.
func componentValues(c *config.Cluster, name string) map[string]any {
	switch name {
	case profiles.Flannel:
		return map[string]any{"podCidr": c.Spec.Kubernetes.PodSubnet}
	}
	return nil
}
