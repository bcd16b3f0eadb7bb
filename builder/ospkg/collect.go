package ospkg

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/fetch"
)

// Options describe one OS-package repository image to build.
type Options struct {
	// Distro and Version are the hosts' os-release ID and VERSION_ID.
	Distro  string
	Version string
	// Arch is the Debian architecture of the hosts: amd64, arm64.
	Arch string
	// Sources are the suites to read; each needs the distribution's
	// components. See Distro.Suites for the usual ones.
	Sources []Source
	// Keyring is the keyring the suites are signed with; nil means the
	// distribution's keyring file on this machine (Distro.Keyring).
	Keyring []byte
	// Packages are the requested packages, e.g. the profile's list for
	// the hosts' roles.
	Packages []string
	// Base is what the hosts have installed already.
	Base Base
	// Cache is where indexes and .deb files are kept between runs.
	Cache string
	// Bundle is the .kubexm folder the image goes into.
	Bundle string
	// Time dates the repository and the image (SOURCE_DATE_EPOCH).
	Time time.Time
	// Fetch downloads; the zero fetch.Client when nil.
	Fetch *fetch.Client
	// IgnoreValidUntil accepts expired Release files (snapshot mirrors).
	IgnoreValidUntil bool
	// Progress, if set, is called after each .deb is in the cache.
	Progress func(done, total int, pkg *Package)
}

// Result is what Collect built.
type Result struct {
	// ISO is the image's path inside the bundle, e.g.
	// os/debian/12/amd64/debian-12-amd64.iso.
	ISO string
	// Packages are the packages in it, sorted by name.
	Packages []*Package
	// InBase are the requested packages left out as already installed.
	InBase []string
}

// downloadWorkers is how many .deb files are fetched at once: mirrors
// serve a few parallel connections per client well.
const downloadWorkers = 4

// Collect reads the suites, resolves the packages against the base,
// downloads them, writes the repository and packs it as the bundle's
// ISO image for the distribution, version and architecture.
func Collect(ctx context.Context, o Options) (*Result, error) {
	if o.Cache == "" || o.Bundle == "" || o.Time.IsZero() || len(o.Sources) == 0 {
		return nil, fmt.Errorf("os packages %s %s: Sources, Cache, Bundle and Time are "+
			"required", o.Distro, o.Version)
	}
	d, err := LookupDistro(o.Distro, o.Version)
	if err != nil {
		return nil, err
	}
	iso, err := bundle.OSPackages(d.ID, d.Version, o.Arch)
	if err != nil {
		return nil, err
	}
	f, err := NewFetcher(ctx, o)
	if err != nil {
		return nil, err
	}
	res, err := Resolve(f.Index, o.Packages, o.Base)
	if err != nil {
		return nil, fmt.Errorf("os %s %s %s: %w", d.ID, d.Version, o.Arch, err)
	}
	local, err := f.Client.downloadAll(ctx, res.Packages, o.Progress)
	if err != nil {
		return nil, err
	}

	if err := writeImage(local, o.Cache, filepath.Join(o.Bundle, iso), o.Time); err != nil {
		return nil, err
	}
	return &Result{ISO: iso, Packages: res.Packages, InBase: res.InBase}, nil
}

// writeImage writes the repository in a scratch folder and packs it.
func writeImage(local []LocalPackage, cache, dst string, t time.Time) error {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return fmt.Errorf("cache %s: %w", cache, err)
	}
	stage, err := os.MkdirTemp(cache, "repo-")
	if err != nil {
		return fmt.Errorf("cache %s: %w", cache, err)
	}
	defer os.RemoveAll(stage)

	if err := Write(stage, local, t); err != nil {
		return err
	}
	return PackISO(stage, dst, VolumeLabel, t)
}

// downloadAll fetches the packages a few at a time; the first error
// cancels the rest and is the one returned.
func (c *Client) downloadAll(ctx context.Context, pkgs []*Package,
	progress func(int, int, *Package)) ([]LocalPackage, error) {
	out := make([]LocalPackage, len(pkgs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(downloadWorkers)
	var (
		mu   sync.Mutex
		done int
	)
	for i, p := range pkgs {
		g.Go(func() error {
			path, err := c.Download(ctx, p)
			if err != nil {
				return err
			}
			out[i] = LocalPackage{Package: p, Path: path}

			mu.Lock()
			defer mu.Unlock()
			done++
			if progress != nil {
				progress(done, len(pkgs), p)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
