package charts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"sigs.k8s.io/yaml"
)

// RenderOptions describe the install a chart is rendered for. Capabilities
// decide what many charts render (API versions, kubeVersion constraints), so
// they should be the cluster's.
type RenderOptions struct {
	// KubeVersion is the cluster's Kubernetes version, e.g. v1.37.2. It must
	// be set.
	KubeVersion string
	// Namespace is the release's namespace. The default is "default".
	Namespace string
	// ReleaseName is the release's name. The default is the chart's name.
	ReleaseName string
	// APIVersions are API versions the cluster serves beyond the built-in
	// ones (e.g. monitoring.coreos.com/v1), for charts that test for them.
	APIVersions []string
}

// Images renders the chart archive or folder at chartPath with values, as a
// client-only dry run of the install would, and returns every container
// image its manifests and hooks name: the containers, init containers and
// ephemeral containers of Pods and of the pod templates of Deployments,
// DaemonSets, StatefulSets, ReplicaSets, ReplicationControllers, Jobs and
// CronJobs. The list is sorted, without duplicates, and each reference is
// normalized (docker.io/coredns/coredns:1.13.1), with its digest kept.
func Images(chartPath string, values map[string]any, opts RenderOptions) ([]string, error) {
	manifests, err := render(chartPath, values, opts)
	if err != nil {
		return nil, err
	}

	seen := map[string]bool{}
	for _, m := range manifests {
		refs, err := manifestImages(m)
		if err != nil {
			return nil, fmt.Errorf("chart %s: reading what it renders: %w", chartPath, err)
		}
		for _, r := range refs {
			n, err := Normalize(r)
			if err != nil {
				return nil, fmt.Errorf("chart %s: %w", chartPath, err)
			}
			seen[n] = true
		}
	}

	images := make([]string, 0, len(seen))
	for n := range seen {
		images = append(images, n)
	}
	slices.Sort(images)
	return images, nil
}

// render runs a client-only dry-run install of the chart and returns its
// manifests and those of its hooks.
func render(chartPath string, values map[string]any, opts RenderOptions) ([]string, error) {
	ch, err := loader.Load(chartPath)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", chartPath, err)
	}
	what := fmt.Sprintf("chart %s %s (%s)", ch.Name(), ch.Metadata.Version, chartPath)
	in, err := dryRun(ch.Name(), opts)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", what, err)
	}

	r, err := in.RunWithContext(context.Background(), ch, values)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", what, err)
	}
	rel, ok := r.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("rendering %s: the release is a %T", what, r)
	}

	out := []string{rel.Manifest}
	for _, h := range rel.Hooks {
		out = append(out, h.Manifest)
	}
	return out, nil
}

// dryRun is a client-only install of chart for opts, whose logs go nowhere.
func dryRun(chart string, opts RenderOptions) (*action.Install, error) {
	if opts.KubeVersion == "" {
		return nil, errors.New("the Kubernetes version must be set")
	}
	kv, err := common.ParseKubeVersion(opts.KubeVersion)
	if err != nil {
		return nil, fmt.Errorf("the Kubernetes version: %w", err)
	}

	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler))
	in := action.NewInstall(cfg)
	in.DryRunStrategy = action.DryRunClient
	in.Replace = true // no release store to check the name against
	in.KubeVersion = kv
	in.APIVersions = common.VersionSet(opts.APIVersions)
	in.Namespace = cmp(opts.Namespace, "default")
	in.ReleaseName = cmp(opts.ReleaseName, chart)
	return in, nil
}

// cmp is v, or def when v is empty.
func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// manifestImages returns the images the objects of one YAML stream name.
func manifestImages(stream string) ([]string, error) {
	var images []string
	for name, doc := range releaseutil.SplitManifests(stream) {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		images = append(images, objectImages(obj)...)
	}
	return images, nil
}

// podSpecAt is where each kind keeps its pod spec.
var podSpecAt = map[string][]string{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
	"PodTemplate":           {"template", "spec"},
}

// objectImages returns the images one object names; a List's items count.
func objectImages(obj map[string]any) []string {
	kind, _ := obj["kind"].(string)
	if kind == "List" || strings.HasSuffix(kind, "List") {
		var images []string
		items, _ := obj["items"].([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				images = append(images, objectImages(m)...)
			}
		}
		return images
	}

	at, ok := podSpecAt[kind]
	if !ok {
		return nil
	}
	spec := dig(obj, at...)
	var images []string
	for _, field := range []string{"initContainers", "containers", "ephemeralContainers"} {
		list, _ := spec[field].([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				if img, ok := m["image"].(string); ok && img != "" {
					images = append(images, img)
				}
			}
		}
	}
	return images
}

// dig follows keys down nested mappings; it returns nil where one is
// missing.
func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}
