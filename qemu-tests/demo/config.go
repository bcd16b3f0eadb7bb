package main

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// mirrorConfig turns the example config into one whose bundle the mirror can serve in
// full: the mirror builds the flannel stack for amd64 and Debian 12, not Calico, NodeLocal
// DNS, arm64 programs or the example's extra charts and images. sourcesYAML is the mirror's
// artifacts block (mirror.SourcesYAML); its sources and CA replace the example's. The
// example's comments stay, so the result still reads as the example.
func mirrorConfig(example []byte, sourcesYAML string) ([]byte, error) {
	var doc, mirrored yaml.Node
	if err := yaml.Unmarshal(example, &doc); err != nil {
		return nil, fmt.Errorf("reading the example config: %w", err)
	}
	if err := yaml.Unmarshal([]byte(sourcesYAML), &mirrored); err != nil {
		return nil, fmt.Errorf("reading the mirror's artifacts block: %w", err)
	}
	spec, err := path(&doc, "spec")
	if err != nil {
		return nil, err
	}
	mirrorArtifacts, err := path(&mirrored, "artifacts")
	if err != nil {
		return nil, fmt.Errorf("the mirror's artifacts block: %w", err)
	}

	// 1. What the mirror does not build.
	hosts, err := path(spec, "hosts")
	if err != nil {
		return nil, err
	}
	for _, h := range hosts.Content {
		deleteKey(h, "arch") // every host amd64
	}
	for _, edit := range []struct{ path, value string }{
		{"network.plugin", "flannel"},
		{"dns.nodeLocalDNS.enabled", "false"},
	} {
		if err := setScalar(spec, edit.path, edit.value); err != nil {
			return nil, err
		}
	}
	deleteKey(spec, "addons")

	// 2. What make-tar collects, and from where.
	artifacts, err := path(spec, "artifacts")
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"arches", "extraImages", "extraCharts"} {
		deleteKey(artifacts, k)
	}
	var osList yaml.Node
	if err := osList.Encode([]map[string]string{{"id": "debian", "version": "12"}}); err != nil {
		return nil, err
	}
	setKey(artifacts, "os", &osList)
	for _, k := range []string{"sources", "caBundle"} {
		v, err := path(mirrorArtifacts, k)
		if err != nil {
			return nil, fmt.Errorf("the mirror's artifacts block: %w", err)
		}
		setKey(artifacts, k, v)
	}

	var out bytes.Buffer
	out.WriteString("# The example config (kubexm config example), cut down to what the local\n" +
		"# upstream mirror serves and pointed at it by the demo (qemu-tests/demo).\n")
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("writing the demo config: %w", err)
	}
	return out.Bytes(), enc.Close()
}

// path walks dotted keys down from n (a document or a mapping) to a value.
func path(n *yaml.Node, dotted string) (*yaml.Node, error) {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, key := range bytes.Split([]byte(dotted), []byte(".")) {
		v := value(n, string(key))
		if v == nil {
			return nil, fmt.Errorf("the config has no field %s", dotted)
		}
		n = v
	}
	return n, nil
}

// value is the value of key in mapping n, or nil.
func value(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// setScalar sets the scalar at a dotted path that exists, keeping its comments.
func setScalar(n *yaml.Node, dotted, v string) error {
	node, err := path(n, dotted)
	if err != nil {
		return err
	}
	if node.Kind != yaml.ScalarNode {
		return fmt.Errorf("the config field %s is not a single value", dotted)
	}
	node.Value, node.Tag, node.Style = v, "", 0
	return nil
}

// setKey sets key of mapping n to v, in place when the key exists (keeping its comments)
// and at the end when it does not.
func setKey(n *yaml.Node, key string, v *yaml.Node) {
	if v.Kind == yaml.DocumentNode {
		v = v.Content[0]
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v.LineComment = n.Content[i+1].LineComment
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}

// deleteKey removes key from mapping n, if it is there.
func deleteKey(n *yaml.Node, key string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			return
		}
	}
}
