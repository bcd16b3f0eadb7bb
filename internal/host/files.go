package host

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"sync"
	"time"
)

// rootKey marks a context whose file reads go through sudo.
type rootKey struct{}

// AsRoot returns a context under which Download and ReadFile read the file
// as root (through sudo for a login user that is not root), for files such
// as /etc/kubernetes/admin.conf that only root may read.
func AsRoot(ctx context.Context) context.Context {
	return context.WithValue(ctx, rootKey{}, true)
}

func asRoot(ctx context.Context) bool {
	v, _ := ctx.Value(rootKey{}).(bool)
	return v
}

// defaultMode is the permission of an uploaded file when none is given.
const defaultMode = 0o644

// tempName is a fresh name beside dst for writing it before the rename. It
// starts with a dot so that globs over the directory skip it.
func tempName(dst string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return path.Join(path.Dir(dst), "."+path.Base(dst)+".kubexm-"+hex.EncodeToString(b[:]))
}

// uploadShell writes r to dst with shell commands on the host: cat into a
// temporary file while hashing locally, compare with the host's sha256sum,
// then chmod and rename. Any failure removes the temporary file.
func (c *core) uploadShell(ctx context.Context, r io.Reader, dst string, o UploadOptions) error {
	tmp := tempName(dst)
	hr := newHashingReader(ctx, r, o)
	write := fmt.Sprintf("umask 077 && cat > %s && sha256sum %s", quote(tmp), quote(tmp))
	res, err := c.run(ctx, call{Command: Command{Cmd: write, Stdin: hr, Sudo: o.Sudo}})
	if err != nil {
		c.removeTemp(ctx, tmp, o.Sudo)
		return fmt.Errorf("uploading %s: %w", dst, err)
	}

	if err := c.checkUpload(dst, hr.sum(), string(res.Stdout), o.SHA256); err != nil {
		c.removeTemp(ctx, tmp, o.Sudo)
		return err
	}

	install := fmt.Sprintf("chmod %o %s && mv -f %s %s",
		fileMode(o), quote(tmp), quote(tmp), quote(dst))
	if _, err := c.run(ctx, call{Command: Command{Cmd: install, Sudo: o.Sudo}}); err != nil {
		c.removeTemp(ctx, tmp, o.Sudo)
		return fmt.Errorf("uploading %s: %w", dst, err)
	}
	return nil
}

// checkUpload compares what was sent with what the host wrote (the output
// of sha256sum) and with the checksum the caller expects.
func (c *core) checkUpload(dst, sent, sha256sum, want string) error {
	fields := strings.Fields(sha256sum)
	if len(fields) == 0 || fields[0] != sent {
		return fmt.Errorf("host %s: uploading %s: sent sha256 %s but the host wrote %q",
			c.name, dst, sent, strings.TrimSpace(sha256sum))
	}
	if err := checkSum(dst, sent, want); err != nil {
		return fmt.Errorf("host %s: uploading %s: %w", c.name, dst, err)
	}
	return nil
}

// checkSum compares the sha256 of what was written with the one wanted.
func checkSum(dst, got, want string) error {
	if want == "" || strings.EqualFold(got, want) {
		return nil
	}
	return fmt.Errorf("content has sha256 %s, want %s; %s left as it was",
		got, strings.ToLower(want), dst)
}

func fileMode(o UploadOptions) uint32 {
	if o.Mode == 0 {
		return defaultMode
	}
	return uint32(o.Mode.Perm())
}

// removeTemp removes a temporary file after a failed upload, even when ctx
// has ended (that may be why the upload failed).
func (c *core) removeTemp(ctx context.Context, tmp string, sudo bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, _ = c.run(ctx, call{Command: Command{Cmd: "rm -f " + quote(tmp), Sudo: sudo}})
}

// downloadShell copies src on the host to w with cat.
func (c *core) downloadShell(ctx context.Context, src string, w io.Writer) error {
	cmd := Command{Cmd: "cat -- " + quote(src), Stdout: w, Sudo: asRoot(ctx)}
	if _, err := c.run(ctx, call{Command: cmd, content: true}); err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	return nil
}

func (c *core) readFileShell(ctx context.Context, p string) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.downloadShell(ctx, p, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// hashingReader hashes and counts what passes through it, reports progress,
// and stops early when ctx ends. The SSH host reads it from a goroutine of
// its own, hence the lock.
type hashingReader struct {
	mu       sync.Mutex
	ctx      context.Context
	r        io.Reader
	h        hash.Hash
	n        int64
	total    int64
	progress func(written, total int64)
}

func newHashingReader(ctx context.Context, r io.Reader, o UploadOptions) *hashingReader {
	return &hashingReader{ctx: ctx, r: r, h: sha256.New(), total: o.Size, progress: o.Progress}
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	if err := hr.ctx.Err(); err != nil {
		return 0, err
	}
	hr.mu.Lock()
	defer hr.mu.Unlock()
	n, err := hr.r.Read(p)
	if n > 0 {
		hr.h.Write(p[:n])
		hr.n += int64(n)
		if hr.progress != nil {
			hr.progress(hr.n, hr.total)
		}
	}
	return n, err
}

func (hr *hashingReader) sum() string {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	return hex.EncodeToString(hr.h.Sum(nil))
}
