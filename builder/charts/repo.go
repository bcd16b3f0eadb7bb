package charts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v4/pkg/repo/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubexm/kubexm/internal/digest"
	"github.com/kubexm/kubexm/internal/fetch"
)

// nearby is how many of the repository's versions an error about a missing
// version lists.
const nearby = 5

// pullHTTP downloads the archive of ref from its chart repository to dst:
// it reads the repository's index.yaml, finds the exact version there and
// fetches the first URL the entry gives, relative to the repository or
// absolute, checked against the entry's digest.
func pullHTTP(ctx context.Context, ref Ref, dst string, opts Options) error {
	base, err := url.Parse(ref.Repo)
	if err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}
	hc, err := opts.httpClient(ctx, base.Host)
	if err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}
	fc := &fetch.Client{HTTP: hc, Retries: opts.Retries, Backoff: opts.Backoff,
		Progress: opts.Progress}

	entry, err := findVersion(ctx, *fc, ref, dst+".index.yaml")
	if err != nil {
		return err
	}
	if len(entry.URLs) == 0 {
		return fmt.Errorf("pulling %s: the index gives no URL for it", ref)
	}
	archive, err := repo.ResolveReferenceURL(ref.Repo, entry.URLs[0])
	if err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}

	if err := fc.File(ctx, archive, dst, ""); err != nil {
		return fmt.Errorf("pulling %s: %w", ref, httpCause(err))
	}
	if err := checkDigest(dst, archive, entry.Digest); err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}
	return nil
}

// checkDigest compares file with the sha256 digest the index gives for it,
// if it gives one.
func checkDigest(file, from, want string) error {
	want = strings.ToLower(strings.TrimPrefix(want, "sha256:"))
	if want == "" {
		return nil
	}

	_, got, err := digest.File(file)
	if err != nil {
		return fmt.Errorf("checking %s: %w", from, err)
	}
	if got != want {
		return fmt.Errorf("%s has sha256 %s, the index says %s: %w", from, got, want,
			ErrDigestMismatch)
	}
	return nil
}

// findVersion reads the repository's index (through the file tmp: the
// indexes of large repositories run to tens of megabytes) and returns the
// entry of ref's exact version. Helm's own index loader is not used because
// it logs what it skips.
func findVersion(ctx context.Context, fc fetch.Client, ref Ref,
	tmp string) (*repo.ChartVersion, error) {
	indexURL := strings.TrimSuffix(ref.Repo, "/") + "/index.yaml"
	fc.Progress = nil
	os.Remove(tmp + ".partial") // an index changes: never resume one from an earlier run
	defer os.Remove(tmp)
	if err := fc.File(ctx, indexURL, tmp, ""); err != nil {
		return nil, fmt.Errorf("pulling %s: reading the repository index: %w", ref,
			httpCause(err))
	}
	data, err := os.ReadFile(tmp)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: reading %s: %w", ref, indexURL, err)
	}

	var index repo.IndexFile
	if err := yaml.Unmarshal(data, &index); err != nil {
		return nil, fmt.Errorf("pulling %s: reading %s: %w", ref, indexURL, err)
	}

	versions, ok := index.Entries[ref.Name]
	if !ok || len(versions) == 0 {
		return nil, fmt.Errorf("pulling %s: no chart named %s in %s: %w", ref, ref.Name,
			indexURL, ErrNotFound)
	}
	var have []string
	for _, v := range versions {
		if v == nil || v.Metadata == nil {
			continue
		}
		if v.Version == ref.Version {
			return v, nil
		}
		have = append(have, v.Version)
	}
	return nil, fmt.Errorf("pulling %s: version %s is not in %s (nearest: %s): %w", ref,
		ref.Version, indexURL, strings.Join(nearest(have, ref.Version, nearby), ", "),
		ErrNotFound)
}

// httpCause marks a 404 as ErrNotFound, keeping fetch's message.
func httpCause(err error) error {
	var se *fetch.StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return marked{err, ErrNotFound}
	}
	return err
}

// nearest returns up to n of versions, those closest to want in semver
// order, sorted. Versions that are not semver come last.
func nearest(versions []string, want string, n int) []string {
	type parsed struct {
		raw string
		v   *semver.Version
	}
	var ps []parsed
	for _, raw := range versions {
		v, _ := semver.NewVersion(raw)
		ps = append(ps, parsed{raw, v})
	}
	slices.SortStableFunc(ps, func(a, b parsed) int {
		switch {
		case a.v == nil && b.v == nil:
			return strings.Compare(a.raw, b.raw)
		case a.v == nil:
			return 1
		case b.v == nil:
			return -1
		}
		return a.v.Compare(b.v)
	})

	at := len(ps)
	if w, err := semver.NewVersion(want); err == nil {
		at, _ = slices.BinarySearchFunc(ps, w, func(p parsed, w *semver.Version) int {
			if p.v == nil {
				return 1
			}
			return p.v.Compare(w)
		})
	}
	lo := max(0, min(at-n/2, len(ps)-n))
	hi := min(len(ps), lo+n)
	out := make([]string, 0, hi-lo)
	for _, p := range ps[lo:hi] {
		out = append(out, p.raw)
	}
	return out
}

// marked is an error that also matches a sentinel, with the message of the
// error alone.
type marked struct{ err, mark error }

func (m marked) Error() string   { return m.err.Error() }
func (m marked) Unwrap() []error { return []error{m.err, m.mark} }
