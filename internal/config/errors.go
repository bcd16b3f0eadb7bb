package config

import (
	"fmt"
	"strings"
)

// FieldError is one problem of a config: the field at fault and what is wrong
// with it. Messages never quote a secret's value.
type FieldError struct {
	// File is the config file's name, as given to Parse or Load.
	File string
	// Line is the line of the field in File, or of the nearest enclosing
	// field that is written there; 0 when neither is (a default).
	Line int
	// Path is the field, e.g. spec.hosts[2].address. It is empty when the
	// message names the place itself (an unknown field, a syntax error).
	Path string
	// Message says what is wrong, e.g. "must be set".
	Message string
}

// Error renders the problem as "file:line: path: message".
func (e FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// ValidationErrors are all the problems found in a config, in the order of
// the fields, so an operator can fix them in one pass.
type ValidationErrors []FieldError

// Error lists the problems one per line.
func (errs ValidationErrors) Error() string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// problems collects FieldErrors while a config is checked. lines maps field
// paths to the lines they are written at.
type problems struct {
	file  string
	lines map[string]int
	errs  ValidationErrors
}

// addf records a problem of the field at path.
func (p *problems) addf(path, format string, args ...any) {
	p.errs = append(p.errs, FieldError{
		File:    p.file,
		Line:    p.lineOf(path),
		Path:    path,
		Message: fmt.Sprintf(format, args...),
	})
}

// lineOf returns the line of path, or of its nearest ancestor with a line.
func (p *problems) lineOf(path string) int {
	for path != "" {
		if line, ok := p.lines[path]; ok {
			return line
		}
		path = parentPath(path)
	}
	return 0
}

// parentPath drops the last element of a path: spec.hosts[2].address ->
// spec.hosts[2] -> spec.hosts -> spec -> "".
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndex(path, "["); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[:i]
	}
	return ""
}
