package charts

import (
	"context"
	"crypto/tls"
	"net/http"

	"github.com/kubexm/kubexm/internal/fetch"
)

// httpClient is the client for one repository or registry: it trusts the
// CA bundle of opts besides the system's, sends the basic-auth credentials
// of opts to host only (an index may point at archives on other hosts, which
// must not see them), and ends requests when ctx ends.
func (o Options) httpClient(ctx context.Context, host string) (*http.Client, error) {
	base := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		base = dt.Clone()
	}
	if o.CAFile != "" {
		pool, err := fetch.CAPool(o.CAFile)
		if err != nil {
			return nil, err
		}
		base.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}

	var rt http.RoundTripper = &ctxTransport{ctx: ctx, base: base}
	if o.Username != "" && host != "" {
		rt = &basicAuth{host: host, user: o.Username, pass: o.Password, base: rt}
	}
	return &http.Client{Transport: rt}, nil
}

// basicAuth adds credentials to the requests that go to one host.
type basicAuth struct {
	host, user, pass string
	base             http.RoundTripper
}

func (b *basicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != b.host || req.Header.Get("Authorization") != "" {
		return b.base.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.SetBasicAuth(b.user, b.pass)
	return b.base.RoundTrip(req)
}

// ctxTransport runs every request under ctx. The Helm registry client makes
// its requests under context.Background, so without it a cancelled make-tar
// would wait for an OCI pull to end; the values the OCI client keeps in a
// request's context (auth scopes) are read above this transport, so
// replacing the context here loses nothing.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (c *ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	return c.base.RoundTrip(req.WithContext(c.ctx))
}
