package images

import (
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// progress adds up bytes per image and overall, and hands each change to
// the caller's callback, one call at a time.
type progress struct {
	fn func(Progress)

	mu          sync.Mutex
	owner       map[v1.Hash]*tally
	done, total int64
}

// tally is one image's bytes.
type tally struct {
	ref         string
	done, total int64
}

// plan sets the totals before the first download. A blob belongs to the
// first image that needs it; one already made present (a config read to
// check its platform) counts as done.
func (p *progress) plan(plans []*plan, errs []error, present func(v1.Hash) bool) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()

	p.owner = map[v1.Hash]*tally{}
	var first *tally
	for i, pl := range plans {
		if errs[i] != nil {
			continue
		}
		t := &tally{ref: pl.img.ref}
		for _, b := range pl.blobs {
			if _, ok := p.owner[b.Digest]; ok {
				continue
			}
			p.owner[b.Digest] = t
			t.total += b.Size
			if present(b.Digest) {
				t.done += b.Size
			}
		}
		p.total, p.done = p.total+t.total, p.done+t.done
		first = cmpOr(first, t)
	}
	if first != nil {
		p.emit(first)
	}
}

// add counts n more bytes of blob h (fewer, when n is negative: a download
// that starts again).
func (p *progress) add(h v1.Hash, n int64) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()

	t, ok := p.owner[h]
	if !ok {
		return // before plan: counted there if present
	}
	t.done += n
	p.done += n
	p.emit(t)
}

func (p *progress) emit(t *tally) {
	p.fn(Progress{Image: t.ref, ImageDone: t.done, ImageTotal: t.total,
		Done: p.done, Total: p.total})
}

func cmpOr(a, b *tally) *tally {
	if a != nil {
		return a
	}
	return b
}
