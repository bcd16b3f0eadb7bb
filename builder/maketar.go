// Package builder is make-tar: the MakeArtifactsPipeline, which collects
// what a cluster needs into the .kubexm tree and packs it into one bundle.
// Its collection modules live in the packages below it, one per kind of
// artifact; this package chooses what the config needs and orders them.
package builder

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubexm/kubexm/builder/binaries"
	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/fetch"
	"github.com/kubexm/kubexm/profiles"
)

// Excluded are the entries of the work tree that belong to the run, not to
// the bundle: its logs and its resume record.
var Excluded = []string{"logs", "state"}

// Options describe one make-tar run.
type Options struct {
	Cluster *config.Cluster
	Profile *profiles.Profile
	// Root is the .kubexm tree the artifacts are collected into.
	Root string
	// Output is the bundle file; Compression and ModTime as bundle.Pack
	// takes them.
	Output      string
	Compression bundle.Compression
	ModTime     time.Time
	// AllowUnverified takes files that have no published checksum.
	AllowUnverified bool
	// CacheDir keeps downloads between runs.
	CacheDir string

	// Format is FormatTar (the default) or FormatISO.
	Format Format
	// ConfigFile is the config file, which the ISO carries for its
	// installer as the user wrote it.
	ConfigFile string
	// EmbedSSHKey is a private key file the ISO carries for its installer
	// to log in with; empty for none.
	EmbedSSHKey string
}

// NewPipeline returns the MakeArtifactsPipeline for opts: the work tree
// cleared, the collection modules in parallel, then packaging.
func NewPipeline(opts Options) (*engine.Pipeline, error) {
	comps, err := Components(opts.Cluster, opts.Profile)
	if err != nil {
		return nil, err
	}
	origins := &bundle.Origins{}
	hc, err := fetch.HTTPClient(opts.Cluster.Spec.Artifacts.CABundle)
	if err != nil {
		return nil, fmt.Errorf("spec.artifacts.caBundle: %w", err)
	}
	cache := &fetch.Cache{Dir: opts.CacheDir, Client: &fetch.Client{HTTP: hc}}

	static, err := imageRefs(opts.Cluster, opts.Profile)
	if err != nil {
		return nil, err
	}
	found := newChartImages()

	binMod := binaries.NewModule(comps, binaries.Options{
		Root: opts.Root, Arches: opts.Cluster.Spec.Artifacts.Arches,
		Bases: opts.Cluster.Spec.Artifacts.Sources.Binaries, AllowUnverified: opts.AllowUnverified,
		Cache: cache, Origins: origins,
	})
	collect := []*engine.Module{
		imagesModule(opts, static, found),
		chartsModule(opts, chartJobs(opts.Cluster, opts.Profile), found),
		binMod,
		osModule(opts),
	}
	pack := packaging(opts, origins)
	if opts.Format == FormatISO {
		collect = append(collect, bootModule(opts, origins))
		pack = isoPackaging(opts, origins)
	}
	return engine.New("make-tar", engine.OnlineDirect).
		Then(prepareModule(opts)).
		Parallel(collect...).
		Then(pack), nil
}

// packaging is the module that packs the tree into the bundle.
func packaging(opts Options, origins *bundle.Origins) *engine.Module {
	name := filepath.Base(opts.Output)
	pack := engine.StepFunc("pack "+name, func(ctx context.Context, rt *engine.Runtime) error {
		return bundle.Pack(ctx, opts.Root, opts.Output, bundle.PackOptions{
			Compression: opts.Compression, ModTime: opts.ModTime, Origins: origins.Map(),
			Exclude:  Excluded,
			Progress: func(done, total int64) { rt.Progress(name, done, total) },
		})
	})
	verify := engine.StepFunc("verify "+name, func(ctx context.Context, _ *engine.Runtime) error {
		_, err := bundle.Verify(ctx, opts.Output)
		return err
	})
	return engine.NewModule("packaging",
		&engine.Task{Name: "write bundle", Hosts: engine.OnControl(),
			Steps: []engine.Step{pack, verify}})
}

// Components returns the profile's components that the cluster needs, at
// the versions the config asks for.
func Components(c *config.Cluster, prof *profiles.Profile) ([]profiles.Component, error) {
	want := []string{profiles.Kubernetes, profiles.Containerd, profiles.Runc,
		profiles.CNIPlugins, profiles.Crictl, profiles.Helm}
	if c.Spec.Etcd.Type == config.EtcdKubexm {
		want = append(want, profiles.Etcd)
	}
	if c.Spec.Registry.Host != "" {
		want = append(want, profiles.Registry)
	}

	var out []profiles.Component
	var missing []string
	for _, name := range want {
		comp, ok := prof.Component(name)
		if !ok {
			missing = append(missing, name)
			continue
		}
		comp.Version = versionFor(c, name, comp.Version)
		out = append(out, comp)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("profile %s lacks components %s", prof.Name,
			strings.Join(missing, ", "))
	}
	return out, nil
}
