package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the nodes the strict reader visits, aliases expanded. A
// real config has a few hundred; a document built to explode through nested
// aliases stops here instead of eating the machine.
const maxNodes = 100000

// strictReader walks a YAML node tree beside the Go type it will decode
// into. It reports unknown fields, repeated fields and values of the wrong
// kind with their line, and records the line of every field it sees, so
// later validation errors can point into the file.
type strictReader struct {
	p      *problems
	budget int
}

// read walks n as a value of type t found at path.
func (r *strictReader) read(n *yaml.Node, t reflect.Type, path string) {
	if r.budget--; r.budget == 0 {
		r.p.errs = append(r.p.errs, FieldError{File: r.p.file, Message: fmt.Sprintf(
			"the document has more than %d nodes once its aliases are expanded", maxNodes)})
	}
	if r.budget <= 0 {
		return
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if _, ok := r.p.lines[path]; !ok {
		r.p.lines[path] = n.Line
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}

	switch t.Kind() {
	case reflect.Struct:
		r.readStruct(n, t, path)
	case reflect.Slice:
		r.readSlice(n, t, path)
	case reflect.Map:
		r.readMap(n, t, path)
	case reflect.Interface:
		r.readAny(n, path)
	default:
		r.readScalar(n, t, path)
	}
}

// readStruct checks each key of the mapping n against the fields of t.
func (r *strictReader) readStruct(n *yaml.Node, t reflect.Type, path string) {
	if !r.expect(n, yaml.MappingNode, path) {
		return
	}

	fields := yamlFields(t)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Tag == "!!merge" {
			r.readMerge(val, t, path)
			continue
		}

		ft, ok := fields[key.Value]
		if !ok {
			r.errAt(key.Line, "", "unknown field %q in %s", key.Value, describe(path))
			continue
		}
		if line, dup := seen[key.Value]; dup {
			r.errAt(key.Line, "", "field %q in %s is already set on line %d",
				key.Value, describe(path), line)
			continue
		}
		seen[key.Value] = key.Line

		child := joinPath(path, key.Value)
		r.p.lines[child] = key.Line
		r.read(val, ft, child)
	}
}

// readMerge reads the value of a "<<" merge key: one mapping or a list of
// them, each merged into the struct at path.
func (r *strictReader) readMerge(n *yaml.Node, t reflect.Type, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.SequenceNode {
		r.read(n, t, path)
		return
	}
	for _, item := range n.Content {
		r.read(item, t, path)
	}
}

// readSlice reads each item of the sequence n.
func (r *strictReader) readSlice(n *yaml.Node, t reflect.Type, path string) {
	if !r.expect(n, yaml.SequenceNode, path) {
		return
	}
	for i, item := range n.Content {
		child := fmt.Sprintf("%s[%d]", path, i)
		r.p.lines[child] = item.Line
		r.read(item, t.Elem(), child)
	}
}

// readMap reads each value of the mapping n; keys are strings.
func (r *strictReader) readMap(n *yaml.Node, t reflect.Type, path string) {
	if !r.expect(n, yaml.MappingNode, path) {
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if !r.mapKey(key, seen, path) {
			continue
		}

		child := fmt.Sprintf("%s[%q]", path, key.Value)
		r.p.lines[child] = key.Line
		r.read(val, t.Elem(), child)
	}
}

// readAny reads free-form YAML (chart values): any value is fine, but a
// key set twice in one mapping is an error, as the YAML library would make
// it later without saying where.
func (r *strictReader) readAny(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if key.Tag != "!!merge" && !r.mapKey(key, seen, path) {
				continue
			}
			r.read(n.Content[i+1], anyType, fmt.Sprintf("%s[%q]", path, key.Value))
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			r.read(item, anyType, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// anyType is the type of free-form values.
var anyType = reflect.TypeFor[any]()

// mapKey checks a key of a mapping at path: a single value, and not seen
// before. It reports whether the value under it should be read.
func (r *strictReader) mapKey(key *yaml.Node, seen map[string]int, path string) bool {
	if key.Kind != yaml.ScalarNode {
		r.errAt(key.Line, path, "keys must be single values, not %s", kindName(key.Kind))
		return false
	}
	if line, dup := seen[key.Value]; dup {
		r.errAt(key.Line, path, "key %q is already set on line %d", key.Value, line)
		return false
	}
	seen[key.Value] = key.Line
	return true
}

// readScalar checks that the scalar n decodes into a t. Only values that
// are not strings are quoted in the message, so a secret never is.
func (r *strictReader) readScalar(n *yaml.Node, t reflect.Type, path string) {
	if !r.expect(n, yaml.ScalarNode, path) {
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err == nil {
		return
	}

	switch t.Kind() {
	case reflect.Bool:
		r.errAt(n.Line, path, "%q is not true or false", n.Value)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		r.errAt(n.Line, path, "%q is not a whole number", n.Value)
	default:
		r.errAt(n.Line, path, "the value is not a %s", t.Kind())
	}
}

// expect reports a value at path whose kind is not want.
func (r *strictReader) expect(n *yaml.Node, want yaml.Kind, path string) bool {
	if n.Kind == want {
		return true
	}
	r.errAt(n.Line, path, "expected %s, found %s", kindName(want), kindName(n.Kind))
	return false
}

// errAt records a problem at a known line.
func (r *strictReader) errAt(line int, path, format string, args ...any) {
	r.p.errs = append(r.p.errs, FieldError{
		File: r.p.file, Line: line, Path: path, Message: fmt.Sprintf(format, args...),
	})
}

// yamlFields maps the YAML keys of struct type t to their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields
}

// joinPath appends a field name to a path.
func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// describe names a path in a sentence.
func describe(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

// kindName names a YAML node kind in messages.
func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	case yaml.DocumentNode:
		return "a document"
	default:
		return "an alias"
	}
}
