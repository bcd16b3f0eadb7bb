package ospkg

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ulikunitz/xz"

	"github.com/kubexm/kubexm/internal/fetch"
)

// Source is one suite of an apt repository, as in a sources.list line
// "deb URL SUITE COMPONENT...".
type Source struct {
	URL        string
	Suite      string
	Components []string
}

// String writes the source as a sources.list line, for messages.
func (s Source) String() string {
	return strings.TrimSpace("deb " + s.URL + " " + s.Suite + " " + strings.Join(s.Components, " "))
}

// Client reads apt repositories: signed Release files and the Packages
// indexes they list.
type Client struct {
	// Keyring holds the keys a Release file must be signed with (the
	// distribution's archive keyring). Required.
	Keyring openpgp.EntityList
	// Fetch downloads; the zero fetch.Client is used when it is nil.
	Fetch *fetch.Client
	// Cache is the folder checked indexes are kept in, by SHA256, so a
	// second run fetches only the Release files. Required.
	Cache string
	// IgnoreValidUntil accepts a Release file past its Valid-Until date,
	// as apt's Acquire::Check-Valid-Until=false does for a snapshot
	// mirror. The default is to refuse it.
	IgnoreValidUntil bool
	// Now is the clock Valid-Until is checked with; time.Now when nil.
	Now func() time.Time
}

// compressions are the forms of a Packages index, in order of preference,
// with the reader that decompresses each.
var compressions = []struct {
	ext  string
	open func(io.Reader) (io.Reader, error)
}{
	{".xz", func(r io.Reader) (io.Reader, error) { return xz.NewReader(r) }},
	{".gz", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
	{"", func(r io.Reader) (io.Reader, error) { return r, nil }},
}

// Index reads the Packages indexes of every source for arch and "all" and
// returns them as one index.
func (c *Client) Index(ctx context.Context, arch string, sources ...Source) (*Index, error) {
	var all []*Package
	for _, src := range sources {
		pkgs, err := c.packages(ctx, src, arch)
		if err != nil {
			return nil, err
		}
		all = append(all, pkgs...)
	}
	return NewIndex(arch, all), nil
}

// packages reads one source's indexes.
func (c *Client) packages(ctx context.Context, src Source, arch string) ([]*Package, error) {
	rel, err := c.Release(ctx, src)
	if err != nil {
		return nil, err
	}
	listed := len(rel.Architectures) > 0 // a Release without the field serves any
	if listed && !slices.Contains(rel.Architectures, arch) {
		return nil, fmt.Errorf("%s: the suite has no architecture %s (it has %s)", src, arch,
			strings.Join(rel.Architectures, " "))
	}

	var out []*Package
	for _, comp := range src.Components {
		arches := []string{arch}
		if (!listed || slices.Contains(rel.Architectures, "all")) && !rel.AllInArch {
			arches = append(arches, "all") // as apt does
		}
		for _, a := range arches {
			pkgs, err := c.component(ctx, src, rel, comp, a)
			if err != nil {
				return nil, err
			}
			out = append(out, pkgs...)
		}
	}
	return out, nil
}

// component reads comp/binary-arch/Packages in the first form the Release
// file lists. The binary-all index is read only where the Release file
// lists architecture "all" and does not say its packages are in the
// others' indexes anyway; a missing one is no error.
func (c *Client) component(ctx context.Context, src Source, rel *Release, comp,
	arch string) ([]*Package, error) {
	base := comp + "/binary-" + arch + "/Packages"
	for _, z := range compressions {
		sum, ok := rel.Files[base+z.ext]
		if !ok {
			continue
		}
		url := c.suiteURL(src) + "/" + base + z.ext
		path, err := c.index(ctx, url, rel.ByHash, sum)
		if err != nil {
			return nil, fmt.Errorf("index %s of %s: %w", base+z.ext, src, err)
		}
		pkgs, err := readPackages(path, z.open, strings.TrimSuffix(src.URL, "/"))
		if err != nil {
			return nil, fmt.Errorf("index %s of %s: %w", url, src, err)
		}
		return pkgs, nil
	}
	if arch == "all" {
		return nil, nil
	}
	return nil, fmt.Errorf("%s: the Release file lists no %s index", src, base)
}

// index fetches an index, by its digest where the suite offers that (a
// mirror in the middle of an update serves the new index under the old
// name, but every index under its digest), else by name.
func (c *Client) index(ctx context.Context, url string, byHash bool,
	sum FileSum) (string, error) {
	if byHash {
		hashed := url[:strings.LastIndexByte(url, '/')] + "/by-hash/SHA256/" + sum.SHA256
		path, err := c.cached(ctx, hashed, sum)
		var se *fetch.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusNotFound {
			return path, err
		}
	}
	return c.cached(ctx, url, sum)
}

// cached fetches url into the cache under its SHA256 unless it is there.
func (c *Client) cached(ctx context.Context, url string, sum FileSum) (string, error) {
	if c.Cache == "" {
		return "", fmt.Errorf("no cache folder to keep %s in", url)
	}
	dst := filepath.Join(c.Cache, "by-hash", sum.SHA256)
	defer lockPath(dst)()
	if have, err := sha256File(dst); err == nil && have == sum.SHA256 {
		return dst, nil
	}
	return dst, c.fetcher().File(ctx, url, dst, sum.SHA256)
}

// readPackages parses a Packages file through its decompressor.
func readPackages(path string, open func(io.Reader) (io.Reader, error),
	repo string) ([]*Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := open(f)
	if err != nil {
		return nil, fmt.Errorf("decompressing: %w", err)
	}
	stanzas, err := ParseControl(r)
	if err != nil {
		return nil, err
	}

	out := make([]*Package, 0, len(stanzas))
	for _, s := range stanzas {
		p, err := newPackage(s, repo)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Release fetches and verifies a suite's Release file: InRelease, or
// Release with Release.gpg where the repository has no InRelease.
func (c *Client) Release(ctx context.Context, src Source) (*Release, error) {
	if len(c.Keyring) == 0 {
		return nil, fmt.Errorf("%s: no keyring to check the Release file with", src)
	}
	text, where, err := c.signedRelease(ctx, src)
	if err != nil {
		return nil, err
	}
	rel, err := parseRelease(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}

	if !rel.ValidUntil.IsZero() && !c.IgnoreValidUntil && c.now().After(rel.ValidUntil) {
		return nil, fmt.Errorf("%s: expired on %s (Valid-Until); the mirror is stale", where,
			rel.ValidUntil.UTC().Format(time.DateOnly))
	}
	for _, comp := range src.Components {
		if len(rel.Components) > 0 && !hasComponent(rel.Components, comp) {
			return nil, fmt.Errorf("%s: the suite has no component %s (it has %s)", where, comp,
				strings.Join(rel.Components, " "))
		}
	}
	return rel, nil
}

// signedRelease returns the verified text of the suite's Release file and
// the URL it came from.
func (c *Client) signedRelease(ctx context.Context, src Source) ([]byte, string, error) {
	url := c.suiteURL(src) + "/InRelease"
	data, err := c.fetcher().Bytes(ctx, url)
	var se *fetch.StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return c.detachedRelease(ctx, src)
	}
	if err != nil {
		return nil, url, err
	}
	text, err := verifyInRelease(data, c.Keyring)
	if err != nil {
		return nil, url, fmt.Errorf("%s: %w", url, err)
	}
	return text, url, nil
}

// detachedRelease reads Release and checks it against Release.gpg.
func (c *Client) detachedRelease(ctx context.Context, src Source) ([]byte, string, error) {
	url := c.suiteURL(src) + "/Release"
	text, err := c.fetcher().Bytes(ctx, url)
	if err != nil {
		return nil, url, err
	}
	sig, err := c.fetcher().Bytes(ctx, url+".gpg")
	if err != nil {
		return nil, url, err
	}
	if err := verifyDetached(text, sig, c.Keyring); err != nil {
		return nil, url, fmt.Errorf("%s.gpg: %w", url, err)
	}
	return text, url, nil
}

// hasComponent reports whether a Release file's component list has comp,
// also as Debian's security archive spells it ("updates/main").
func hasComponent(list []string, comp string) bool {
	return slices.ContainsFunc(list, func(c string) bool {
		return c == comp || strings.HasSuffix(c, "/"+comp)
	})
}

func (c *Client) suiteURL(src Source) string {
	return strings.TrimSuffix(src.URL, "/") + "/dists/" + src.Suite
}

func (c *Client) fetcher() *fetch.Client {
	if c.Fetch == nil {
		return &fetch.Client{}
	}
	return c.Fetch
}

func (c *Client) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}
