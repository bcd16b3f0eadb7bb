package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/kubexm/kubexm/builder/charts"
	"github.com/kubexm/kubexm/builder/images"
	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/engine"
)

// chartImages hands the images the charts render from the charts module to
// the images module, which runs beside it. It is resolved once: by the
// charts module's last step, or by the first chart that fails.
type chartImages struct {
	once sync.Once
	done chan struct{}
	mu   sync.Mutex
	refs []string
	err  error
}

func newChartImages() *chartImages { return &chartImages{done: make(chan struct{})} }

func (ci *chartImages) add(refs ...string) {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	ci.refs = append(ci.refs, refs...)
}

// finish resolves the list, with err if the charts could not be rendered.
func (ci *chartImages) finish(err error) {
	ci.once.Do(func() {
		ci.err = err
		close(ci.done)
	})
}

// wait returns the list once the charts module has finished.
func (ci *chartImages) wait(ctx context.Context) ([]string, error) {
	select {
	case <-ci.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ci.mu.Lock()
	defer ci.mu.Unlock()
	return ci.refs, ci.err
}

// chartsModule pulls each chart into the tree and renders it to learn the
// images it runs.
func chartsModule(opts Options, jobs []chartJob, found *chartImages) *engine.Module {
	t := &engine.Task{Name: "collect charts", Hosts: engine.OnControl()}
	for _, job := range jobs {
		t.Steps = append(t.Steps, engine.StepFunc(
			fmt.Sprintf("chart %s %s", job.ref.Name, job.ref.Version),
			func(ctx context.Context, rt *engine.Runtime) error {
				err := pullChart(ctx, rt, opts, job, found)
				if err != nil {
					found.finish(fmt.Errorf("the charts could not be collected: %w", err))
				}
				return err
			}))
	}
	t.Steps = append(t.Steps, engine.StepFunc("list chart images",
		func(context.Context, *engine.Runtime) error {
			found.finish(nil)
			return nil
		}))
	return engine.NewModule("charts", t)
}

func pullChart(ctx context.Context, rt *engine.Runtime, opts Options, job chartJob,
	found *chartImages) error {

	pullOpts := charts.Options{CAFile: opts.Cluster.Spec.Artifacts.CABundle,
		Progress: func(_ string, done, total int64) { rt.Progress(job.ref.Name, done, total) }}
	cached := chartCachePath(opts.CacheDir, job.ref)
	if err := seedChart(cached, opts.Root, job.ref); err != nil {
		return err
	}
	path, err := charts.Pull(ctx, job.ref, opts.Root, pullOpts)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cached); err != nil {
		_ = os.MkdirAll(filepath.Dir(cached), 0o755)
		_ = os.Link(path, cached) // best effort: a miss costs a download next time
	}
	refs, err := charts.Images(path, job.values, charts.RenderOptions{
		KubeVersion: opts.Cluster.Spec.Kubernetes.Version, Namespace: job.namespace})
	if err != nil {
		return err
	}
	found.add(refs...)
	return nil
}

// dockerConfig is the docker config file whose logins the registries
// take: $DOCKER_CONFIG/config.json or ~/.docker/config.json, if there is
// one.
func dockerConfig() string {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".docker")
	}
	p := filepath.Join(dir, "config.json")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// chartCachePath is where the download cache keeps a chart: by source, name
// and version, which a chart repository does not change once published.
func chartCachePath(cacheDir string, ref charts.Ref) string {
	key := sha256.Sum256([]byte(ref.Repo + "\x00" + ref.OCI + "\x00" + ref.Name + "\x00" +
		ref.Version))
	return filepath.Join(cacheDir, "charts", hex.EncodeToString(key[:])+".tgz")
}

// seedChart links a cached chart to its place in the tree, where Pull
// checks it and keeps it instead of fetching it.
func seedChart(cached, root string, ref charts.Ref) error {
	if _, err := os.Stat(cached); err != nil {
		return nil
	}
	rel, err := bundle.Chart(ref.Name, ref.Version)
	if err != nil {
		return err
	}
	dst := filepath.Join(root, filepath.FromSlash(rel))
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.Link(cached, dst, 0o644)
}

// imagesModule saves the images of the components into the tree's one OCI
// layout, then those the charts render, once the charts module knows them.
// The two tasks run one after the other, so the layout has one writer.
func imagesModule(opts Options, static []string, found *chartImages) *engine.Module {

	save := func(ctx context.Context, rt *engine.Runtime, refs []string) error {
		s := opts.Cluster.Spec
		var platforms []string
		for _, arch := range s.Artifacts.Arches {
			platforms = append(platforms, "linux/"+arch)
		}
		_, err := images.Save(ctx, filepath.Join(opts.Root, bundle.ImagesDir), refs,
			images.Options{
				Platforms: platforms, Mirrors: s.Artifacts.Sources.Registries,
				CAFile:       s.Artifacts.CABundle,
				DockerConfig: dockerConfig(),
				// Blobs are content-addressed like the download cache's
				// files, so they share its folder.
				BlobCache: filepath.Join(opts.CacheDir, "sha256"),
				Progress:  func(p images.Progress) { rt.Progress("images", p.Done, p.Total) },
			})
		return err
	}
	return engine.NewModule("images",
		&engine.Task{Name: "save images", Hosts: engine.OnControl(), Steps: []engine.Step{
			engine.StepFunc(fmt.Sprintf("save %d images", len(static)),
				func(ctx context.Context, rt *engine.Runtime) error {
					return save(ctx, rt, static)
				}),
			engine.StepFunc("save chart images", func(ctx context.Context, rt *engine.Runtime) error {
				refs, err := found.wait(ctx)
				if err != nil {
					return err
				}
				return save(ctx, rt, refs)
			}),
		}},
	)
}
