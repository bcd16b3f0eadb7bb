package installer

import "strings"

// Cmdline is what the installer reads from the kernel command line.
type Cmdline struct {
	// Label is the value of kubexm.label, or "" when it is not given.
	Label string
	// HasLabel reports whether kubexm.label is on the command line at all:
	// the sign that this kernel was booted from a kubexm ISO.
	HasLabel bool
}

// ParseCmdline reads a kernel command line as /proc/cmdline holds it. The
// kernel splits parameters at spaces outside double quotes; a quoted value
// loses its quotes.
func ParseCmdline(line string) Cmdline {
	var c Cmdline
	for _, param := range splitCmdline(line) {
		key, value, _ := strings.Cut(param, "=")
		if key == "kubexm.label" {
			c.Label, c.HasLabel = value, true
		}
	}
	return c
}

// splitCmdline splits at spaces outside double quotes and drops the quotes.
func splitCmdline(line string) []string {
	var params []string
	var cur strings.Builder
	quoted := false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ' ' || r == '\t' || r == '\n'):
			if cur.Len() > 0 {
				params = append(params, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		params = append(params, cur.String())
	}
	return params
}

// BootLabel is the label of the boot medium: kubexm.label if given, else
// the BootLabel constant.
func (c Cmdline) BootLabel() string {
	if c.Label != "" {
		return c.Label
	}
	return BootLabel
}
