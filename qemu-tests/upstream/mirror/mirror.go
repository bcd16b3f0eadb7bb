// Package mirror reproduces, on loopback, the upstream sites that kubexm downloads from:
// the Kubernetes binaries and the tools around them, compiled here from their source in the
// Go module proxy and laid out under their upstream names with checksum files; the images
// built from those binaries, in a TLS registry; and the Helm charts, as an HTTP chart
// repository and as OCI artifacts. The test machines have no internet, and make-tar and
// create must still be tested against the real things.
package mirror

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kubexm/kubexm/qemu-tests/upstream/faultserver"
)

// Options say how to run a mirror. The zero value runs one on 127.0.0.1 without auth.
type Options struct {
	// Cache is the build cache; the default is CacheDir().
	Cache string
	// Host is the address the servers listen on. The default is 127.0.0.1.
	Host string
	// CertHosts are more names or addresses for the registry's certificate, e.g. the
	// address at which VMs reach the host.
	CertHosts []string
	// User and Password, when User is set, turn on basic auth in the registry.
	User, Password string
	// Fixtures is the folder of upstream fixtures that no registry carries (the CoreDNS
	// chart). The default is $KUBEXM_UPSTREAM_FIXTURES, else ../shared/fixtures/upstream
	// next to the repository.
	Fixtures string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Mirror is a running mirror.
type Mirror struct {
	// Files serves the release files; a test sets faults on it by URL path.
	Files *faultserver.Server
	// HTTPURL is the file server's base URL, e.g. http://127.0.0.1:40123.
	HTTPURL string
	// Registry is the registry's host:port. Images are under their upstream names below it:
	// Registry + "/registry.k8s.io/pause:3.10.1".
	Registry string
	// CAFile is the PEM file of the CA that signed the registry's certificate.
	CAFile string
	// User and Password are the registry's credentials; empty when auth is off.
	User, Password string
	// ChartRepo is the URL of the HTTP chart repository.
	ChartRepo string
	// Releases are the release files the file server holds.
	Releases []File
	// Images are the upstream references of the images in the registry.
	Images []string
	// Charts are the charts served, over HTTP and OCI.
	Charts []Chart
	// Warnings say what the mirror could not serve, and why.
	Warnings []string

	httpServer *http.Server
	registry   *registryProcess
	runDir     string
}

// Run builds what the cache lacks, and starts the file server and the registry, filling
// the registry with the images and charts. Close stops it.
func Run(ctx context.Context, o Options) (*Mirror, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	b := &builder{Cache: o.Cache, Log: o.Log}
	www := filepath.Join(o.Cache, "www")

	// 1. Programs, and the Debian userland of the images.
	bins, err := b.buildAll(ctx)
	if err != nil {
		return nil, err
	}
	debian, err := b.debianRoot(ctx)
	if err != nil {
		return nil, err
	}

	// 2. Release files and charts, on disk below the file server root.
	m := &Mirror{User: o.User, Password: o.Password}
	if err := m.publishReleases(www, bins); err != nil {
		return nil, err
	}
	if m.Warnings, err = b.packCharts(ctx, www, o.Fixtures); err != nil {
		return nil, err
	}

	// 3. Servers, then the registry's content.
	if err := m.start(ctx, o, www, bins["registry"]); err != nil {
		m.Close()
		return nil, err
	}
	if err := m.fill(ctx, bins, debian, www); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func (o *Options) defaults() error {
	if o.Cache == "" {
		dir, err := CacheDir()
		if err != nil {
			return err
		}
		o.Cache = dir
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}

	if o.Fixtures == "" {
		o.Fixtures = fixturesDir()
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return os.MkdirAll(o.Cache, 0o755)
}

func (m *Mirror) publishReleases(www string, bins map[string]string) error {
	for _, s := range releaseSpecs(bins, "amd64") {
		f, err := publish(www, s)
		if err != nil {
			return err
		}
		m.Releases = append(m.Releases, f)
	}
	return nil
}

// start runs the file server and the registry.
func (m *Mirror) start(ctx context.Context, o Options, www, registryBin string) error {
	l, err := net.Listen("tcp", net.JoinHostPort(o.Host, "0"))
	if err != nil {
		return fmt.Errorf("listening for the file server on %s: %w", o.Host, err)
	}
	m.Files = faultserver.New(www)
	m.HTTPURL = "http://" + l.Addr().String()
	m.ChartRepo = m.HTTPURL + "/" + chartsDir
	m.httpServer = &http.Server{Handler: m.Files.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = m.httpServer.Serve(l) }()

	if m.runDir, err = os.MkdirTemp("", "kubexm-mirror-"); err != nil {
		return fmt.Errorf("creating the mirror's run folder: %w", err)
	}
	ca, err := loadAuthority(filepath.Join(o.Cache, "pki"))
	if err != nil {
		return err
	}
	m.CAFile = ca.CertFile
	certFile, keyFile, err := ca.issue(m.runDir,
		append([]string{o.Host, "localhost"}, o.CertHosts...))
	if err != nil {
		return err
	}

	m.registry, err = startRegistry(ctx, registryOptions{
		bin: filepath.Join(registryBin, "registry"), data: filepath.Join(o.Cache, "registry-data"),
		runDir: m.runDir, host: o.Host, certFile: certFile, keyFile: keyFile,
		user: o.User, password: o.Password, tls: m.TLSConfig(),
		logName: filepath.Join(o.Cache, "logs", "registry.log")})
	if err != nil {
		return err
	}
	m.Registry = m.registry.addr
	return nil
}

// fill pushes the images and the OCI charts that the registry lacks.
func (m *Mirror) fill(ctx context.Context, bins map[string]string, debian, www string) error {
	opts := m.RemoteOptions(ctx)
	for _, s := range imageSpecs(bins, debian) {
		if err := s.push(ctx, m.Registry, opts); err != nil {
			return err
		}
		m.Images = append(m.Images, s.names...)
	}

	charts, err := chartList(www, m.Registry)
	if err != nil {
		return err
	}
	m.Charts = charts
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: m.TLSConfig()}}
	return pushCharts(www, charts, client, m.User, m.Password, opts)
}

// TLSConfig trusts the mirror's CA alone.
func (m *Mirror) TLSConfig() *tls.Config {
	ca, err := os.ReadFile(m.CAFile)
	if err != nil {
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	pool := newPool(ca)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// RemoteOptions are the go-containerregistry options that reach the mirror's registry:
// its CA, and its credentials when auth is on.
func (m *Mirror) RemoteOptions(ctx context.Context) []remote.Option {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = m.TLSConfig()
	opts := []remote.Option{remote.WithTransport(tr), remote.WithContext(ctx)}
	if m.User != "" {
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: m.User, Password: m.Password}))
	}
	return opts
}

// Close stops the servers.
func (m *Mirror) Close() error {
	var errs []error
	if m.httpServer != nil {
		errs = append(errs, m.httpServer.Close())
	}
	if m.registry != nil {
		m.registry.stop()
	}
	if m.runDir != "" {
		errs = append(errs, os.RemoveAll(m.runDir))
	}
	return errors.Join(errs...)
}
