// Package fetch downloads artifacts over HTTP the way an air-gap bundle
// needs them: checked against the checksum upstream publishes, resumed with
// a Range request after a cut connection, retried on 429 and 5xx answers,
// and never left half-written under the final name.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kubexm/kubexm/internal/digest"
	"github.com/kubexm/kubexm/internal/redact"
)

// Client downloads files. The zero Client is usable.
type Client struct {
	// HTTP is the client requests go through. The default is
	// http.DefaultClient.
	HTTP *http.Client
	// Retries is how many more attempts follow a failed one. The default
	// is 5; a negative value makes none.
	Retries int
	// Backoff is the wait before the first retry, doubled before each later
	// one up to 30 seconds; a Retry-After header overrides it. The default
	// is one second.
	Backoff time.Duration
	// Progress, if set, is called as bytes arrive, with the total when the
	// server says it (else 0).
	Progress func(url string, done, total int64)
}

// maxDocument bounds what Bytes reads: checksum files and indexes, not
// artifacts.
const maxDocument = 16 << 20

// StatusError is an answer that is not a success, with its URL (any
// password in it blanked).
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string {
	hint := ""
	switch e.Status {
	case http.StatusNotFound:
		hint = ": no such file upstream (is the version right?)"
	case http.StatusUnauthorized, http.StatusForbidden:
		hint = ": the server refused the credentials (or needs some)"
	}
	return fmt.Sprintf("fetching %s: %d %s%s", e.URL, e.Status, http.StatusText(e.Status), hint)
}

// temporary reports whether another attempt may succeed.
func (e *StatusError) temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// File downloads rawURL to dst. With wantSHA256 set, the content must have
// that digest or File fails and leaves nothing at dst. The download goes to
// dst.partial first, which a later call resumes.
func (c *Client) File(ctx context.Context, rawURL, dst, wantSHA256 string) error {
	shown := redacted(rawURL)
	partial := dst + ".partial"
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("fetching %s: %w", shown, err)
	}

	err := c.retry(ctx, func() error { return c.get(ctx, rawURL, partial) })
	if err != nil {
		return err
	}

	_, sum, err := digest.File(partial)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", shown, err)
	}
	if wantSHA256 != "" && sum != strings.ToLower(wantSHA256) {
		os.Remove(partial)
		return fmt.Errorf("fetching %s: checksum mismatch: the file has sha256 %s, the "+
			"published checksum is %s", shown, sum, wantSHA256)
	}
	if err := os.Rename(partial, dst); err != nil {
		return fmt.Errorf("fetching %s: %w", shown, err)
	}
	return nil
}

// Bytes fetches a small document (a checksum file, an index) into memory.
func (c *Client) Bytes(ctx context.Context, rawURL string) ([]byte, error) {
	var data []byte
	err := c.retry(ctx, func() error {
		resp, err := c.do(ctx, rawURL, 0)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, err = io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
		if err != nil {
			return &transportError{url: redacted(rawURL), err: err}
		}
		if len(data) > maxDocument {
			return fmt.Errorf("fetching %s: larger than %d MiB", redacted(rawURL), maxDocument>>20)
		}
		return nil
	})
	return data, err
}

// get appends what the server has past the partial file's end, or starts
// it again when the server does not resume.
func (c *Client) get(ctx context.Context, rawURL, partial string) error {
	var have int64
	if fi, err := os.Stat(partial); err == nil {
		have = fi.Size()
	}
	resp, err := c.do(ctx, rawURL, have)
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusRequestedRangeNotSatisfiable {
		os.Remove(partial) // longer than the file: start again
		resp, err = c.do(ctx, rawURL, 0)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	// Append only what starts where the partial file ends; a server that
	// ignores the Range, or answers another one, sends the file from 0.
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if resp.StatusCode != http.StatusPartialContent {
		flags, have = os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0
	} else if start, ok := rangeStart(resp.Header.Get("Content-Range")); !ok || start != have {
		os.Remove(partial)
		return &transportError{url: redacted(rawURL), err: fmt.Errorf("the server answered "+
			"range %q to a request from byte %d", resp.Header.Get("Content-Range"), have)}
	}
	f, err := os.OpenFile(partial, flags, 0o644)
	if err != nil {
		return permanent(fmt.Errorf("fetching %s: %w", redacted(rawURL), err))
	}
	total := have + resp.ContentLength
	if resp.ContentLength < 0 {
		total = 0
	}
	w := &progressWriter{w: f, done: have, total: total, url: rawURL, report: c.Progress}
	_, err = io.Copy(w, resp.Body)
	if cerr := f.Close(); err == nil && cerr != nil {
		return permanent(fmt.Errorf("fetching %s: writing %s: %w", redacted(rawURL), partial, cerr))
	}
	if err != nil {
		var we *writeError
		if errors.As(err, &we) {
			return permanent(fmt.Errorf("fetching %s: writing %s: %w", redacted(rawURL),
				partial, we.err))
		}
		return &transportError{url: redacted(rawURL), err: err}
	}
	return nil
}

// rangeStart reads the first byte position of a Content-Range header
// ("bytes 100-199/200").
func rangeStart(h string) (int64, bool) {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	n, err := strconv.ParseInt(first, 10, 64)
	return n, ok && err == nil
}

// do sends a GET, from byte offset on when it is positive.
func (c *Client) do(ctx context.Context, rawURL string, offset int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, permanent(fmt.Errorf("fetching %s: %w", redacted(rawURL), err))
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil && untrustedCertificate(err) {
		return nil, permanent(fmt.Errorf("fetching %s: the server's certificate is not "+
			"trusted (a mirror behind a private CA needs that CA in artifacts.caBundle): %w",
			redacted(rawURL), err))
	}
	if err != nil {
		return nil, &transportError{url: redacted(rawURL), err: err}
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		resp.Body.Close()
		return nil, &retryAfter{StatusError: &StatusError{URL: redacted(rawURL),
			Status: resp.StatusCode}, after: parseRetryAfter(resp.Header.Get("Retry-After"))}
	}
	return resp, nil
}

// redacted is rawURL without its credentials, for messages.
func redacted(rawURL string) string { return redact.URL(rawURL) }
