package profiles

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"strings"
	"text/template"
)

// Component is one program or add-on of a cluster: its version, the files
// upstream publishes for it, its container images and its Helm chart.
type Component struct {
	// Name is one of the component names of this package (Kubernetes, ...).
	Name string `yaml:"name"`

	// Version is the version as upstream tags it, e.g. v2.4.2 or 3.10.1.
	Version string `yaml:"version"`

	// Base is the default base URL of Files. A mirror replaces it.
	Base string `yaml:"base,omitempty"`

	// Files are URL templates of the binaries and archives to download,
	// one per file; see Vars for the fields they may use.
	Files []string `yaml:"files,omitempty"`

	// Checksum is the URL template of the checksum file upstream publishes
	// for each of Files: beside it (.File with a suffix) or one for the
	// whole release (.Dir and a name). Required when Files is set: a file
	// is never taken unverified by default.
	Checksum string `yaml:"checksum,omitempty"`

	// Images are templates of the container images the component runs.
	Images []string `yaml:"images,omitempty"`

	// Chart, if set, is the Helm chart that installs the component.
	Chart *Chart `yaml:"chart,omitempty"`
}

// Vars are the fields a template of a Component may use.
type Vars struct {
	Base    string // the base URL: Component.Base, or a mirror's
	Version string // the version as published, e.g. v2.4.2
	Number  string // the version without its leading "v", e.g. 2.4.2
	Arch    string // amd64 or arm64

	// File and Dir are a rendered file URL and the URL of its directory,
	// for the Checksum template only.
	File, Dir string
}

// File is one file of a component to download, with its checksum file.
type File struct {
	URL         string // where upstream publishes it
	Name        string // its upstream file name, the last element of URL
	ChecksumURL string // the checksum file that covers it
}

// Downloads returns the component's files for arch, each with the URL of
// its checksum file. An empty base means Component.Base.
func (c Component) Downloads(base, arch string) ([]File, error) {
	urls, err := c.FileURLs(base, arch)
	if err != nil {
		return nil, err
	}
	files := make([]File, 0, len(urls))
	for _, u := range urls {
		vars := c.vars("", arch)
		// path.Dir would fold the "//" of the scheme; cut at the last slash.
		vars.File, vars.Dir = u, u[:strings.LastIndex(u, "/")]
		sum, err := render(c.Checksum, vars)
		if err != nil {
			return nil, fmt.Errorf("%s checksum: %w", c.Name, err)
		}
		files = append(files, File{URL: u, Name: path.Base(u), ChecksumURL: sum})
	}
	return files, nil
}

// FileURLs returns the download URLs of the component's files for arch.
// An empty base means Component.Base; a mirror passes its own.
func (c Component) FileURLs(base, arch string) ([]string, error) {
	if base == "" {
		base = c.Base
	}
	vars := c.vars(strings.TrimSuffix(base, "/"), arch)

	return renderAll(c.Files, vars, c.Name+" files")
}

// ImageRefs returns the references of the component's container images.
func (c Component) ImageRefs() ([]string, error) {
	return renderAll(c.Images, c.vars("", ""), c.Name+" images")
}

// vars returns the template fields of the component for base and arch.
func (c Component) vars(base, arch string) Vars {
	return Vars{
		Base:    base,
		Version: c.Version,
		Number:  strings.TrimPrefix(c.Version, "v"),
		Arch:    arch,
	}
}

// renderAll renders each template with vars; what names them in errors.
func renderAll(templates []string, vars Vars, what string) ([]string, error) {
	out := make([]string, 0, len(templates))
	for i, text := range templates {
		s, err := render(text, vars)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", what, i, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// render executes one template. Templates fail on fields Vars does not have.
func render(text string, vars Vars) (string, error) {
	t, err := template.New("").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("parsing template %q: %w", text, err)
	}

	var buf bytes.Buffer
	if err := t.Execute(&buf, vars); err != nil {
		return "", fmt.Errorf("rendering template %q: %w", text, err)
	}
	return buf.String(), nil
}

// validate checks the component's fields and renders each template once, so
// a broken template fails when the profile loads and not mid-download. at
// names the component in errors.
func (c Component) validate(at string) []error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, fmt.Errorf("%s.name: must be set", at))
	}
	if c.Version == "" {
		errs = append(errs, fmt.Errorf("%s.version: must be set", at))
	}

	if len(c.Files) > 0 && c.Checksum == "" {
		errs = append(errs, fmt.Errorf("%s.checksum: must be set for a component with files", at))
	}
	if files, err := c.Downloads("", "amd64"); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", at, err))
	} else {
		for i, f := range files {
			errs = append(errs, checkURLs(fmt.Sprintf("%s.checksum(files[%d])", at, i),
				[]string{f.ChecksumURL})...)
		}
	}
	if len(c.Files) > 0 && !isHTTPURL(c.Base) {
		errs = append(errs, fmt.Errorf("%s.base: %q is not an http or https URL", at, c.Base))
	}
	if urls, err := c.FileURLs("", "amd64"); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", at, err))
	} else {
		errs = append(errs, checkURLs(at+".files", urls)...)
	}
	if _, err := c.ImageRefs(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", at, err))
	}

	if ch := c.Chart; ch != nil && (ch.Name == "" || ch.Version == "" || !isHTTPURL(ch.Repo)) {
		errs = append(errs, fmt.Errorf("%s.chart: name, version and an http(s) repo must be set", at))
	}
	return errs
}

// checkURLs reports rendered URLs that are not http(s) URLs.
func checkURLs(at string, urls []string) []error {
	var errs []error
	for i, u := range urls {
		if !isHTTPURL(u) {
			errs = append(errs, fmt.Errorf("%s[%d]: %q is not an http or https URL", at, i, u))
		}
	}
	return errs
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
