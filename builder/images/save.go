package images

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// Image is one image of a layout, as Save wrote it and List reads it.
type Image struct {
	// Ref is the full upstream reference, e.g. registry.k8s.io/pause:3.10.1.
	Ref string
	// Digest and MediaType are those of the index.json entry: the manifest,
	// or the original index of a multi-arch image.
	Digest    v1.Hash
	MediaType types.MediaType
	// Platforms are the platforms whose manifests the layout holds (for a
	// single manifest, the one its config names, if it names one).
	Platforms []string
	// CompleteIndex is the digest of the index of the kept children only,
	// when some children were left out; zero otherwise.
	CompleteIndex v1.Hash
}

// Result is what Save did.
type Result struct {
	// Images are the images written, in the order of the references.
	Images []Image
	// Fetched and Reused count blobs (configs and layers): downloaded, or
	// found in the layout with the right digest.
	Fetched, Reused int
	// FetchedBytes is the size of the blobs downloaded.
	FetchedBytes int64
}

// run is one call of Save.
type run struct {
	*settings
	puller   *remote.Puller
	keychain authn.Keychain
	store    *store
	index    *index
	progress *progress
}

// Save copies the images named by refs into the OCI image layout at dir,
// creating it if need be and adding to it otherwise: blobs already there
// with the right digest are not fetched again. It tries every image, records
// each one that is complete in index.json, and returns the failures of the
// others joined, each naming its image. Two Saves must not share a layout
// at the same time.
func Save(ctx context.Context, dir string, refs []string, opts Options) (*Result, error) {
	r, imgs, err := start(ctx, dir, refs, opts)
	if err != nil {
		return nil, err
	}

	plans := make([]*plan, len(imgs))
	errs := make([]error, len(imgs))
	var g errgroup.Group
	g.SetLimit(r.Parallel)
	for i, img := range imgs {
		g.Go(func() error {
			plans[i] = &plan{img: img}
			errs[i] = r.resolve(ctx, plans[i])
			return nil
		})
	}
	_ = g.Wait()

	r.progress.plan(plans, errs, r.store.done)
	var wg sync.WaitGroup
	for i, p := range plans {
		if errs[i] != nil {
			continue
		}
		wg.Go(func() { errs[i] = r.write(ctx, p) })
	}
	wg.Wait()

	return r.result(plans, errs)
}

// start checks the options and references and opens the layout.
func start(ctx context.Context, dir string, refs []string, opts Options) (*run, []image,
	error) {
	s, err := opts.settle()
	if err != nil {
		return nil, nil, err
	}
	imgs, err := parseAll(refs, s)
	if err != nil {
		return nil, nil, err
	}
	kc, err := s.keychain()
	if err != nil {
		return nil, nil, err
	}
	puller, err := remote.NewPuller(remote.WithTransport(s.transport),
		remote.WithAuthFromKeychain(kc), remote.WithJobs(s.Parallel),
		remote.WithUserAgent("kubexm"), remote.WithRetryBackoff(remote.Backoff{
			Duration: s.RetryDelay, Factor: 2, Jitter: 0.1, Steps: s.retries + 1}))
	if err != nil {
		return nil, nil, fmt.Errorf("registry client: %w", err)
	}

	ix, err := openLayout(dir)
	if err != nil {
		return nil, nil, err
	}
	r := &run{settings: s, puller: puller, keychain: kc, index: ix,
		progress: &progress{fn: s.Progress}}
	r.store = &store{ctx: ctx, dir: filepath.Join(dir, "blobs", "sha256"), puller: puller,
		slots: semaphore.NewWeighted(int64(s.Parallel)), retries: s.retries,
		delay: s.RetryDelay, report: r.progress.add, calls: map[v1.Hash]*call{},
		cache: s.BlobCache}
	return r, imgs, nil
}

// parseAll reads every reference, dropping repeats, and names every bad one.
func parseAll(refs []string, s *settings) ([]image, error) {
	var imgs []image
	var errs []error
	seen := map[string]bool{}
	for _, ref := range refs {
		img, err := parseImage(strings.TrimSpace(ref), s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !seen[img.ref] {
			seen[img.ref] = true
			imgs = append(imgs, img)
		}
	}
	return imgs, errors.Join(errs...)
}

// write fetches the blobs of a plan, then stores its manifests, then records
// it in index.json: an entry is there only when everything it names is.
//
// A failed blob does not stop the image's other downloads: another image may
// share them, and a later run reuses them.
func (r *run) write(ctx context.Context, p *plan) error {
	var g errgroup.Group
	for _, b := range p.blobs {
		g.Go(func() error { return r.store.ensure(ctx, p.img.pull.Context(), b) })
	}
	if err := g.Wait(); err != nil {
		return r.explain(err, p.img)
	}
	if p.config != nil && len(p.platforms) == 0 {
		plat, err := r.readPlatform(p.img, *p.config)
		if err != nil {
			return err
		}
		if plat != nil {
			p.platforms = []string{platformString(*plat)}
		}
	}

	complete, err := r.putManifests(p)
	if err != nil {
		return fmt.Errorf("image %s: %w", p.img.ref, err)
	}
	p.entry = entry(p, complete)
	return r.index.put(p.entry)
}

// putManifests stores the children, the complete index if there is one
// (and returns its digest), and last the manifest the reference names.
func (r *run) putManifests(p *plan) (v1.Hash, error) {
	for _, m := range p.children {
		if _, err := r.store.put(m.raw); err != nil {
			return v1.Hash{}, err
		}
	}
	var complete v1.Hash
	if p.complete != nil {
		h, err := r.store.put(p.complete)
		if err != nil {
			return v1.Hash{}, err
		}
		complete = h
	}
	_, err := r.store.put(p.top.raw)
	return complete, err
}

// entry is the index.json descriptor of a plan.
func entry(p *plan, complete v1.Hash) v1.Descriptor {
	d := p.top.desc
	d.Annotations = map[string]string{
		AnnotationRefName:        p.img.ref,
		AnnotationContainerdName: p.img.ref,
	}
	if len(p.platforms) > 0 {
		d.Annotations[AnnotationPlatforms] = strings.Join(p.platforms, ",")
	}
	if complete != (v1.Hash{}) {
		d.Annotations[AnnotationCompleteIndex] = complete.String()
	}
	return d
}

// explain words err for img, knowing whether credentials were sent.
func (r *run) explain(err error, img image) error {
	return explain(err, img, hasCredentials(r.keychain, img.pull.Context().Registry))
}

func (r *run) result(plans []*plan, errs []error) (*Result, error) {
	res := &Result{
		Fetched:      int(r.store.fetched.Load()),
		Reused:       int(r.store.reused.Load()),
		FetchedBytes: r.store.fetchedBytes.Load(),
	}
	for i, p := range plans {
		if errs[i] != nil {
			continue
		}
		res.Images = append(res.Images, describe(p.entry))
	}
	return res, errors.Join(errs...)
}

// describe is the Image of an index.json entry.
func describe(d v1.Descriptor) Image {
	img := Image{Ref: d.Annotations[AnnotationRefName], Digest: d.Digest, MediaType: d.MediaType}
	if pl := d.Annotations[AnnotationPlatforms]; pl != "" {
		img.Platforms = strings.Split(pl, ",")
	}
	if h, err := v1.NewHash(d.Annotations[AnnotationCompleteIndex]); err == nil {
		img.CompleteIndex = h
	}
	return img
}
