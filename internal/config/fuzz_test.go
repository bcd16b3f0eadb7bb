package config

import (
	"errors"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kubexm/kubexm/internal/failure"
)

// FuzzParse feeds the loader arbitrary bytes. Whatever the input, Parse must
// not panic; it either returns a config that survives being written out and
// read back, or a failure.Config error listing at least one problem.
func FuzzParse(f *testing.F) {
	f.Add(Example())
	f.Add([]byte(minimal))
	for _, c := range invalidCases() {
		f.Add([]byte(c.yaml(f)))
	}
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Add([]byte("spec: &s {hosts: [*s]}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			checkFuzzError(t, err)
			return
		}

		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("a loaded config does not marshal: %v", err)
		}
		again, err := Parse(out, "again.yaml")
		if err != nil {
			t.Fatalf("a loaded config, written out, does not load:\n%s\n%v", out, err)
		}
		if again.Hash() != c.Hash() {
			t.Fatalf("the hash changed when the config was written out and read back:\n%s", out)
		}
	})
}

// checkFuzzError checks the shape of a Parse error.
func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	if !failure.Is(err, failure.Config) {
		t.Fatalf("error is not marked failure.Config: %v", err)
	}

	var verrs ValidationErrors
	if !errors.As(err, &verrs) || len(verrs) == 0 {
		t.Fatalf("error does not wrap a non-empty ValidationErrors: %v", err)
	}
	for _, e := range verrs {
		if e.Message == "" || e.File != "fuzz.yaml" {
			t.Fatalf("field error without a message or file: %#v", e)
		}
	}
}
