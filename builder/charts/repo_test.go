package charts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/repo/v1"
)

// chartRepo is an HTTP chart repository on loopback: chart archives, an
// index.yaml made by the Helm SDK, and a log of the paths asked for.
type chartRepo struct {
	*httptest.Server
	dir string

	mu       sync.Mutex
	requests []string
	withAuth int    // requests that carried an Authorization header
	user     string // when set, requests need it, with password "secret"
}

// newChartRepo serves archives, indexed with URLs relative to the
// repository.
func newChartRepo(t *testing.T, archives ...string) *chartRepo {
	t.Helper()
	r := &chartRepo{dir: t.TempDir()}
	for _, a := range archives {
		data, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.dir, filepath.Base(a)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := http.FileServer(http.Dir(r.dir))
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		r.mu.Lock()
		r.requests = append(r.requests, q.URL.Path)
		if q.Header.Get("Authorization") != "" {
			r.withAuth++
		}
		r.mu.Unlock()
		if u, p, _ := q.BasicAuth(); r.user != "" && (u != r.user || p != "secret") {
			w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, q)
	}))
	t.Cleanup(r.Close)
	r.index(t, "", nil)
	return r
}

// index writes index.yaml, with URLs under baseURL (relative when it is
// empty), after edit has changed it.
func (r *chartRepo) index(t *testing.T, baseURL string, edit func(*repo.IndexFile)) {
	t.Helper()
	idx, err := repo.IndexDirectory(r.dir, baseURL)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(idx)
	}
	if err := idx.WriteFile(filepath.Join(r.dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// authed counts the requests that carried credentials.
func (r *chartRepo) authed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.withAuth
}

// asked counts the requests for paths ending in suffix.
func (r *chartRepo) asked(suffix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, p := range r.requests {
		if strings.HasSuffix(p, suffix) {
			n++
		}
	}
	return n
}

// files lists the regular files under root, relative to it.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// closedURL is an http URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/charts"
}

func TestPullFromRepository(t *testing.T) {
	flannel := flannelChart(t)
	r := newChartRepo(t, append(corednsIfThere(), flannel)...)
	archives := newChartRepo(t, flannel)
	absolute := newChartRepo(t)
	absolute.index(t, "", func(idx *repo.IndexFile) {
		other, err := repo.IndexDirectory(archives.dir, archives.URL)
		if err != nil {
			t.Fatal(err)
		}
		idx.Merge(other)
	})
	private := newChartRepo(t, flannel)
	private.user = "kubexm"

	tests := []struct {
		name    string
		needs   func(*testing.T) string
		repo    string
		ref     Ref
		opts    Options
		want    string
		fetched func() int
	}{
		{name: "relative URL", repo: r.URL, ref: Ref{Name: "flannel", Version: "v0.28.9"},
			want:    "helm/flannel/v0.28.9/flannel-v0.28.9.tgz",
			fetched: func() int { return r.asked("/flannel-v0.28.9.tgz") }},
		{name: "coredns, repository URL with a slash", needs: corednsChart, repo: r.URL + "/",
			ref:     Ref{Name: "coredns", Version: "1.46.2"},
			want:    "helm/coredns/1.46.2/coredns-1.46.2.tgz",
			fetched: func() int { return r.asked("/coredns-1.46.2.tgz") }},
		{name: "absolute URL on another host", repo: absolute.URL,
			ref:     Ref{Name: "flannel", Version: "v0.28.9"},
			want:    "helm/flannel/v0.28.9/flannel-v0.28.9.tgz",
			fetched: func() int { return archives.asked("/flannel-v0.28.9.tgz") }},
		{name: "basic auth", repo: private.URL, ref: Ref{Name: "flannel", Version: "v0.28.9"},
			opts:    Options{Username: "kubexm", Password: "secret"},
			want:    "helm/flannel/v0.28.9/flannel-v0.28.9.tgz",
			fetched: func() int { return private.asked("/flannel-v0.28.9.tgz") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needs != nil {
				tc.needs(t)
			}
			root := t.TempDir()
			tc.ref.Repo = tc.repo
			before := tc.fetched()
			var progress []string
			tc.opts.Progress = func(url string, done, total int64) {
				if done == total {
					progress = append(progress, url)
				}
			}

			got, err := Pull(context.Background(), tc.ref, root, tc.opts)
			if err != nil {
				t.Fatal(err)
			}

			if want := filepath.Join(root, tc.want); got != want {
				t.Errorf("path = %s, want %s", got, want)
			}
			if err := checkArchive(got, tc.ref); err != nil {
				t.Error(err)
			}
			if n := tc.fetched() - before; n != 1 {
				t.Errorf("the archive was fetched %d times, want once", n)
			}
			if len(progress) != 1 || !strings.HasSuffix(progress[0], ".tgz") {
				t.Errorf("progress ended for %v, want the archive alone", progress)
			}
			if fs := files(t, root); len(fs) != 1 {
				t.Errorf("files in the bundle = %v, want only the archive", fs)
			}
		})
	}
}

func TestPullKeepsCredentialsOnTheRepositoryHost(t *testing.T) {
	archives := newChartRepo(t, flannelChart(t))
	private := newChartRepo(t)
	private.user = "kubexm"
	private.index(t, "", func(idx *repo.IndexFile) {
		other, err := repo.IndexDirectory(archives.dir, archives.URL)
		if err != nil {
			t.Fatal(err)
		}
		idx.Merge(other)
	})
	ref := Ref{Name: "flannel", Version: "v0.28.9", Repo: private.URL}
	opts := Options{Username: "kubexm", Password: "secret"}

	if _, err := Pull(context.Background(), ref, t.TempDir(), opts); err != nil {
		t.Fatal(err)
	}

	if n := private.authed(); n != 1 {
		t.Errorf("the repository saw credentials %d times, want once (the index)", n)
	}
	if n, a := archives.asked(".tgz"), archives.authed(); n != 1 || a != 0 {
		t.Errorf("the archive host: %d archive requests, %d with credentials; want 1 and 0",
			n, a)
	}
}

func TestPullStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := newChartRepo(t, flannelChart(t))
	reg := startRegistry(t, false)
	reg.push(t, flannelChart(t))

	tests := []struct {
		name string
		ref  Ref
	}{
		{name: "repository", ref: Ref{Repo: r.URL}},
		{name: "registry", ref: Ref{OCI: "oci://" + reg.host + "/charts/flannel"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.ref.Name, tc.ref.Version = "flannel", "v0.28.9"

			_, err := Pull(ctx, tc.ref, t.TempDir(), Options{PlainHTTP: true})

			if !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want one that is context.Canceled", err)
			}
		})
	}
	if n := r.asked(""); n != 0 {
		t.Errorf("the repository got %d requests after the cancel", n)
	}
}

func TestPullKeepsCachedArchive(t *testing.T) {
	r := newChartRepo(t, flannelChart(t))
	ref := Ref{Name: "flannel", Version: "v0.28.9", Repo: r.URL}
	root := t.TempDir()

	first, err := Pull(context.Background(), ref, root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := r.asked(".tgz"); n != 1 {
		t.Fatalf("first pull: %d archive requests, want 1", n)
	}

	second, err := Pull(context.Background(), ref, root, Options{})
	if err != nil || second != first {
		t.Fatalf("second pull = %s, %v; want %s", second, err, first)
	}
	if n := r.asked(""); n != 2 {
		t.Errorf("second pull made requests: %d in all, want none after the first pull's two",
			n)
	}

	if err := os.Truncate(first, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := Pull(context.Background(), ref, root, Options{}); err != nil {
		t.Fatal(err)
	}
	if n := r.asked(".tgz"); n != 2 {
		t.Errorf("a truncated cached archive: %d archive requests in all, want 2", n)
	}
	if err := checkArchive(first, ref); err != nil {
		t.Errorf("after the re-fetch: %v", err)
	}
}

func TestPullFailures(t *testing.T) {
	flannel := flannelChart(t)
	r := newChartRepo(t, flannel)
	r.index(t, "", func(idx *repo.IndexFile) {
		base := idx.Entries["flannel"][0]
		for _, v := range []string{"v0.1.0", "v0.27.0", "v0.28.0", "v0.28.10", "v0.29.1",
			"v0.30.0"} {
			md := *base.Metadata
			md.Version = v
			idx.Entries["flannel"] = append(idx.Entries["flannel"],
				&repo.ChartVersion{Metadata: &md, URLs: []string{"flannel-" + v + ".tgz"}})
		}
		base.Digest = "sha256:" + strings.Repeat("ab", 32)
	})
	wrong := newChartRepo(t, flannel)
	wrong.index(t, "", func(idx *repo.IndexFile) {
		md := *idx.Entries["flannel"][0].Metadata
		md.Name, md.Version = "coredns", "1.46.2"
		idx.Entries["coredns"] = repo.ChartVersions{{Metadata: &md,
			URLs: []string{"flannel-v0.28.9.tgz"}}}
	})
	private := newChartRepo(t, flannel)
	private.user = "kubexm"
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	flannelRef := Ref{Name: "flannel", Version: "v0.28.9", Repo: r.URL}

	tests := []struct {
		name string
		ref  Ref
		opts Options
		is   error
		want []string // in the message
	}{
		{name: "version not in the index",
			ref: Ref{Name: "flannel", Version: "v0.28.8", Repo: r.URL}, is: ErrNotFound,
			want: []string{"flannel v0.28.8", "version v0.28.8 is not in " + r.URL + "/index.yaml",
				"nearest: v0.27.0, v0.28.0, v0.28.9, v0.28.10, v0.29.1"}},
		{name: "chart not in the index",
			ref: Ref{Name: "calico", Version: "v3.32.1", Repo: r.URL}, is: ErrNotFound,
			want: []string{"no chart named calico"}},
		{name: "archive not found",
			ref: Ref{Name: "flannel", Version: "v0.30.0", Repo: r.URL}, is: ErrNotFound,
			want: []string{"chart flannel v0.30.0", "flannel-v0.30.0.tgz", "404"}},
		{name: "digest mismatch",
			ref: Ref{Name: "flannel", Version: "v0.28.9", Repo: r.URL}, is: ErrDigestMismatch,
			want: []string{"chart flannel v0.28.9",
				"flannel-v0.28.9.tgz has sha256 " + sha256Of(t, flannel),
				"the index says " + strings.Repeat("ab", 32)}},
		{name: "archive of another chart",
			ref:  Ref{Name: "coredns", Version: "1.46.2", Repo: wrong.URL},
			want: []string{"chart coredns 1.46.2", "holds chart flannel v0.28.9"}},
		{name: "repository unreachable",
			ref:  Ref{Name: "flannel", Version: "v0.28.9", Repo: closedURL(t)},
			want: []string{"chart flannel v0.28.9", "reading the repository index", "refused"}},
		{name: "credentials missing",
			ref:  Ref{Name: "flannel", Version: "v0.28.9", Repo: private.URL},
			want: []string{"chart flannel v0.28.9", "401"}},
		{name: "credentials refused",
			ref:  Ref{Name: "flannel", Version: "v0.28.9", Repo: private.URL},
			opts: Options{Username: "kubexm", Password: "guess"},
			want: []string{"chart flannel v0.28.9", "401"}},
		{name: "CA bundle missing", ref: flannelRef, opts: Options{CAFile: notPEM + ".gone"},
			want: []string{"chart flannel v0.28.9", "reading the CA bundle", "ca.pem.gone"}},
		{name: "CA bundle without a certificate", ref: flannelRef, opts: Options{CAFile: notPEM},
			want: []string{"chart flannel v0.28.9", notPEM + " holds no PEM certificate"}},
		{name: "no version", ref: Ref{Name: "flannel", Repo: r.URL},
			want: []string{"name and version must be set"}},
		{name: "two sources",
			ref:  Ref{Name: "flannel", Version: "v0.28.9", Repo: r.URL, OCI: "oci://x/flannel"},
			want: []string{"exactly one of repo and oci"}},
		{name: "name that is no path element",
			ref:  Ref{Name: "../flannel", Version: "v0.28.9", Repo: r.URL},
			want: []string{"cannot be a path element"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.opts.Retries = -1

			_, err := Pull(context.Background(), tc.ref, root, tc.opts)
			if err == nil {
				t.Fatal("pull succeeded")
			}

			checkFailure(t, err, tc.is, tc.want, root)
		})
	}
}

func sha256Of(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
