package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/profiles"
)

// Load reads the cluster config in the file at path, fills what it leaves
// out from the default profile and validates it. See Parse.
func Load(path string) (*Cluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, failure.Wrap(failure.Config, fmt.Errorf("reading cluster config: %w", err))
	}
	return Parse(data, path)
}

// Parse reads a cluster config from data, fills what it leaves out from the
// default profile and validates it; name is the file name errors give.
//
// The YAML must hold one document. Every problem found is reported at once:
// the error is marked failure.Config and wraps ValidationErrors, one
// FieldError per problem. Fields the config does not know are errors, so a
// misspelt key is caught instead of silently ignored.
func Parse(data []byte, name string) (*Cluster, error) {
	prof, err := profiles.Default()
	if err != nil {
		return nil, err
	}
	return parse(data, name, prof)
}

// parse is Parse with the profile to take defaults from.
func parse(data []byte, name string, prof *profiles.Profile) (*Cluster, error) {
	root, ferr := readDocument(data, name)
	if ferr != nil {
		return nil, failure.Wrap(failure.Config, ValidationErrors{*ferr})
	}

	p := &problems{file: name, lines: map[string]int{}}
	r := strictReader{p: p, budget: maxNodes}
	r.read(root, reflect.TypeFor[Cluster](), "")
	if len(p.errs) > 0 {
		return nil, failure.Wrap(failure.Config, p.errs)
	}

	var c Cluster
	if err := root.Decode(&c); err != nil {
		p.errs = append(p.errs, FieldError{File: name, Message: "decoding: " + err.Error()})
		return nil, failure.Wrap(failure.Config, p.errs)
	}

	c.applyDefaults(prof)
	c.lineDefaults(p.lines)
	c.validate(p, prof)
	if len(p.errs) > 0 {
		return nil, failure.Wrap(failure.Config, p.errs)
	}
	return &c, nil
}

// lineDefaults points a field that was left out and took its default from
// another field at the line of that field, so an error about the value
// shows where it was written.
func (c *Cluster) lineDefaults(lines map[string]int) {
	alias := func(to, from string) {
		if _, ok := lines[to]; !ok {
			if line, ok := lines[from]; ok {
				lines[to] = line
			}
		}
	}

	for i := range c.Spec.Hosts {
		at := fmt.Sprintf("spec.hosts[%d]", i)
		alias(at+".internalAddress", at+".address")
	}
	alias("spec.kubernetes.clusterName", "metadata.name")
}

// readDocument parses data into the node of its one document's content. It
// refuses empty input, more than one document and a top level that is not a
// mapping.
func readDocument(data []byte, name string) (*yaml.Node, *FieldError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FieldError{File: name, Message: "the file is empty: " +
				"it must hold one Cluster (see kubexm config example)"}
		}
		return nil, syntaxError(name, err)
	}

	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &FieldError{File: name, Line: next.Line, Message: "a second YAML document " +
			"starts here: a config file holds one Cluster"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(name, err)
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == yaml.DocumentNode || (root.Kind == yaml.ScalarNode && root.Tag == "!!null") {
		return nil, &FieldError{File: name, Message: "the file is empty: " +
			"it must hold one Cluster (see kubexm config example)"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &FieldError{File: name, Line: root.Line, Message: fmt.Sprintf(
			"expected a mapping with apiVersion, kind, metadata and spec, found %s",
			kindName(root.Kind))}
	}
	return root, nil
}

// yamlLine finds the line number in the YAML library's syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a YAML syntax error into a FieldError with its line.
func syntaxError(name string, err error) *FieldError {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		// yaml.v3 counts lines from 0 in its parser's errors (all of them
		// "did not find expected ...") and from 1 in its scanner's.
		if strings.HasPrefix(m[2], "did not find expected") {
			line++
		}
		return &FieldError{File: name, Line: line, Message: "invalid YAML: " + m[2]}
	}
	return &FieldError{File: name, Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}
