package vm

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MirrorEnv names the environment variable that overrides the Debian mirror
// read from the apt sources.
const MirrorEnv = "KUBEXM_DEBIAN_MIRROR"

// aptSource is one repository named in an apt sources file.
type aptSource struct {
	uri    string
	suites []string
}

// DebianMirror returns the URL of the Debian mirror that serves suite,
// taken from the test machine's apt sources: the mirror is whatever the
// site has, so it is read at run time and never written into the project.
// MirrorEnv, if set, wins.
func DebianMirror(suite string) (string, error) {
	if m := os.Getenv(MirrorEnv); m != "" {
		return m, nil
	}

	files := []string{"/etc/apt/sources.list"}
	for _, pattern := range []string{"*.list", "*.sources"} {
		more, _ := filepath.Glob(filepath.Join("/etc/apt/sources.list.d", pattern))
		files = append(files, more...)
	}

	var sources []aptSource
	for _, f := range files {
		s, err := readAptSources(f)
		if err != nil && !os.IsNotExist(err) {
			return "", fmt.Errorf("reading apt sources %s: %w", f, err)
		}
		sources = append(sources, s...)
	}
	return pickMirror(sources, suite)
}

// pickMirror returns the first source that carries suite itself (not its
// -updates or -security companions).
func pickMirror(sources []aptSource, suite string) (string, error) {
	for _, s := range sources {
		for _, have := range s.suites {
			if have == suite {
				return strings.TrimSuffix(s.uri, "/"), nil
			}
		}
	}
	return "", fmt.Errorf("no apt source carries suite %q: set %s", suite, MirrorEnv)
}

// readAptSources reads one-line (.list) or deb822 (.sources) apt sources.
func readAptSources(path string) ([]aptSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	if strings.HasSuffix(path, ".sources") {
		return parseDeb822(bufio.NewScanner(f)), nil
	}
	return parseOneLine(bufio.NewScanner(f)), nil
}

// parseOneLine parses lines like "deb [opts] URI SUITE COMPONENT...".
func parseOneLine(sc *bufio.Scanner) []aptSource {
	var out []aptSource
	for sc.Scan() {
		fields := strings.Fields(strings.SplitN(sc.Text(), "#", 2)[0])
		if len(fields) < 3 || fields[0] != "deb" {
			continue
		}

		rest := fields[1:]
		if strings.HasPrefix(rest[0], "[") {
			for len(rest) > 0 && !strings.HasSuffix(rest[0], "]") {
				rest = rest[1:]
			}
			if len(rest) > 0 {
				rest = rest[1:]
			}
		}
		if len(rest) >= 2 {
			out = append(out, aptSource{uri: rest[0], suites: rest[1:2]})
		}
	}
	return out
}

// parseDeb822 parses stanzas with Types, URIs and Suites fields.
func parseDeb822(sc *bufio.Scanner) []aptSource {
	var out []aptSource
	var types, uris, suites []string
	flush := func() {
		if contains(types, "deb") {
			for _, u := range uris {
				out = append(out, aptSource{uri: u, suites: suites})
			}
		}
		types, uris, suites = nil, nil, nil
	}

	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			flush()
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		switch strings.ToLower(key) {
		case "types":
			types = strings.Fields(value)
		case "uris":
			uris = strings.Fields(value)
		case "suites":
			suites = strings.Fields(value)
		}
	}
	flush()
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
