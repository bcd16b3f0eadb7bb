package images

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kubexm/kubexm/internal/fetch"
)

// The defaults of Options.
const (
	// DefaultParallel is the number of blobs fetched at once. Four keeps a
	// link busy without opening more connections than a registry's rate
	// limits usually allow per client.
	DefaultParallel = 4
	// DefaultRetries is how many times a failed request or a download cut
	// short is tried again.
	DefaultRetries = 3
	// DefaultRetryDelay is the wait before the first retry; it doubles on
	// each further one (1s, 2s, 4s).
	DefaultRetryDelay = time.Second
)

// Options says where images come from and which parts of them to keep.
type Options struct {
	// Platforms are the hosts' platforms, as os/arch[/variant] (linux/amd64,
	// linux/arm64). A multi-arch image keeps only their manifests, and must
	// have one for each; an image with a single manifest is refused when its
	// config names another platform. Empty keeps every platform.
	Platforms []string

	// Mirrors maps an upstream registry host (registry.k8s.io, docker.io)
	// to the prefix images of that host are pulled from instead, e.g.
	// 127.0.0.1:5443/registry.k8s.io. A mirror replaces its upstream: there
	// is no fallback, so a bundle never depends on which of the two answered.
	Mirrors map[string]string

	// Credentials are per registry host, the host actually contacted (the
	// mirror's host for a mirrored image). They take precedence over
	// DockerConfig.
	Credentials map[string]Credential

	// DockerConfig is the path of a docker config.json whose auths (and
	// credential helpers) log in to registries.
	DockerConfig string

	// CAFile is a PEM bundle of certificate authorities trusted beside the
	// system's, for mirrors with a private CA. It cannot be combined with
	// Transport.
	CAFile string

	// Transport carries every request, when the caller needs its own (a
	// proxy, a private CA already loaded). Retries are added around it.
	Transport http.RoundTripper

	// Insecure talks plain HTTP to every registry. For tests and
	// loopback mirrors only.
	Insecure bool

	// Parallel is how many blobs are fetched at once; 0 means
	// DefaultParallel.
	Parallel int

	// Retries is how many times a failed fetch is tried again; 0 means
	// DefaultRetries, a negative value none.
	Retries int

	// RetryDelay is the wait before the first retry, doubled each time;
	// 0 means DefaultRetryDelay.
	RetryDelay time.Duration

	// BlobCache, if set, is a folder of blobs kept between runs outside the
	// layout, by digest: a blob found there (and verified) is linked into
	// the layout instead of fetched, and a fetched one is linked there, so
	// a new layout of the same images fetches no blob.
	BlobCache string

	// Progress, when set, is called as bytes arrive. Calls are serialized.
	Progress func(Progress)
}

// Credential is a username and password for one registry.
type Credential struct {
	Username string
	Password string
}

// String keeps the password out of logs and error messages.
func (c Credential) String() string { return c.Username + ":<redacted>" }

// GoString keeps the password out of %#v as well.
func (c Credential) GoString() string { return c.String() }

// Progress is what Save has copied so far. Totals are known before the first
// layer is fetched (only the configs of single-platform images, read to check
// their platform, come earlier); blobs already in the layout count as done.
type Progress struct {
	// Image is the upstream reference whose blob moved.
	Image string
	// ImageDone and ImageTotal are that image's bytes.
	ImageDone, ImageTotal int64
	// Done and Total are the bytes of every image in the call. A blob that
	// several images share counts once, for the first image that needs it.
	Done, Total int64
}

// settings are Options checked and with defaults filled in.
type settings struct {
	Options
	platforms []v1.Platform
	retries   int
	transport http.RoundTripper
}

func (o Options) settle() (*settings, error) {
	s := &settings{Options: o, retries: o.Retries}
	if s.Parallel <= 0 {
		s.Parallel = DefaultParallel
	}
	if s.retries == 0 {
		s.retries = DefaultRetries
	}
	s.retries = max(s.retries, 0)
	if s.RetryDelay <= 0 {
		s.RetryDelay = DefaultRetryDelay
	}

	for _, p := range o.Platforms {
		plat, err := v1.ParsePlatform(p)
		if err != nil || plat.OS == "" || plat.Architecture == "" {
			return nil, fmt.Errorf("platform %q: want os/arch[/variant], e.g. linux/amd64", p)
		}
		s.platforms = append(s.platforms, *plat)
	}

	t, err := o.roundTripper()
	if err != nil {
		return nil, err
	}
	s.transport = t
	return s, nil
}

// roundTripper is the caller's transport, or ggcr's default one trusting the
// CA bundle too.
func (o Options) roundTripper() (http.RoundTripper, error) {
	if o.Transport != nil && o.CAFile != "" {
		return nil, errors.New("options: CAFile and Transport are both set; " +
			"load the CA into the transport instead")
	}
	if o.Transport != nil {
		return o.Transport, nil
	}
	t := remote.DefaultTransport.(*http.Transport).Clone()
	if o.CAFile == "" {
		return t, nil
	}

	pool, err := fetch.CAPool(o.CAFile)
	if err != nil {
		return nil, err
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

// platformString is the os/arch[/variant] form of p.
func platformString(p v1.Platform) string {
	return strings.Join(nonEmpty(p.OS, p.Architecture, p.Variant), "/")
}

func nonEmpty(values ...string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
