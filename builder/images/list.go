package images

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// List reads the images of the layout at dir from its index.json, for the
// push side and for checks. The platforms of a multi-arch image are those of
// the children the layout holds; List does not verify blob digests (Save
// does, and a bundle's manifest covers every file).
func List(dir string) ([]Image, error) {
	im, err := readIndex(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, err
	}

	var out []Image
	for _, d := range im.Manifests {
		img := describe(d)
		if img.Ref == "" {
			return nil, fmt.Errorf("image layout %s: entry %s has no %s annotation", dir,
				d.Digest, AnnotationRefName)
		}
		if d.MediaType.IsIndex() {
			if img.Platforms, err = presentChildren(dir, d.Digest); err != nil {
				return nil, fmt.Errorf("image layout %s: image %s: %w", dir, img.Ref, err)
			}
		}
		out = append(out, img)
	}
	return out, nil
}

// presentChildren lists the platforms of the children of index h whose
// manifests are in the layout.
func presentChildren(dir string, h v1.Hash) ([]string, error) {
	blobs := filepath.Join(dir, "blobs", h.Algorithm)
	raw, err := os.ReadFile(filepath.Join(blobs, h.Hex))
	if err != nil {
		return nil, fmt.Errorf("reading index %s: %w", h, err)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading index %s: %w", h, err)
	}

	var plats []string
	for _, c := range im.Manifests {
		if _, err := os.Stat(filepath.Join(blobs, c.Digest.Hex)); err == nil {
			plats = append(plats, platformOf(c))
		}
	}
	return plats, nil
}
