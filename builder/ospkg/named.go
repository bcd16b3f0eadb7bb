package ospkg

import (
	"context"
	"fmt"
	"strings"
)

// Newest returns the newest version of the package called name.
func (ix *Index) Newest(name string) (*Package, error) {
	vs := ix.Versions(name)
	if len(vs) == 0 {
		return nil, fmt.Errorf("package %s: not in the indexes read for %s", name, ix.Arch)
	}
	return vs[0], nil
}

// Kernel returns the kernel package that name stands for: name itself when
// it ships a kernel, or, for a metapackage such as linux-image-amd64, the
// newest linux-image-* package its dependencies name. The kernel goes on
// a boot medium as a file, so the metapackage's other dependencies do not
// matter.
func (ix *Index) Kernel(name string) (*Package, error) {
	p, err := ix.Newest(name)
	if err != nil {
		return nil, err
	}
	if !isMetapackage(p) {
		return p, nil
	}
	var best *Package
	for _, alts := range p.Depends {
		for _, r := range alts {
			if !strings.HasPrefix(r.Name, "linux-image-") {
				continue
			}
			for _, c := range ix.Versions(r.Name) {
				if r.Satisfied(c.Version) && (best == nil || CompareVersions(c.Version, best.Version) > 0) {
					best = c
					break
				}
			}
		}
	}
	if best == nil {
		return nil, fmt.Errorf("package %s: depends on no linux-image-* package of the indexes", p)
	}
	return best, nil
}

// isMetapackage tells a kernel metapackage (linux-image-amd64) from a
// kernel package (linux-image-6.1.0-28-amd64), whose name carries the
// release, which starts with a digit.
func isMetapackage(p *Package) bool {
	rest, ok := strings.CutPrefix(p.Name, "linux-image-")
	return ok && rest != "" && (rest[0] < '0' || rest[0] > '9')
}

// Fetcher reads a distribution's indexes once and downloads single
// packages from them, each checked against the SHA256 of the index and the
// index against the archive key, as Collect does.
type Fetcher struct {
	Client *Client
	Index  *Index
}

// NewFetcher reads the indexes of o's sources for its arch.
func NewFetcher(ctx context.Context, o Options) (*Fetcher, error) {
	d, err := LookupDistro(o.Distro, o.Version)
	if err != nil {
		return nil, err
	}
	keys, err := d.LoadKeyring(o.Keyring)
	if err != nil {
		return nil, err
	}
	c := &Client{Keyring: keys, Fetch: o.Fetch, Cache: o.Cache, IgnoreValidUntil: o.IgnoreValidUntil}
	ix, err := c.Index(ctx, o.Arch, o.Sources...)
	if err != nil {
		return nil, err
	}
	return &Fetcher{Client: c, Index: ix}, nil
}

// Get downloads p into the cache and returns it with its path there.
func (f *Fetcher) Get(ctx context.Context, p *Package) (LocalPackage, error) {
	path, err := f.Client.Download(ctx, p)
	if err != nil {
		return LocalPackage{}, err
	}
	return LocalPackage{Package: p, Path: path}, nil
}
