package buildercmd

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kubexm/kubexm/builder/buildertest"
	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/testpki"
)

// TestMakeTarTrustsTheCABundleForDownloads puts the test apt archive and the release-file
// server behind HTTPS with private CAs: without those CAs in artifacts.caBundle, make-tar
// fails naming a server's URL and the certificate, and writes no bundle; with them, the OS
// packages and the binaries are collected through them.
func TestMakeTarTrustsTheCABundleForDownloads(t *testing.T) {
	up := buildertest.Start(t)
	archive := regexp.MustCompile(`(?m)^(\s+debian: )(\S+)$`)
	files := regexp.MustCompile(`(?m)^\s+kubernetes: (http://[^/]+)/kubernetes$`)
	caLine := regexp.MustCompile(`(?m)^(\s+caBundle: )(\S+)$`)
	m, f, c := archive.FindStringSubmatch(up.Sources), files.FindStringSubmatch(up.Sources),
		caLine.FindStringSubmatch(up.Sources)
	if m == nil || f == nil || c == nil {
		t.Fatalf("no apt archive, file server or CA bundle in the test sources:\n%s", up.Sources)
	}
	aptProxy, aptCA, aptCalls := httpsProxy(t, m[2])
	fileProxy, fileCA, fileCalls := httpsProxy(t, f[1])
	sources := archive.ReplaceAllString(up.Sources, "${1}"+aptProxy.URL)
	sources = strings.ReplaceAll(sources, f[1]+"/", fileProxy.URL+"/")

	// The registry's CA alone, then the registry's and the proxies'.
	registryCA, err := os.ReadFile(c[2])
	if err != nil {
		t.Fatal(err)
	}
	all := filepath.Join(t.TempDir(), "all.pem")
	pems := slices.Concat(registryCA, []byte("\n"), aptCA, []byte("\n"), fileCA)
	if err := os.WriteFile(all, pems, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBEXM_CACHE", t.TempDir())

	run := func(caBundle string) (int, string, string) {
		t.Helper()
		cfg := writeConfig(t, clusterYAML("    - name: node1\n      address: 10.0.0.1\n"+
			"      password: pw\n")+caLine.ReplaceAllString(sources, "${1}"+caBundle))
		out := filepath.Join(t.TempDir(), "kubexm.tar.gz")
		code, stdout, stderr := execute(t, NewBuilder(), "make-tar", "-f", cfg, "-o", out,
			"--workdir", filepath.Join(t.TempDir(), bundle.Dir))
		return code, out, stdout + stderr
	}

	code, out, output := run(c[2])
	named := strings.Contains(output, aptProxy.URL) || strings.Contains(output, fileProxy.URL)
	if code == 0 || !named || !strings.Contains(output, "certificate") {
		t.Fatalf("without the proxies' CAs: exit %d, want a failure naming %s or %s and the "+
			"certificate:\n%s", code, aptProxy.URL, fileProxy.URL, output)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written though the downloads failed", out)
	}

	code, out, output = run(all)
	if code != 0 {
		t.Fatalf("with the proxies' CAs: exit %d\n%s", code, output)
	}
	man, err := bundle.Verify(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"os/debian/12/amd64/debian-12-amd64.iso",
		"kubernetes/v1.37.2/amd64/kubeadm"} {
		if !slices.ContainsFunc(man.Files, func(f bundle.File) bool { return f.Path == p }) {
			t.Errorf("the bundle lacks %s", p)
		}
	}
	if aptCalls.Load() == 0 || fileCalls.Load() == 0 {
		t.Errorf("the proxies passed on %d archive and %d file requests; want both asked",
			aptCalls.Load(), fileCalls.Load())
	}
}

// httpsProxy serves target over HTTPS with a certificate from a CA made for the test (not
// httptest's, which the test registry shares), and returns that CA as PEM and a count of
// the requests it passes on.
func httpsProxy(t *testing.T, target string) (*httptest.Server, []byte, *atomic.Int64) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	calls := &atomic.Int64{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		calls.Add(1)
		rp.ServeHTTP(w, r)
	}))
	caPEM, cert := testpki.Server(t, net.IPv4(127, 0, 0, 1))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, caPEM, calls
}
