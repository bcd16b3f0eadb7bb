package images

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The annotations of an index.json entry.
const (
	// AnnotationRefName is the image's full upstream reference, e.g.
	// registry.k8s.io/pause:3.10.1.
	AnnotationRefName = "org.opencontainers.image.ref.name"
	// AnnotationContainerdName is the same reference, under the name
	// containerd's import reads.
	AnnotationContainerdName = "io.containerd.image.name"
	// AnnotationPlatforms lists the platforms kept, comma-separated.
	AnnotationPlatforms = "io.kubexm.image.platforms"
	// AnnotationCompleteIndex is the digest of an index that lists only the
	// kept children, stored beside the original when some were left out;
	// see the package documentation for when the push side needs it.
	AnnotationCompleteIndex = "io.kubexm.image.complete-index"
)

// layoutFile is the content of oci-layout.
const layoutFile = `{"imageLayoutVersion": "1.0.0"}`

// index is the layout's index.json, rewritten whole (to a temporary file,
// then renamed) each time an image is complete.
type index struct {
	path string

	mu       sync.Mutex
	manifest v1.IndexManifest
}

// openLayout creates the layout at dir if need be, reads its index.json and
// removes downloads that an earlier run left unfinished.
func openLayout(dir string) (*index, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return nil, fmt.Errorf("creating image layout %s: %w", dir, err)
	}
	stale, _ := filepath.Glob(filepath.Join(blobs, ".*"+partialSuffix))
	stale = append(stale, filepath.Join(dir, "index.json"+partialSuffix))
	for _, p := range stale {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("removing unfinished file %s: %w", p, err)
		}
	}
	lf := filepath.Join(dir, "oci-layout")
	if _, err := os.Stat(lf); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(lf, []byte(layoutFile), 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", lf, err)
		}
	}

	ix := &index{path: filepath.Join(dir, "index.json")}
	m, err := readIndex(ix.path)
	if err != nil {
		return nil, err
	}
	ix.manifest = *m
	return ix, nil
}

// readIndex reads an index.json; a missing one is an empty index.
func readIndex(path string) (*v1.IndexManifest, error) {
	empty := &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return empty, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	m, err := v1.ParseIndexManifest(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return m, nil
}

// put records d, replacing the entry of the same reference, and writes
// index.json. Entries are sorted by reference, so the file does not depend
// on which download finished first.
func (ix *index) put(d v1.Descriptor) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()

	ref := d.Annotations[AnnotationRefName]
	ms := slices.DeleteFunc(ix.manifest.Manifests, func(e v1.Descriptor) bool {
		return e.Annotations[AnnotationRefName] == ref
	})
	ms = append(ms, d)
	slices.SortStableFunc(ms, func(a, b v1.Descriptor) int {
		return strings.Compare(a.Annotations[AnnotationRefName], b.Annotations[AnnotationRefName])
	})
	ix.manifest.Manifests = ms

	data, err := json.MarshalIndent(ix.manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", ix.path, err)
	}
	tmp := ix.path + partialSuffix
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", ix.path, err)
	}
	if err := os.Rename(tmp, ix.path); err != nil {
		return fmt.Errorf("writing %s: %w", ix.path, err)
	}
	return nil
}
