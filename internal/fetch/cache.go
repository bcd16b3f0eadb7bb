package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kubexm/kubexm/internal/atomicfile"
	"github.com/kubexm/kubexm/internal/digest"
)

// Cache keeps downloads outside the bundle so that a second make-tar with
// the same config downloads nothing: files by their SHA-256 (content
// addressed, so two URLs of one file share it), and small documents such as
// checksum files by their URL. Release files and their checksums do not
// change once published, which is what makes a URL a fair key.
type Cache struct {
	// Dir is the cache's directory, created on first use.
	Dir string
	// Client downloads what the cache does not hold.
	Client *Client
}

// DefaultCacheDir is $KUBEXM_CACHE, or kubexm/downloads in the user's cache
// directory.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("KUBEXM_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding a cache directory (set KUBEXM_CACHE): %w", err)
	}
	return filepath.Join(d, "kubexm", "downloads"), nil
}

// Document returns the document at rawURL, from the cache if it holds it.
// A fetched document is kept only once check accepts it (check may be nil),
// so that a page some proxy served in its place does not stay in the cache.
func (c *Cache) Document(ctx context.Context, rawURL string, check func([]byte) error) (
	[]byte, error) {

	key := sha256.Sum256([]byte(rawURL))
	p := filepath.Join(c.Dir, "documents", hex.EncodeToString(key[:]))
	if data, err := os.ReadFile(p); err == nil && (check == nil || check(data) == nil) {
		return data, nil
	}

	data, err := c.client().Bytes(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(data); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("caching %s: %w", redacted(rawURL), err)
	}
	if err := atomicfile.Write(p, data, 0o644); err != nil {
		return nil, fmt.Errorf("caching %s: %w", redacted(rawURL), err)
	}
	return data, nil
}

// File puts the file of digest sha256hex, downloaded from rawURL unless the
// cache holds it, at dst (a hard link into the cache where the file system
// allows, else a copy). A cached file is checked against its digest before
// use; a damaged one is fetched again.
func (c *Cache) File(ctx context.Context, rawURL, sha256hex, dst string) (fromCache bool, err error) {
	blob := filepath.Join(c.Dir, "sha256", sha256hex)
	if digest.Matches(blob, -1, sha256hex) {
		return true, place(blob, dst)
	}

	if err := c.client().File(ctx, rawURL, blob, sha256hex); err != nil {
		return false, err
	}
	return false, place(blob, dst)
}

func (c *Cache) client() *Client {
	if c.Client == nil {
		return &Client{}
	}
	return c.Client
}

// place links src to dst, or copies it where the file systems differ,
// replacing dst whole.
func place(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.Link(src, dst, 0o644)
}
