package mirror

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	loader "helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// Chart is a Helm chart the mirror serves, from its HTTP chart repository and as an OCI
// artifact in its registry.
type Chart struct {
	Name    string
	Version string
	// File is the chart archive's file name in the chart repository.
	File string
	// OCI is the chart's reference in the registry, without the oci:// scheme.
	OCI string
}

// chartsDir is the chart repository's folder below the file server root.
const chartsDir = "charts"

// ociChartPrefix is where the charts go in the registry. Upstream publishes these charts in
// HTTP repositories only, so the path is the mirror's own.
const ociChartPrefix = "charts"

// flannelChart is where flannel keeps its chart in its source, which the module proxy
// carries; so every user can reach it, unlike the fixtures folder.
const flannelChart = "chart/kube-flannel"

// packCharts writes the chart archives into the chart repository folder under root and
// indexes it with the Helm SDK. The flannel chart is packed from flannel's module; the
// CoreDNS chart, which no registry carries, is copied from the fixtures folder.
func (b *builder) packCharts(ctx context.Context, root, fixtures string) ([]string, error) {
	dir := filepath.Join(root, chartsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating chart repository folder %s: %w", dir, err)
	}

	if err := b.packFlannelChart(ctx, dir); err != nil {
		return nil, err
	}

	var warnings []string
	coredns := filepath.Join(fixtures, "charts", "coredns-1.46.2.tgz")
	if err := copyFile(filepath.Join(dir, filepath.Base(coredns)), coredns); err != nil {
		warnings = append(warnings, fmt.Sprintf("the CoreDNS chart is not served: %v "+
			"(set KUBEXM_UPSTREAM_FIXTURES to the folder of upstream fixtures)", err))
	}

	index, err := repo.IndexDirectory(dir, "")
	if err != nil {
		return nil, fmt.Errorf("indexing chart repository %s: %w", dir, err)
	}
	if err := index.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		return nil, fmt.Errorf("writing the chart repository index: %w", err)
	}
	return warnings, nil
}

// packFlannelChart packs the flannel chart from flannel's module into dir, unless an
// earlier run did: a chart packed anew would differ in its time stamps, and so in digest
// from the copy in the registry.
func (b *builder) packFlannelChart(ctx context.Context, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "flannel-"+FlannelVersion+".tgz")); err == nil {
		return nil
	}

	src, err := moduleDir(ctx, b.Cache, "github.com/flannel-io/flannel@"+FlannelVersion)
	if err != nil {
		return err
	}
	ch, err := loader.LoadDir(filepath.Join(src, filepath.FromSlash(flannelChart)))
	if err != nil {
		return fmt.Errorf("loading the flannel chart from its module: %w", err)
	}
	if _, err := chartutil.Save(ch, dir); err != nil {
		return fmt.Errorf("packing the flannel chart: %w", err)
	}
	return nil
}

// chartList reads the chart repository's index back, so that what the mirror reports is
// what the index says.
func chartList(root, registryAddr string) ([]Chart, error) {
	index, err := repo.LoadIndexFile(filepath.Join(root, chartsDir, "index.yaml"))
	if err != nil {
		return nil, fmt.Errorf("loading the chart repository index: %w", err)
	}

	var charts []Chart
	for chartName, versions := range index.Entries {
		for _, v := range versions {
			charts = append(charts, Chart{Name: chartName, Version: v.Version, File: v.URLs[0],
				OCI: registryAddr + "/" + ociChartPrefix + "/" + chartName + ":" + v.Version})
		}
	}
	return charts, nil
}

// pushCharts pushes each chart archive to the registry as an OCI artifact with Helm's
// registry client, unless the registry has it from an earlier run.
func pushCharts(root string, charts []Chart, client *http.Client, user, password string,
	opts []remote.Option) error {
	helmOpts := []registry.ClientOption{registry.ClientOptHTTPClient(client)}
	if user != "" {
		helmOpts = append(helmOpts, registry.ClientOptBasicAuth(user, password))
	}
	rc, err := registry.NewClient(helmOpts...)
	if err != nil {
		return fmt.Errorf("making a Helm registry client: %w", err)
	}

	for _, c := range charts {
		if ref, err := name.ParseReference(c.OCI); err == nil {
			if _, err := remote.Head(ref, opts...); err == nil {
				continue
			}
		}

		data, err := os.ReadFile(filepath.Join(root, chartsDir, c.File))
		if err != nil {
			return fmt.Errorf("reading chart %s: %w", c.File, err)
		}
		if _, err := rc.Push(data, c.OCI); err != nil {
			return fmt.Errorf("pushing chart %s to %s: %w", c.File, c.OCI, err)
		}
	}
	return nil
}

// moduleDir returns the folder of a module ("path@version") in the module cache,
// downloading it first.
func moduleDir(ctx context.Context, cache, mod string) (string, error) {
	cmd := exec.CommandContext(ctx, goTool(), "mod", "download", "-json", mod)
	cmd.Dir = cache
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("downloading module %s: %w", mod, err)
	}

	var info struct{ Dir string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("reading where module %s is: %s: %w", mod,
			strings.TrimSpace(string(out)), err)
	}
	return info.Dir, nil
}
