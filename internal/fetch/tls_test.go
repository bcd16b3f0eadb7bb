package fetch

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// tlsServer serves "hello" over HTTPS with a certificate of httptest's own CA, which no
// system trusts, writes that CA to a PEM file, and counts the connections made to it.
func tlsServer(t *testing.T) (srv *httptest.Server, caFile string, conns *atomic.Int64) {
	t.Helper()
	conns = &atomic.Int64{}
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter,
		_ *http.Request) {
		w.Write([]byte("hello"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, block, 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, caFile, conns
}

func TestPrivateCA(t *testing.T) {
	srv, caFile, conns := tlsServer(t)
	url := srv.URL + "/dists/bookworm/InRelease"

	// Without the CA: one attempt (another cannot succeed), and an error that names the
	// URL, says certificate, and says where the CA goes.
	c := fastClient()
	_, err := c.Bytes(context.Background(), url)
	if err == nil || !strings.Contains(err.Error(), url) ||
		!strings.Contains(err.Error(), "certificate") ||
		!strings.Contains(err.Error(), "artifacts.caBundle") {
		t.Fatalf("without the CA: err = %v, want one naming %s and the certificate", err, url)
	}
	if conns.Load() != 1 {
		t.Errorf("%d connections, want 1: a certificate that failed is not worth a retry",
			conns.Load())
	}

	// With it: the download works.
	hc, err := HTTPClient(caFile)
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP = hc
	dst := filepath.Join(t.TempDir(), "InRelease")
	if err := c.File(context.Background(), url, dst, ""); err != nil {
		t.Fatalf("with the CA bundle: %v", err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "hello" {
		t.Errorf("downloaded %q", got)
	}
}

func TestHTTPClientRefusesABadCABundle(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for name, tc := range map[string]struct{ file, want string }{
		"missing": {missing, missing},
		"not PEM": {notPEM, notPEM + " holds no PEM certificate"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := HTTPClient(tc.file); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if hc, err := HTTPClient(""); err != nil || hc != http.DefaultClient {
		t.Errorf("no CA bundle: %v, %v; want the default client", hc, err)
	}
}
