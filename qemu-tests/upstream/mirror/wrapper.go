package mirror

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// wrapper writes the wrapper module of r, unless it is there from an earlier build, and
// returns its folder. The go command completes its go.mod and go.sum on the first build
// (-mod=mod), and later builds reuse them, so that a warm cache needs no module look-ups.
func (b *builder) wrapper(ctx context.Context, r recipe) (string, error) {
	dir := filepath.Join(b.Cache, "src", r.name, r.version)
	goMod := filepath.Join(dir, "go.mod")
	if _, err := os.Stat(goMod); err == nil {
		return dir, nil
	}

	replace := maps.Clone(r.replace)
	if replace == nil {
		replace = map[string]string{}
	}
	if r.staging != "" {
		staged, err := stagingModules(ctx, b.Cache, r.staging)
		if err != nil {
			return "", err
		}
		for _, m := range staged {
			replace[m] = m + " " + r.stagingVersion
		}
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating wrapper module folder %s: %w", dir, err)
	}
	for name, data := range r.files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", fmt.Errorf("writing %s of wrapper module %s: %w", name, r.name, err)
		}
	}
	if err := os.WriteFile(goMod+".tmp", wrapperGoMod(r, replace), 0o644); err != nil {
		return "", fmt.Errorf("writing wrapper module of %s: %w", r.name, err)
	}
	if err := os.Rename(goMod+".tmp", goMod); err != nil {
		return "", fmt.Errorf("writing wrapper module of %s: %w", r.name, err)
	}
	return dir, nil
}

// wrapperGoMod renders the go.mod of a wrapper module.
func wrapperGoMod(r recipe, replace map[string]string) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "module kubexm.invalid/upstream/%s\n\n", r.name)
	fmt.Fprintf(&buf, "go %s\n\n", strings.TrimPrefix(runtime.Version(), "go"))

	if len(r.require) > 0 {
		buf.WriteString("require (\n")
		for _, req := range r.require {
			fmt.Fprintf(&buf, "\t%s\n", req)
		}
		buf.WriteString(")\n")
	}

	if len(replace) > 0 {
		buf.WriteString("\nreplace (\n")
		for _, from := range slices.Sorted(maps.Keys(replace)) {
			fmt.Fprintf(&buf, "\t%s => %s\n", from, replace[from])
		}
		buf.WriteString(")\n")
	}
	return buf.Bytes()
}

// stagingModules lists the modules that the go.mod of mod ("module version") replaces by a
// folder under ./staging. Kubernetes develops its libraries there and publishes each as a
// module of its own; a build outside its repository must use the published ones.
func stagingModules(ctx context.Context, cache, mod string) ([]string, error) {
	cmd := exec.CommandContext(ctx, goTool(), "mod", "download", "-json",
		strings.Replace(mod, " ", "@", 1))
	cmd.Dir = cache
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("downloading module %s: %w", mod, err)
	}

	var info struct{ GoMod string }
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, fmt.Errorf("reading go mod download output for %s: %w", mod, err)
	}
	data, err := os.ReadFile(info.GoMod)
	if err != nil {
		return nil, fmt.Errorf("reading go.mod of %s: %w", mod, err)
	}
	return parseStaging(data), nil
}

// parseStaging returns the module paths that a go.mod replaces by ./staging/ folders.
func parseStaging(goMod []byte) []string {
	var mods []string
	sc := bufio.NewScanner(bytes.NewReader(goMod))
	for sc.Scan() {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "replace "))
		if len(f) == 3 && f[1] == "=>" && strings.HasPrefix(f[2], "./staging/") {
			mods = append(mods, f[0])
		}
	}
	return mods
}
