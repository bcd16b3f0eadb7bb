package images

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/bcrypt"

	"github.com/kubexm/kubexm/internal/testenv"
)

// The tests run Debian's docker-registry (the distribution registry) on
// loopback, with a config file and storage in the test's temporary folder.

// requireTool skips without the tool, unless CI=true, where it fails.
func requireTool(tb testing.TB, tool string) string {
	tb.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	testenv.Missing(tb, "%s is not installed (Debian package %s)", tool, debPackage[tool])
	return ""
}

var debPackage = map[string]string{"docker-registry": "docker-registry", "skopeo": "skopeo"}

// user is a login of a registry started with htpasswd auth.
type user struct{ name, password string }

// startRegistry runs docker-registry on a free loopback port until the test
// ends and returns its host:port. With a user, it asks for that login.
func startRegistry(tb testing.TB, login *user) string {
	tb.Helper()
	bin := requireTool(tb, "docker-registry")
	dir := tb.TempDir()
	addr := freeAddr(tb)

	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)
	if login != nil {
		hash, err := bcrypt.GenerateFromPassword([]byte(login.password), bcrypt.MinCost)
		if err != nil {
			tb.Fatal(err)
		}
		pw := filepath.Join(dir, "htpasswd")
		writeFile(tb, pw, login.name+":"+string(hash)+"\n")
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: kubexm-test\n    path: %s\n", pw)
	}
	cfgPath := filepath.Join(dir, "config.yml")
	writeFile(tb, cfgPath, cfg)

	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting docker-registry: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
	})
	waitReady(tb, addr, filepath.Join(dir, "registry.log"))
	return addr
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitReady polls /v2/ until the registry answers (200, or 401 with auth).
func waitReady(tb testing.TB, addr, logPath string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, _ := os.ReadFile(logPath)
	tb.Fatalf("docker-registry on %s did not start:\n%s", addr, out)
}

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// proxy stands between Save and the registry on loopback: it counts blob
// downloads and can cut a download halfway.
type proxy struct {
	host     string
	upstream *url.URL
	blobGets atomic.Int64

	mu  sync.Mutex
	cut func(digest string, attempt int) fault
	got map[string]int
}

func startProxy(tb testing.TB, registry string) *proxy {
	tb.Helper()
	u, _ := url.Parse("http://" + registry)
	p := &proxy{upstream: u, got: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dgst, isBlob := blobDigest(r)
		if !isBlob {
			rp.ServeHTTP(w, r)
			return
		}
		p.blobGets.Add(1)
		switch p.fault(dgst) {
		case cutHalf:
			p.serveHalf(w, r)
		case unavailable:
			http.Error(w, "try later", http.StatusServiceUnavailable)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	tb.Cleanup(srv.Close)
	p.host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

func blobDigest(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet {
		return "", false
	}
	_, d, ok := strings.Cut(r.URL.Path, "/blobs/")
	return d, ok
}

// fault is what the proxy does to one blob download.
type fault int

const (
	pass        fault = iota
	cutHalf           // send half the body, then drop the connection
	unavailable       // answer 503
)

// setCut chooses what happens to each download; attempt counts from 1 per
// blob.
func (p *proxy) setCut(cut func(digest string, attempt int) fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.got = cut, map[string]int{}
}

// attempts is how many times the blob was asked for since setCut.
func (p *proxy) attempts(dgst string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got[dgst]
}

func (p *proxy) fault(dgst string) fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got[dgst]++
	if p.cut == nil {
		return pass
	}
	return p.cut(dgst, p.got[dgst])
}

// serveHalf sends the headers and half the body of a blob, then drops the
// connection.
func (p *proxy) serveHalf(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.RequestURI, out.Host = "", p.upstream.Host
	out.URL.Scheme, out.URL.Host = p.upstream.Scheme, p.upstream.Host
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body[:len(body)/2])
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

// platformImage is a random image whose config names the platform.
func platformImage(tb testing.TB, layers int, plat string) v1.Image {
	tb.Helper()
	img, err := random.Image(2048, int64(layers))
	if err != nil {
		tb.Fatal(err)
	}
	return withPlatform(tb, img, plat)
}

func withPlatform(tb testing.TB, img v1.Image, plat string) v1.Image {
	tb.Helper()
	p, err := v1.ParsePlatform(plat)
	if err != nil {
		tb.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		tb.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// multiArch is an OCI index with one random image of two small layers per
// platform.
func multiArch(tb testing.TB, plats ...string) (v1.ImageIndex, map[string]v1.Image) {
	tb.Helper()
	return multiArchSized(tb, 0, plats...)
}

// multiArchSized is multiArch with three layers of size bytes each, when
// size is not 0.
func multiArchSized(tb testing.TB, size int64, plats ...string) (v1.ImageIndex,
	map[string]v1.Image) {
	tb.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	imgs := map[string]v1.Image{}
	for _, pl := range plats {
		img := platformImage(tb, 2, pl)
		if size > 0 {
			big, err := random.Image(size, 3)
			if err != nil {
				tb.Fatal(err)
			}
			img = withPlatform(tb, big, pl)
		}
		p, _ := v1.ParsePlatform(pl)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: p}})
		imgs[pl] = img
	}
	return idx, imgs
}

// push writes an image or an index to ref, logging in when auth is given.
func push(tb testing.TB, ref string, what any, auth ...authn.Authenticator) {
	tb.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		tb.Fatal(err)
	}
	opts := []remote.Option{}
	if len(auth) > 0 {
		opts = append(opts, remote.WithAuth(auth[0]))
	}
	switch w := what.(type) {
	case v1.Image:
		err = remote.Write(r, w, opts...)
	case v1.ImageIndex:
		err = remote.WriteIndex(r, w, opts...)
	}
	if err != nil {
		tb.Fatalf("pushing %s: %v", ref, err)
	}
}

// blobsOf are the digests an image's manifest, config and layers are stored
// under.
func blobsOf(tb testing.TB, img v1.Image) []string {
	tb.Helper()
	m, err := img.Manifest()
	if err != nil {
		tb.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		tb.Fatal(err)
	}
	out := []string{d.Hex, m.Config.Digest.Hex}
	for _, l := range m.Layers {
		out = append(out, l.Digest.Hex)
	}
	return out
}

func digestOf(tb testing.TB, x interface{ Digest() (v1.Hash, error) }) v1.Hash {
	tb.Helper()
	h, err := x.Digest()
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// blobFiles lists the files under blobs/sha256 of a layout.
func blobFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
