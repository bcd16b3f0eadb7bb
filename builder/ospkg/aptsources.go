package ospkg

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// AptSource is one "deb" entry of a machine's apt configuration.
type AptSource struct {
	Source
	// SignedBy is the keyring file the entry names, if any.
	SignedBy string
}

// ReadAptSources lists the "deb" entries of the apt configuration under
// root ("/" for this machine): /etc/apt/sources.list and the .list and
// deb822 .sources files of /etc/apt/sources.list.d, in apt's order.
// Entries marked "Enabled: no" are left out. It lets the builder (and its
// tests) use the Debian mirror the machine is already set up with.
func ReadAptSources(root string) ([]AptSource, error) {
	dir := filepath.Join(root, "etc/apt")
	files := []string{filepath.Join(dir, "sources.list")}
	parts, _ := filepath.Glob(filepath.Join(dir, "sources.list.d", "*"))
	sort.Strings(parts)
	files = append(files, parts...)

	var out []AptSource
	for _, f := range files {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("apt sources %s: %w", f, err)
		}
		switch {
		case strings.HasSuffix(f, ".sources"):
			srcs, err := deb822Sources(data)
			if err != nil {
				return nil, fmt.Errorf("apt sources %s: %w", f, err)
			}
			out = append(out, srcs...)
		case strings.HasSuffix(f, ".list"):
			out = append(out, oneLineSources(data)...)
		}
	}
	return out, nil
}

// oneLineSources reads "deb [options] URI SUITE [COMPONENT...]" lines.
func oneLineSources(data []byte) []AptSource {
	var out []AptSource
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		var src AptSource
		if strings.HasPrefix(f[1], "[") {
			opts, rest := cutOptions(f[1:])
			src.SignedBy = opts["signed-by"]
			f = append([]string{"deb"}, rest...)
		}
		if len(f) < 3 {
			continue
		}
		src.URL, src.Suite, src.Components = f[1], f[2], f[3:]
		out = append(out, src)
	}
	return out
}

// cutOptions reads the "[key=value ...]" options at the start of fields.
func cutOptions(fields []string) (map[string]string, []string) {
	opts := map[string]string{}
	for i, f := range fields {
		end := strings.HasSuffix(f, "]")
		f = strings.Trim(f, "[]")
		if k, v, ok := strings.Cut(f, "="); ok {
			opts[strings.ToLower(k)] = v
		}
		if end {
			return opts, fields[i+1:]
		}
	}
	return opts, nil
}

// deb822Sources reads the stanzas of a .sources file.
func deb822Sources(data []byte) ([]AptSource, error) {
	stanzas, err := ParseControl(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out []AptSource
	for _, s := range stanzas {
		if !strings.Contains(" "+s.Get("Types")+" ", " deb ") ||
			strings.EqualFold(s.Get("Enabled"), "no") {
			continue
		}
		for _, uri := range strings.Fields(s.Get("URIs")) {
			for _, suite := range strings.Fields(s.Get("Suites")) {
				out = append(out, AptSource{SignedBy: s.Get("Signed-By"), Source: Source{
					URL: uri, Suite: suite, Components: strings.Fields(s.Get("Components"))}})
			}
		}
	}
	return out, nil
}
