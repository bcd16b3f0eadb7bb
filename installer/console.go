package installer

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kubexm/kubexm/internal/redact"
)

// console is what the installer tells the operator, copied into the log
// file with a timestamp per line. Secrets are blanked in both.
type console struct {
	mu  sync.Mutex
	out io.Writer
	log io.WriteCloser
	red redact.Redactor
}

// openConsole opens the log at path (created 0600: it may quote config
// values) and returns a console writing to out and the log.
func openConsole(out io.Writer, path string) (*console, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("opening the log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the log: %w", err)
	}
	return &console{out: out, log: f}, nil
}

// hide adds secrets to blank from now on.
func (c *console) hide(secrets ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.red = c.red.With(secrets...)
}

// Write copies p, secrets blanked, to the console and the log: the output
// of the kubexm commands the installer runs goes through it.
func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	clean := c.red.Bytes(p)
	if _, err := c.out.Write(clean); err != nil {
		return 0, err
	}
	if c.log != nil {
		_, _ = c.log.Write(clean) // a full log must not stop the install
	}
	return len(p), nil
}

// printf prints one line to the console and the log.
func (c *console) printf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	c.mu.Lock()
	defer c.mu.Unlock()
	line = c.red.String(line)
	fmt.Fprintln(c.out, line)
	if c.log != nil {
		fmt.Fprintf(c.log, "%s %s\n", time.Now().UTC().Format(time.RFC3339), line)
	}
}

// logf writes a line to the log alone: detail the console need not show.
func (c *console) logf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.log != nil {
		fmt.Fprintf(c.log, "%s %s\n", time.Now().UTC().Format(time.RFC3339),
			c.red.String(fmt.Sprintf(format, args...)))
	}
}

func (c *console) close() error {
	if c.log == nil {
		return nil
	}
	return c.log.Close()
}
