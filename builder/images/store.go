package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/semaphore"

	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/internal/digest"
)

// partialSuffix ends the name of a blob being downloaded. Such files are
// renamed to their digest when complete, and removed when Save starts.
const partialSuffix = ".partial"

// store is the blob pool of the layout: each blob is fetched once, by
// whichever image needs it first, and only when no verified copy is there.
type store struct {
	ctx     context.Context // the run's
	dir     string          // blobs/sha256 of the layout
	puller  *remote.Puller
	slots   *semaphore.Weighted
	retries int
	delay   time.Duration
	report  func(h v1.Hash, n int64)
	cache   string // Options.BlobCache

	mu    sync.Mutex
	calls map[v1.Hash]*call

	fetched, reused, fetchedBytes atomic.Int64
}

// call is one blob being made present; later askers wait for it.
type call struct {
	done chan struct{}
	err  error
}

func (s *store) path(h v1.Hash) string { return filepath.Join(s.dir, h.Hex) }

// ensure makes blob d present in the layout, fetching it from repo when it
// is missing or its content does not match its digest.
func (s *store) ensure(ctx context.Context, repo name.Repository, d v1.Descriptor) error {
	s.mu.Lock()
	if c, ok := s.calls[d.Digest]; ok {
		s.mu.Unlock()
		select {
		case <-c.done:
			return c.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c := &call{done: make(chan struct{})}
	s.calls[d.Digest] = c
	s.mu.Unlock()

	// The download outlives the asker's context: other images may be
	// waiting for it. Only the whole run's context stops it.
	c.err = s.make(s.ctx, repo, d)
	if c.err != nil {
		s.mu.Lock()
		delete(s.calls, d.Digest) // a later image may try again
		s.mu.Unlock()
	}
	close(c.done)
	return c.err
}

// done says whether blob h was made present earlier in this run.
func (s *store) done(h v1.Hash) bool {
	s.mu.Lock()
	c, ok := s.calls[h]
	s.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case <-c.done:
		return c.err == nil
	default:
		return false
	}
}

// make does ensure's work, holding one of the Parallel slots.
func (s *store) make(ctx context.Context, repo name.Repository, d v1.Descriptor) error {
	if err := s.slots.Acquire(ctx, 1); err != nil {
		return err
	}
	defer s.slots.Release(1)

	if ok, err := s.verified(d.Digest, d.Size); err != nil {
		return err
	} else if ok || s.fromCache(d) {
		s.reused.Add(1)
		s.report(d.Digest, d.Size)
		return nil
	}

	for attempt := 0; ; attempt++ {
		err := s.fetch(ctx, repo, d)
		if err == nil {
			s.toCache(d.Digest)
		}
		if err == nil || !retryable(err) {
			return err
		}
		if attempt >= s.retries {
			return fmt.Errorf("after %d tries: %w", attempt+1, err)
		}
		select {
		case <-time.After(s.delay << attempt):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// verified says whether the blob is in the layout with the right size and
// digest. A damaged copy is removed so that it is fetched again.
func (s *store) verified(h v1.Hash, size int64) (bool, error) {
	p := s.path(h)
	n, sum, err := digest.File(p)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading blob %s: %w", p, err)
	}
	if (size < 0 || n == size) && sum == h.Hex {
		return true, nil
	}
	if err := os.Remove(p); err != nil {
		return false, fmt.Errorf("removing damaged blob %s: %w", p, err)
	}
	return false, nil
}

// fromCache links blob d from the blob cache into the layout, if the cache
// holds it whole. A damaged cached copy is ignored (and fetched anew).
func (s *store) fromCache(d v1.Descriptor) bool {
	if s.cache == "" {
		return false
	}
	cached := filepath.Join(s.cache, d.Digest.Hex)
	if !digest.Matches(cached, d.Size, d.Digest.Hex) {
		return false
	}
	return atomicfile.Link(cached, s.path(d.Digest), 0o644) == nil
}

// toCache links a fetched blob into the blob cache, best effort: a cache
// that cannot be written costs a download next time, not this run.
func (s *store) toCache(h v1.Hash) {
	if s.cache == "" || os.MkdirAll(s.cache, 0o755) != nil {
		return
	}
	cached := filepath.Join(s.cache, h.Hex)
	if _, err := os.Stat(cached); err == nil {
		return
	}
	_ = os.Link(s.path(h), cached)
}

// fetch downloads one blob under a temporary name and renames it to its
// digest once the registry client has checked size and digest.
func (s *store) fetch(ctx context.Context, repo name.Repository, d v1.Descriptor) error {
	layer, err := s.puller.Layer(ctx, repo.Digest(d.Digest.String()))
	if err != nil {
		return err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()

	tmp, err := os.CreateTemp(s.dir, "."+d.Digest.Hex+".*"+partialSuffix)
	if err != nil {
		return fmt.Errorf("creating blob %s: %w", d.Digest, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	n, err := io.Copy(tmp, &counter{r: rc, add: func(k int64) { s.report(d.Digest, k) }})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && d.Size >= 0 && n != d.Size {
		err = fmt.Errorf("blob %s: got %d bytes, the manifest says %d", d.Digest, n, d.Size)
	}
	if err != nil {
		s.report(d.Digest, -n) // the retry starts from zero
		return fmt.Errorf("fetching blob %s: %w", d.Digest, err)
	}

	if err := os.Rename(tmp.Name(), s.path(d.Digest)); err != nil {
		return fmt.Errorf("storing blob %s: %w", d.Digest, err)
	}
	s.fetched.Add(1)
	s.fetchedBytes.Add(n)
	return nil
}

// put stores a blob the caller holds in memory (a manifest), unless a
// verified copy is there.
func (s *store) put(data []byte) (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(data))
	if err != nil {
		return v1.Hash{}, err
	}
	if ok, err := s.verified(h, int64(len(data))); err != nil || ok {
		return h, err
	}

	tmp, err := os.CreateTemp(s.dir, "."+h.Hex+".*"+partialSuffix)
	if err != nil {
		return h, fmt.Errorf("creating blob %s: %w", h, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path(h))
	}
	if err != nil {
		return h, fmt.Errorf("storing blob %s: %w", h, err)
	}
	return h, nil
}

// local reads a blob from the layout if a verified copy is there.
func (s *store) local(h v1.Hash) ([]byte, bool) {
	data, err := os.ReadFile(s.path(h))
	if err != nil {
		return nil, false
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:]) == h.Hex
}

// counter passes reads through, telling add how many bytes went by.
type counter struct {
	r   io.Reader
	add func(int64)
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.add(int64(n))
	}
	return n, err
}
