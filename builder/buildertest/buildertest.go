// Package buildertest starts, on loopback, everything make-tar downloads
// from for a config of the default profile: a file server laid out as the
// upstream release sites (with stand-in files and real checksum files), a
// TLS registry holding an image under every upstream name the profile and
// its charts use, a chart repository serving the real upstream charts, and
// a signed Debian 12 archive of stand-in packages.
// Tests of make-tar use it in make test; the upstream mirror of qemu-tests,
// with real builds, takes its place in make e2e.
package buildertest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"helm.sh/helm/v4/pkg/repo/v1"

	"github.com/kubexm/kubexm/internal/testenv"
	"github.com/kubexm/kubexm/profiles"
	"github.com/kubexm/kubexm/qemu-tests/upstream/faultserver"
)

// chartImages are the images the profile's charts render with their
// default values beyond the images the profile lists itself.
var chartImages = []string{"docker.io/coredns/coredns:1.13.1"}

// Upstream is the set of servers.
type Upstream struct {
	// Files serves the release files; its Hits count requests per path.
	Files *faultserver.Server
	// Sources is the spec.artifacts block that points a config at the
	// servers (indented for a config's spec).
	Sources string
	// BlobGets counts blob downloads from the registry, ChartGets chart
	// archive downloads from the chart repository, and DebGets .deb
	// downloads from the apt archive.
	BlobGets, ChartGets, DebGets atomic.Int64

	boot bool // the archive carries the real boot packages too
}

// Start runs the servers until the test ends.
func Start(t testing.TB) *Upstream {
	t.Helper()
	return start(t, &Upstream{})
}

// StartWithBoot is Start with the profile's boot packages in the Debian
// archive, as make-tar --format iso needs them: the real kernel, isolinux
// and systemd-boot packages of this machine's apt sources, fetched once
// into the test-debs cache (testdebs).
func StartWithBoot(t testing.TB) *Upstream {
	t.Helper()
	return start(t, &Upstream{boot: true})
}

func start(t testing.TB, u *Upstream) *Upstream {
	prof, err := profiles.Default()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("  artifacts:\n    sources:\n")
	b.WriteString(u.files(t, prof))
	reg, ca := u.registry(t, prof)
	b.WriteString(reg)
	b.WriteString(u.chartRepo(t, prof))
	b.WriteString(u.aptRepo(t, prof))
	fmt.Fprintf(&b, "    caBundle: %s\n", ca)
	u.Sources = b.String()
	return u
}

// files publishes a stand-in for each file of each component, with its
// checksum file where the profile says upstream puts it.
func (u *Upstream) files(t testing.TB, prof *profiles.Profile) string {
	root := t.TempDir()
	u.Files = faultserver.New(root)
	srv := httptest.NewServer(u.Files)
	t.Cleanup(srv.Close)

	var b strings.Builder
	b.WriteString("      binaries:\n")
	for _, c := range prof.Components {
		if len(c.Files) == 0 {
			continue
		}
		base := srv.URL + "/" + c.Name
		for _, arch := range []string{"amd64", "arm64"} {
			files, err := c.Downloads(base, arch)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				content := "stand-in for " + f.Name
				sum := sha256.Sum256([]byte(content))
				write(t, root, f.URL, content, false)
				write(t, root, f.ChecksumURL, hex.EncodeToString(sum[:])+"  "+f.Name+"\n", true)
			}
		}
		fmt.Fprintf(&b, "        %s: %s\n", c.Name, base)
	}
	return b.String()
}

func write(t testing.TB, root, rawURL, content string, appendTo bool) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, filepath.FromSlash(u.Path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(p, flags, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

// registry runs ggcr's registry over TLS with a random image under
// <registry>/<upstream host>/<repository>:<tag> for every image, and
// returns the registries block mapping each upstream host there, and the
// path of the CA file.
func (u *Upstream) registry(t testing.TB, prof *profiles.Profile) (string, string) {
	handler := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/blobs/sha256:") && r.Method == http.MethodGet {
			u.BlobGets.Add(1)
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")

	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemData, 0o644); err != nil {
		t.Fatal(err)
	}

	upstreams := map[string]bool{}
	for _, ref := range allImages(t, prof) {
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		upstreams[r.Context().RegistryStr()] = true
		mirrored := host + "/" + r.Context().RegistryStr() + "/" + r.Context().RepositoryStr() +
			":" + r.Identifier()
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		dst, _ := name.ParseReference(mirrored)
		if err := remote.Write(dst, img, remote.WithTransport(srv.Client().Transport)); err != nil {
			t.Fatalf("pushing %s: %v", mirrored, err)
		}
	}

	var b strings.Builder
	b.WriteString("      registries:\n")
	for up := range upstreams {
		fmt.Fprintf(&b, "        %s: %s/%s\n", up, host, up)
	}
	return b.String(), ca
}

func allImages(t testing.TB, prof *profiles.Profile) []string {
	refs := append([]string(nil), chartImages...)
	for _, c := range prof.Components {
		r, err := c.ImageRefs()
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r...)
	}
	return refs
}

// chartRepo serves the real flannel and CoreDNS charts from the shared
// fixtures, indexed with the Helm SDK, and returns the charts block that
// maps the profile's repositories to it.
func (u *Upstream) chartRepo(t testing.TB, prof *profiles.Profile) string {
	dir := t.TempDir()
	for _, f := range []string{"flannel-v0.28.9.tgz", "coredns-1.46.2.tgz"} {
		data, err := os.ReadFile(filepath.Join(Fixtures(), "charts", f))
		if err != nil {
			missing(t, "chart fixture %s (set KUBEXM_FIXTURES): %v", f, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(counting(&u.ChartGets, ".tgz", http.FileServer(http.Dir(dir))))
	t.Cleanup(srv.Close)

	var b strings.Builder
	b.WriteString("      charts:\n")
	for _, c := range prof.Components {
		if c.Chart != nil {
			fmt.Fprintf(&b, "        %s: %s\n", c.Chart.Repo, srv.URL)
		}
	}
	return b.String()
}

// counting counts the requests for paths ending in suffix.
func counting(n *atomic.Int64, suffix string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, suffix) {
			n.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// Fixtures is the folder of upstream fixtures: $KUBEXM_FIXTURES, or
// shared/fixtures/upstream beside the repository (found from the test's
// working directory, which go test sets to its package's folder).
func Fixtures() string {
	if dir := os.Getenv("KUBEXM_FIXTURES"); dir != "" {
		return dir
	}
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "fixtures", "upstream")
		}
	}
	return filepath.Join(dir, "shared", "fixtures", "upstream")
}

// missing skips the test for a fixture it cannot have, or fails it under
// CI, which must have every fixture.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	testenv.Missing(t, format, args...)
}
