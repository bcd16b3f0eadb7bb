package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// transportError is a connection that failed or broke mid-answer: worth
// another attempt, which resumes where this one stopped.
type transportError struct {
	url string
	err error
}

func (e *transportError) Error() string { return fmt.Sprintf("fetching %s: %v", e.url, e.err) }
func (e *transportError) Unwrap() error { return e.err }

// retryAfter is a StatusError with the wait the server asked for.
type retryAfter struct {
	*StatusError
	after time.Duration
}

func (e *retryAfter) Unwrap() error { return e.StatusError }

// permanentError is a failure another attempt will not mend.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

func permanent(err error) error { return permanentError{err} }

// writeError is a failure to write what was downloaded (a full disk).
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// retry runs attempt until it succeeds, fails for good, or the retries run
// out; it waits between attempts as Client documents.
func (c *Client) retry(ctx context.Context, attempt func() error) error {
	retries, wait := c.Retries, c.Backoff
	if retries == 0 {
		retries = 5
	}
	if wait <= 0 {
		wait = time.Second
	}

	for n := 0; ; n++ {
		err := attempt()
		if err == nil || n >= retries || !temporary(err) || ctx.Err() != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
			return err
		}

		d := wait
		var ra *retryAfter
		if errors.As(err, &ra) && ra.after > 0 {
			d = ra.after
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait = min(wait*2, 30*time.Second)
	}
}

func temporary(err error) bool {
	var se *StatusError
	var te *transportError
	switch {
	case errors.As(err, &se):
		return se.temporary()
	case errors.As(err, &te):
		return true
	}
	return false
}

// parseRetryAfter reads a Retry-After header in seconds or as a date.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, 5*time.Minute)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), 5*time.Minute)
	}
	return 0
}

// progressWriter counts bytes for the progress callback and marks write
// failures, which are no reason to retry the download.
type progressWriter struct {
	w           io.Writer
	done, total int64
	url         string
	report      func(url string, done, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.report != nil {
		p.report(p.url, p.done, p.total)
	}
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}
