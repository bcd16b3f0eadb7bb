package images

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// plan is what one image needs in the layout: its manifests, in memory, and
// the blobs they name, fetched later.
type plan struct {
	img image
	// top is the manifest or index the reference resolves to, unchanged.
	top manifest
	// children are the kept manifests of an index.
	children []manifest
	// complete is the index listing only the kept children, when some were
	// left out.
	complete []byte
	// blobs are the configs and layers of every kept manifest, each once.
	blobs     []v1.Descriptor
	platforms []string
	// config is the config of a single image (not of an index's children).
	config *v1.Descriptor
	// entry is the index.json descriptor, once written.
	entry v1.Descriptor
}

type manifest struct {
	desc v1.Descriptor
	raw  []byte
}

// resolve fetches the manifests of p.img and decides what to keep.
func (r *run) resolve(ctx context.Context, p *plan) error {
	d, err := r.puller.Get(ctx, p.img.pull)
	if err != nil {
		return r.explain(err, p.img)
	}
	p.top = manifest{desc: d.Descriptor, raw: d.Manifest}
	p.top.desc.Platform, p.top.desc.Annotations = nil, nil

	switch {
	case d.MediaType.IsIndex():
		return r.resolveIndex(ctx, p)
	case d.MediaType.IsImage():
		plat, err := r.addImage(ctx, p, p.top)
		if err != nil {
			return err
		}
		if plat != nil {
			p.platforms = []string{platformString(*plat)}
		}
		return r.checkSingle(p, plat)
	case d.MediaType.IsSchema1():
		return fmt.Errorf("image %s is a schema 1 manifest, which no runtime kubexm installs "+
			"can pull; ask its owner for a current one", p.img.ref)
	}
	return fmt.Errorf("image %s: manifest type %q is not an image", p.img.ref, d.MediaType)
}

// resolveIndex keeps the children of the hosts' platforms.
func (r *run) resolveIndex(ctx context.Context, p *plan) error {
	im, err := v1.ParseIndexManifest(bytes.NewReader(p.top.raw))
	if err != nil {
		return fmt.Errorf("image %s: reading its index: %w", p.img.ref, err)
	}
	keep, err := r.selectChildren(p.img, im)
	if err != nil {
		return err
	}

	for _, c := range keep {
		if !c.MediaType.IsImage() {
			// TODO: follow an index nested in an index (no common image has one).
			return fmt.Errorf("image %s: child %s is a %s, not an image manifest",
				p.img.ref, c.Digest, c.MediaType)
		}
		raw, err := r.childManifest(ctx, p.img, c)
		if err != nil {
			return err
		}
		if _, err := r.addImage(ctx, p, manifest{desc: c, raw: raw}); err != nil {
			return err
		}
		p.platforms = append(p.platforms, platformOf(c))
	}

	if len(keep) < len(im.Manifests) {
		sub := *im
		sub.Manifests = keep
		if p.complete, err = json.Marshal(sub); err != nil {
			return fmt.Errorf("image %s: encoding its complete index: %w", p.img.ref, err)
		}
	}
	return nil
}

// selectChildren picks the children of an index that the hosts run. Every
// host platform must be there: a bundle that lacks one would fail on that
// host, at the site, with no way to fetch it.
func (r *run) selectChildren(img image, im *v1.IndexManifest) ([]v1.Descriptor, error) {
	if len(r.platforms) == 0 {
		return im.Manifests, nil
	}
	var keep []v1.Descriptor
	var missing []string
	for _, want := range r.platforms {
		found := false
		for _, c := range im.Manifests {
			if c.Platform == nil || !c.Platform.Satisfies(want) {
				continue
			}
			found = true
			if !slices.ContainsFunc(keep, func(k v1.Descriptor) bool { return k.Digest == c.Digest }) {
				keep = append(keep, c)
			}
		}
		if !found {
			missing = append(missing, platformString(want))
		}
	}
	if len(missing) > 0 {
		var has []string
		for _, c := range im.Manifests {
			has = append(has, platformOf(c))
		}
		return nil, &imageError{fmt.Sprintf("image %s has no manifest for %s (it has %s)",
			img.ref, strings.Join(missing, ", "), strings.Join(has, ", ")), ErrPlatform,
			fmt.Errorf("index %s", img.pull)}
	}
	return keep, nil
}

// childManifest reads a child manifest from the layout when a verified copy
// is there (it is named by its digest, so it cannot have changed), and from
// the registry otherwise.
func (r *run) childManifest(ctx context.Context, img image, c v1.Descriptor) ([]byte, error) {
	if raw, ok := r.store.local(c.Digest); ok {
		return raw, nil
	}
	d, err := r.puller.Get(ctx, img.pull.Context().Digest(c.Digest.String()))
	if err != nil {
		return nil, r.explain(err, img)
	}
	return d.Manifest, nil
}

// addImage adds an image manifest and its blobs to p and returns the
// platform its config names (which it fetches only when it must check it).
func (r *run) addImage(ctx context.Context, p *plan, m manifest) (*v1.Platform, error) {
	mf, err := v1.ParseManifest(bytes.NewReader(m.raw))
	if err != nil {
		return nil, fmt.Errorf("image %s: reading manifest %s: %w", p.img.ref, m.desc.Digest, err)
	}
	if m.desc.Digest != p.top.desc.Digest {
		p.children = append(p.children, m)
	}
	add := func(d v1.Descriptor) {
		if !slices.ContainsFunc(p.blobs, func(b v1.Descriptor) bool { return b.Digest == d.Digest }) {
			p.blobs = append(p.blobs, d)
		}
	}
	add(mf.Config)
	for _, l := range mf.Layers {
		if l.MediaType.IsDistributable() { // foreign layers stay where their URLs say
			add(l)
		}
	}

	if m.desc.Digest != p.top.desc.Digest {
		return nil, nil
	}
	p.config = &mf.Config
	if len(r.platforms) == 0 {
		return nil, nil // write reads it once it is fetched
	}
	if err := r.store.ensure(ctx, p.img.pull.Context(), mf.Config); err != nil {
		return nil, r.explain(err, p.img)
	}
	return r.readPlatform(p.img, mf.Config)
}

// readPlatform reads the platform an image's config names, from the layout.
func (r *run) readPlatform(img image, d v1.Descriptor) (*v1.Platform, error) {
	raw, ok := r.store.local(d.Digest)
	if !ok {
		return nil, fmt.Errorf("image %s: config %s vanished from the layout", img.ref, d.Digest)
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("image %s: reading config %s: %w", img.ref, d.Digest, err)
	}
	return cf.Platform(), nil
}

// checkSingle refuses an image of one platform that no host runs. A config
// that names no platform passes: nothing says it will not run.
func (r *run) checkSingle(p *plan, have *v1.Platform) error {
	if have == nil || len(r.platforms) == 0 {
		return nil
	}
	for _, want := range r.platforms {
		if have.Satisfies(want) {
			return nil
		}
	}
	return &imageError{fmt.Sprintf("image %s is built for %s only, not for the hosts' %s",
		p.img.ref, platformString(*have), strings.Join(r.Platforms, ", ")), ErrPlatform,
		fmt.Errorf("manifest %s", p.top.desc.Digest)}
}

func platformOf(d v1.Descriptor) string {
	if d.Platform == nil {
		return "unknown"
	}
	return platformString(*d.Platform)
}
