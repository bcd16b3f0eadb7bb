// Package charts collects Helm charts for a bundle: it pulls a pinned chart
// version from an HTTP chart repository or an OCI registry into the bundle's
// helm/ tree, checked, and renders a chart with the values the install will
// use to list every container image it names, so that the bundle never
// lacks an image a chart needs.
package charts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/kubexm/kubexm/internal/bundle"
)

// ErrNotFound marks a chart, or a version of it, that its source does not
// have: a name or version missing from an index, a 404, an OCI tag that is
// not there.
var ErrNotFound = errors.New("not found")

// ErrDigestMismatch marks an archive whose sha256 is not the one its index
// publishes.
var ErrDigestMismatch = errors.New("digest mismatch")

// Ref names one chart version and where it comes from: set Repo or OCI.
type Ref struct {
	// Name is the chart's name, as its Chart.yaml and the index spell it.
	// With OCI it defaults to the last element of the URL.
	Name string
	// Version is the exact version to collect: a bundle holds exactly one.
	Version string
	// Repo is the URL of an HTTP chart repository (the folder of its
	// index.yaml).
	Repo string
	// OCI is the chart's oci://host/path/name URL.
	OCI string
}

// String names the chart in messages.
func (r Ref) String() string {
	src := r.Repo
	if r.OCI != "" {
		src = r.OCI
	}
	return fmt.Sprintf("chart %s %s from %s", r.Name, r.Version, src)
}

// Options say how to reach a chart's source. The zero value pulls anonymously
// over HTTPS, with the system's trusted roots.
type Options struct {
	// Username and Password are basic-auth credentials for the repository's
	// host or the registry. Without them an OCI pull uses what Helm's and
	// Docker's credential files hold for the registry.
	Username, Password string
	// CAFile is a PEM bundle of CA certificates to trust besides the
	// system's, for a repository or registry behind a private CA.
	CAFile string
	// PlainHTTP talks to an OCI registry over HTTP instead of HTTPS, for a
	// registry on loopback or a trusted network.
	PlainHTTP bool
	// Retries and Backoff are those of the HTTP download (see fetch.Client):
	// by default five retries, the first after one second.
	Retries int
	Backoff time.Duration
	// Progress, if set, is called as archive bytes arrive from a chart
	// repository (total 0 when the server does not say it), and once with
	// the size when an OCI pull ends.
	Progress func(url string, done, total int64)
}

// Pull stores the chart ref names at bundleRoot/helm/<name>/<version>/ and
// returns the archive's path. An archive already there that loads as that
// chart is kept, and nothing is fetched. A new archive is checked (the
// index's sha256 digest when it publishes one, the OCI registry's digests,
// and that it loads as a chart of the requested name and version) under a
// temporary name, and renamed into place only then. Pulls of one chart
// version into one bundle must not run at once.
func Pull(ctx context.Context, ref Ref, bundleRoot string, opts Options) (string, error) {
	if ref.Name == "" && ref.OCI != "" {
		ref.Name = path.Base(strings.TrimSuffix(ref.OCI, "/"))
	}
	if err := ref.validate(); err != nil {
		return "", err
	}
	rel, err := bundle.Chart(ref.Name, ref.Version)
	if err != nil {
		return "", fmt.Errorf("pulling %s: %w", ref, err)
	}
	dst := filepath.Join(bundleRoot, filepath.FromSlash(rel))

	if checkArchive(dst, ref) == nil {
		return dst, nil
	}
	if err := download(ctx, ref, dst, opts); err != nil {
		return "", err
	}
	return dst, nil
}

// download fetches the archive of ref to dst.download, checks it, and
// renames it to dst.
func download(ctx context.Context, ref Ref, dst string, opts Options) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}
	tmp := dst + ".download"
	defer os.Remove(tmp)

	var err error
	if ref.OCI != "" {
		err = pullOCI(ctx, ref, tmp, opts)
	} else {
		err = pullHTTP(ctx, ref, tmp, opts)
	}
	if err != nil {
		return err
	}

	if err := checkArchive(tmp, ref); err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}
	return nil
}

// validate checks that ref names one version and one source.
func (r Ref) validate() error {
	switch {
	case r.Name == "" || r.Version == "":
		return fmt.Errorf("pulling %s: the chart's name and version must be set", r)
	case (r.Repo == "") == (r.OCI == ""):
		return fmt.Errorf("pulling %s: set exactly one of repo and oci", r)
	case r.OCI != "" && (!strings.HasPrefix(r.OCI, "oci://") ||
		!strings.Contains(strings.TrimPrefix(r.OCI, "oci://"), "/")):
		return fmt.Errorf("pulling %s: the oci URL must read oci://host/path/name", r)
	case r.Repo != "" && !strings.HasPrefix(r.Repo, "http://") &&
		!strings.HasPrefix(r.Repo, "https://"):
		return fmt.Errorf("pulling %s: the repo URL must be http(s)", r)
	}
	return nil
}

// checkArchive checks that file loads as the chart ref names.
func checkArchive(file string, ref Ref) error {
	ch, err := loader.LoadFile(file)
	if err != nil {
		return fmt.Errorf("the archive does not load as a chart: %w", err)
	}

	md := ch.Metadata
	if md.Name != ref.Name || md.Version != ref.Version {
		return fmt.Errorf("the archive holds chart %s %s, not %s %s", md.Name, md.Version,
			ref.Name, ref.Version)
	}
	return nil
}
