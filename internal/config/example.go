package config

import (
	_ "embed"
	"slices"
)

//go:embed example.yaml
var exampleYAML []byte

// Example returns a commented cluster config that loads and validates, for
// `kubexm config example` to print as a start.
func Example() []byte {
	return slices.Clone(exampleYAML)
}
