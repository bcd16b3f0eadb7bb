package host

import (
	"sort"
	"strings"
)

// blank is what a secret is replaced with in logs and errors.
const blank = "******"

// redactor blanks a set of secrets out of text.
type redactor struct {
	secrets []string // longest first, so a secret inside another goes too
}

func newRedactor(lists ...[]string) redactor {
	var all []string
	for _, list := range lists {
		for _, s := range list {
			if s != "" {
				all = append(all, s)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	return redactor{secrets: all}
}

// with returns a redactor that also blanks extra.
func (r redactor) with(extra []string) redactor {
	if len(extra) == 0 {
		return r
	}
	return newRedactor(r.secrets, extra)
}

func (r redactor) String(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, blank)
	}
	return s
}

func (r redactor) Bytes(b []byte) []byte {
	if len(r.secrets) == 0 || b == nil {
		return b
	}
	return []byte(r.String(string(b)))
}
