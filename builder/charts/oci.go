package charts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/registry"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// pullOCI downloads the chart layer of ref's tag from its OCI registry to
// dst. The registry client checks every blob against the digest of the
// manifest that names it.
func pullOCI(ctx context.Context, ref Ref, dst string, opts Options) error {
	name := strings.TrimPrefix(ref.OCI, "oci://")
	host, _, _ := strings.Cut(name, "/")
	hc, err := opts.httpClient(ctx, "")
	if err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}

	copts := []registry.ClientOption{registry.ClientOptHTTPClient(hc),
		registry.ClientOptWriter(io.Discard)}
	if opts.Username != "" {
		copts = append(copts, registry.ClientOptBasicAuth(opts.Username, opts.Password))
	}
	if opts.PlainHTTP {
		copts = append(copts, registry.ClientOptPlainHTTP())
	}
	client, err := registry.NewClient(copts...)
	if err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}

	res, err := client.Pull(name + ":" + ref.Version)
	if err != nil {
		return fmt.Errorf("pulling %s: %w", ref, ociCause(err, host))
	}
	if opts.Progress != nil {
		n := int64(len(res.Chart.Data))
		opts.Progress(ref.OCI+":"+ref.Version, n, n)
	}

	if err := os.WriteFile(dst, res.Chart.Data, 0o644); err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}
	return nil
}

// ociCause says in words what a registry's refusal means.
func ociCause(err error, host string) error {
	var er *errcode.ErrorResponse
	switch {
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return fmt.Errorf("registry %s asks for credentials (401) and none were given: %w",
			host, err)
	case errors.As(err, &er) && (er.StatusCode == http.StatusUnauthorized ||
		er.StatusCode == http.StatusForbidden):
		return fmt.Errorf("registry %s refused the credentials: %w", host, err)
	case errors.Is(err, errdef.ErrNotFound) ||
		errors.As(err, &er) && er.StatusCode == http.StatusNotFound:
		return marked{fmt.Errorf("the registry has no such tag: %w", err), ErrNotFound}
	}
	return err
}
