package ospkg

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Field is one "Name: value" line of a control stanza, continuation lines
// included in Value (joined by newlines, their leading space kept).
type Field struct {
	Name  string
	Value string
}

// Stanza is one paragraph of a Debian control file (a Packages entry, a
// Release file), its fields in the order they were written, so that a
// stanza copied into the local repository reads as upstream wrote it.
type Stanza []Field

// Get returns the value of the named field (case-insensitive), or "".
func (s Stanza) Get(name string) string {
	for _, f := range s {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// With returns a copy of s with the named field set to value, replacing
// it in place or appending it.
func (s Stanza) With(name, value string) Stanza {
	out := make(Stanza, 0, len(s)+1)
	found := false
	for _, f := range s {
		if strings.EqualFold(f.Name, name) {
			f.Value, found = value, true
		}
		out = append(out, f)
	}
	if !found {
		out = append(out, Field{Name: name, Value: value})
	}
	return out
}

// WriteTo writes the stanza in control-file form, without the blank line
// that separates it from the next.
func (s Stanza) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	for _, f := range s {
		b.WriteString(f.Name)
		b.WriteString(":")
		if f.Value != "" && !strings.HasPrefix(f.Value, "\n") {
			b.WriteString(" ")
		}
		b.WriteString(f.Value)
		b.WriteString("\n")
	}
	return b.WriteTo(w)
}

// ParseControl reads the stanzas of a control file. Comment lines (#) are
// skipped; a line that is neither a field nor a continuation is an error,
// reported with its line number.
func ParseControl(r io.Reader) ([]Stanza, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var (
		out []Stanza
		cur Stanza
	)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.TrimSpace(line) == "":
			if len(cur) > 0 {
				out, cur = append(out, cur), nil
			}
		case line[0] == '#':
		case line[0] == ' ' || line[0] == '\t':
			if len(cur) == 0 {
				return nil, fmt.Errorf("line %d: continuation line before any field", n)
			}
			cur[len(cur)-1].Value += "\n" + line
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok || strings.ContainsAny(name, " \t") {
				return nil, fmt.Errorf("line %d: %q is not a field", n, line)
			}
			cur = append(cur, Field{Name: name, Value: strings.TrimSpace(value)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, nil
}
