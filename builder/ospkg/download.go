package ospkg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Download fetches a package's .deb into the cache, checked against the
// SHA256 its index gives, and returns its path there. A file already in
// the cache with that digest is not fetched again.
func (c *Client) Download(ctx context.Context, p *Package) (string, error) {
	if len(p.SHA256) != 64 || p.Filename == "" {
		return "", fmt.Errorf("package %s: its index gives no Filename or SHA256", p)
	}
	if c.Cache == "" {
		return "", fmt.Errorf("package %s: no cache folder to keep it in", p)
	}
	dst := filepath.Join(c.Cache, "debs", p.SHA256+".deb")
	defer lockPath(dst)()
	if have, err := sha256File(dst); err == nil && have == p.SHA256 {
		return dst, nil
	}

	segments := strings.Split(p.Filename, "/")
	for i, seg := range segments {
		segments[i] = url.PathEscape(seg)
	}
	url := p.Repository + "/" + strings.Join(segments, "/")
	if err := c.fetcher().File(ctx, url, dst, p.SHA256); err != nil {
		return "", fmt.Errorf("package %s: %w", p, err)
	}
	return dst, nil
}

// sha256File returns the hex SHA256 of a file's content.
func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// pathLocks serialise the downloads of one cache file, so that two
// collections sharing a cache (two architectures, which share the
// Architecture: all packages) never write one partial file together.
var pathLocks sync.Map

// lockPath locks path and returns the unlock.
func lockPath(path string) func() {
	m, _ := pathLocks.LoadOrStore(path, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}
