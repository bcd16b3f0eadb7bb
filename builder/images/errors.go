package images

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// The kinds of failure a caller may want to tell apart with errors.Is.
var (
	// ErrNotFound is an image, or one of its blobs, that the registry does
	// not have.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized is a registry that refused the credentials, or asked
	// for some and got none.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrPlatform is an image that has no manifest for a host's platform.
	ErrPlatform = errors.New("platform missing")
)

// imageError is a failure worded for the operator, with the kind it belongs
// to and the registry's own answer.
type imageError struct {
	msg  string
	kind error
	err  error
}

func (e *imageError) Error() string   { return e.msg + ": " + e.err.Error() }
func (e *imageError) Unwrap() []error { return []error{e.kind, e.err} }

// explain words a registry's refusal for img. loggedIn says whether
// credentials were sent, so a 401 can say which of the two went wrong.
func explain(err error, img image, loggedIn bool) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("image %s: %w", img.ref, err)
	}
	host := img.pull.Context().RegistryStr()
	var te *transport.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("pulling image %s from %s: %w", img.ref, img.source, err)
	}

	switch {
	case te.StatusCode == http.StatusNotFound || hasCode(te, transport.ManifestUnknownErrorCode,
		transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode):
		return &imageError{fmt.Sprintf("image %s not found at %s", img.ref, img.source),
			ErrNotFound, err}
	case te.StatusCode == http.StatusUnauthorized && loggedIn:
		return &imageError{fmt.Sprintf("registry %s refused the credentials for %s", host,
			img.ref), ErrUnauthorized, err}
	case te.StatusCode == http.StatusUnauthorized:
		return &imageError{fmt.Sprintf("registry %s needs credentials for %s and none are "+
			"configured", host, img.ref), ErrUnauthorized, err}
	case te.StatusCode == http.StatusForbidden:
		return &imageError{fmt.Sprintf("registry %s denied access to %s", host, img.ref),
			ErrUnauthorized, err}
	}
	return fmt.Errorf("pulling image %s from %s: %w", img.ref, img.source, err)
}

func hasCode(te *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range te.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// retryable says whether trying a download again may help: not when the
// caller gave up, nor when the registry answered with an error status (the
// registry client has already retried those that may pass, such as 429 and
// 503); yes when the body was cut short or did not match its digest.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var te *transport.Error
	return !errors.As(err, &te)
}
