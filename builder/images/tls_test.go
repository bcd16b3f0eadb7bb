package images

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kubexm/kubexm/internal/testpki"
)

// TestSaveMirrorWithPrivateCA serves ggcr's in-memory registry over TLS, with
// a certificate from a CA of the test's own, on 127.0.0.2 (the registry
// client talks plain HTTP to 127.0.0.1 whatever the options say).
func TestSaveMirrorWithPrivateCA(t *testing.T) {
	caPEM, cert := testpki.Server(t, net.ParseIP("127.0.0.2"))
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	srv := httptest.NewUnstartedServer(registry.New())
	srv.Listener.Close()
	srv.Listener = l
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, caFile, string(caPEM))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	img := platformImage(t, 2, "linux/amd64")
	ref, _ := name.ParseReference(host + "/registry.k8s.io/pause:3.10.1")
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	if err := remote.Write(ref, img, remote.WithTransport(tr)); err != nil {
		t.Fatal(err)
	}
	mirrors := map[string]string{"registry.k8s.io": host + "/registry.k8s.io"}

	cases := []struct {
		name      string
		caFile    string
		wantError string
	}{
		{name: "CA trusted", caFile: caFile},
		{name: "CA unknown", wantError: "certificate signed by unknown authority"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Save(context.Background(), dir, []string{"registry.k8s.io/pause:3.10.1"},
				quick(Options{Mirrors: mirrors, CAFile: c.caFile, Retries: -1}))
			if c.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantError) ||
					!strings.Contains(err.Error(), "registry.k8s.io/pause:3.10.1") {
					t.Fatalf("error = %v, want %q", err, c.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := mustList(t, dir); len(got) != 1 || got[0].Digest != digestOf(t, img) {
				t.Errorf("List = %+v", got)
			}
		})
	}
}

// TestSaveInsecure serves a registry over plain HTTP on 127.0.0.2, where
// the registry client expects HTTPS unless told otherwise.
func TestSaveInsecure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	srv := httptest.NewUnstartedServer(registry.New())
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, _ := name.ParseReference(host+"/app:v1", name.Insecure)
	if err := remote.Write(ref, platformImage(t, 1, "linux/amd64")); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name      string
		insecure  bool
		wantError string
	}{
		{name: "plain HTTP allowed", insecure: true},
		{name: "HTTPS expected", wantError: "pulling image " + host + "/app:v1 from " + host},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Save(context.Background(), t.TempDir(), []string{host + "/app:v1"},
				quick(Options{Insecure: c.insecure, Retries: -1}))
			if c.wantError == "" && err != nil {
				t.Fatal(err)
			}
			if c.wantError != "" && (err == nil || !strings.Contains(err.Error(), c.wantError)) {
				t.Fatalf("error = %v, want %q", err, c.wantError)
			}
		})
	}
}
