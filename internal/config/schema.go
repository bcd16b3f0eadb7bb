package config

import (
	"encoding/json"
	"fmt"

	"github.com/invopop/jsonschema"
)

//go:generate go test -run TestSchema -update

// Schema returns a JSON Schema of the cluster config, for editors to check
// and complete config files. The descriptions are the doc comments of the Go
// types, which fieldDocs holds (go generate refreshes it).
func Schema() ([]byte, error) {
	return schemaWith(fieldDocs)
}

// schemaWith renders the schema with the given doc comments.
func schemaWith(docs map[string]string) ([]byte, error) {
	r := jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		ExpandedStruct:             true,
		CommentMap:                 docs,
	}
	s := r.Reflect(&Cluster{})
	s.Title = "kubexm cluster config"

	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("rendering the cluster config schema: %w", err)
	}
	return append(data, '\n'), nil
}
