// Package redact blanks secrets (passwords, keys, registry credentials) out
// of text before it reaches a log, a plan or an error message.
package redact

import (
	"net/url"
	"slices"
	"strings"
)

// Blank is what a secret is replaced with.
const Blank = "******"

// Redactor blanks a fixed set of secrets. The zero Redactor blanks nothing.
type Redactor struct {
	secrets []string // longest first, so a secret that contains another goes whole
}

// New returns a Redactor for the non-empty strings of the lists.
func New(lists ...[]string) Redactor {
	var all []string
	for _, list := range lists {
		for _, s := range list {
			if s != "" && !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
	}
	slices.SortFunc(all, func(a, b string) int { return len(b) - len(a) })
	return Redactor{secrets: all}
}

// With returns a Redactor that also blanks extra.
func (r Redactor) With(extra ...string) Redactor {
	return New(r.secrets, extra)
}

// String returns s with every secret replaced by Blank.
func (r Redactor) String(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, Blank)
	}
	return s
}

// Bytes returns b with every secret replaced by Blank.
func (r Redactor) Bytes(b []byte) []byte {
	if len(r.secrets) == 0 || b == nil {
		return b
	}
	return []byte(r.String(string(b)))
}

// URL returns raw without its user information, which may hold a password
// or a token, for messages and records. A URL that does not parse is
// replaced whole: its credentials cannot be found to blank.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}
