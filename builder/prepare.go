package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kubexm/kubexm/internal/bundle"
	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/profiles"
)

// prepareModule empties the work tree of what an earlier run collected, so
// the bundle holds this config's artifacts and nothing else (no version or
// arch a changed config dropped, no download left unfinished). The caches
// outside the tree make collecting them again cheap: files and blobs come
// back as links, without a download.
func prepareModule(opts Options) *engine.Module {
	return engine.NewModule("prepare", &engine.Task{
		Name: "clear work tree", Hosts: engine.OnControl(),
		Steps: []engine.Step{engine.StepFunc("remove earlier artifacts",
			func(context.Context, *engine.Runtime) error {
				return clearTree(opts.Root, ownNames(opts.Profile))
			})},
	})
}

// ownNames are the top-level entries make-tar writes into a work tree.
func ownNames(prof *profiles.Profile) []string {
	names := bundle.Own()
	for _, c := range prof.Components {
		names = append(names, c.Name)
	}
	return append(names, Excluded...)
}

// clearTree removes the artifacts under root, keeping the run's logs and
// resume record. It refuses a tree with entries make-tar did not write: a
// --workdir pointed at the wrong folder must not lose its files.
func clearTree(root string, own []string) error {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(root, 0o755)
	}
	if err != nil {
		return fmt.Errorf("reading work tree: %w", err)
	}

	var foreign []string
	for _, e := range entries {
		if !slices.Contains(own, e.Name()) {
			foreign = append(foreign, e.Name())
		}
	}
	if len(foreign) > 0 {
		return fmt.Errorf("work tree %s holds entries make-tar did not write (%s): choose "+
			"another --workdir, or remove them", root, strings.Join(foreign, ", "))
	}

	for _, e := range entries {
		if slices.Contains(Excluded, e.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return fmt.Errorf("clearing work tree: %w", err)
		}
	}
	return nil
}
