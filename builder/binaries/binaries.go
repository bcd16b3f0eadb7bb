// Package binaries is make-tar's binary collection module: for each
// component (kubeadm and the kubelet, containerd, runc, the CNI plugins,
// ...) and each arch of the hosts, it downloads the files upstream publishes,
// checks each against the checksum upstream publishes beside it, and puts it
// at its bundle path.
package binaries

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/fetch"
	"github.com/kubexm/kubexm/internal/redact"
	"github.com/kubexm/kubexm/profiles"
)

// Options say where the module puts files and how it fetches them.
type Options struct {
	// Root is the .kubexm tree the files go into.
	Root string
	// Arches are the hosts' arches (amd64, arm64).
	Arches []string
	// Bases override a component's base URL, by component name: a mirror
	// that lays files out as upstream does under another host.
	Bases map[string]string
	// AllowUnverified takes a file whose version has no published checksum
	// (the checksum file is missing). Without it such a file fails.
	AllowUnverified bool
	// Cache holds downloads between runs. Required.
	Cache *fetch.Cache
	// Origins, if set, receives where each file came from, for the manifest.
	Origins *bundle.Origins
}

// NewModule returns the module that collects the files of components, a
// task per component (run side by side: they share nothing), a step per
// arch.
func NewModule(components []profiles.Component, opts Options) *engine.Module {
	m := engine.NewModule("binaries")
	m.Parallel = true
	for _, c := range components {
		if len(c.Files) == 0 {
			continue
		}
		t := &engine.Task{Name: c.Name + " " + c.Version, Hosts: engine.OnControl()}
		for _, arch := range opts.Arches {
			t.Steps = append(t.Steps, &download{component: c, arch: arch, opts: opts})
		}
		m.Tasks = append(m.Tasks, t)
	}
	return m
}

// download fetches one component's files for one arch.
type download struct {
	component profiles.Component
	arch      string
	opts      Options
}

func (d *download) Name() string { return "download " + d.arch }

func (d *download) Run(ctx context.Context, rt *engine.Runtime) error {
	files, err := d.component.Downloads(d.opts.Bases[d.component.Name], d.arch)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := d.one(ctx, rt, f); err != nil {
			return err
		}
	}
	return nil
}

// one fetches a file and its checksum and places the file in the tree.
func (d *download) one(ctx context.Context, rt *engine.Runtime, f profiles.File) error {
	c := d.component
	rel, err := bundle.Binary(c.Name, c.Version, d.arch, f.Name)
	if err != nil {
		return err
	}
	dst := filepath.Join(d.opts.Root, filepath.FromSlash(rel))

	sum, err := d.checksum(ctx, f)
	if err != nil {
		return err
	}
	cache := *d.opts.Cache
	client := fetch.Client{}
	if cache.Client != nil {
		client = *cache.Client
	}
	client.Progress = func(_ string, done, total int64) { rt.Progress(f.Name, done, total) }
	cache.Client = &client

	if sum == "" {
		err = client.File(ctx, f.URL, dst, "")
	} else {
		_, err = cache.File(ctx, f.URL, sum, dst)
	}
	if err != nil {
		return fmt.Errorf("%s %s (%s): %w", c.Name, c.Version, d.arch, err)
	}
	if !isArchive(f.Name) {
		// A bare program (kubeadm, runc.amd64) must stay runnable in the
		// bundle and once unpacked at the site.
		if err := os.Chmod(dst, 0o755); err != nil {
			return fmt.Errorf("%s %s (%s): %w", c.Name, c.Version, d.arch, err)
		}
	}
	d.opts.Origins.Record(rel, bundle.Origin{Source: redact.URL(f.URL), Component: c.Name,
		Version: c.Version, Arch: d.arch})
	return nil
}

// isArchive reports whether name is an archive rather than a program.
func isArchive(name string) bool {
	for _, ext := range []string{".tar.gz", ".tgz", ".tar.xz", ".zip"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// checksum returns the published SHA-256 of f, or "" for a file taken
// unverified.
func (d *download) checksum(ctx context.Context, f profiles.File) (string, error) {
	c := d.component
	var sum string
	_, err := d.opts.Cache.Document(ctx, f.ChecksumURL, func(doc []byte) (err error) {
		sum, err = fetch.ParseChecksum(doc, f.Name)
		if err != nil {
			return fmt.Errorf("%s %s: %s: %w", c.Name, c.Version, redact.URL(f.ChecksumURL), err)
		}
		return nil
	})
	var se *fetch.StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		if d.opts.AllowUnverified {
			return "", nil
		}
		return "", fmt.Errorf("%s %s: no published checksum for %s at %s: the version may "+
			"not exist, or it publishes none (--allow-unverified takes it as it is)",
			c.Name, c.Version, f.Name, se.URL)
	}
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", c.Name, c.Version, err)
	}
	return sum, nil
}
