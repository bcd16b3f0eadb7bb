package host

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/sshtest"
)

// recorder keeps the CommandRecords of a host for a test to look at.
type recorder struct {
	mu   sync.Mutex
	recs []CommandRecord
}

func (r *recorder) record(rec CommandRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
}

// text is everything recorded, as a run log would print it.
func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, rec := range r.recs {
		b.WriteString(rec.Host + " " + rec.Cmd + "\n" + rec.Stdout + rec.Stderr + "\n")
		if rec.Err != nil {
			b.WriteString(rec.Err.Error() + "\n")
		}
	}
	return b.String()
}

// rootConfig logs in to s as its key user, with the host key pinned.
func rootConfig(s *sshtest.Server) SSHConfig {
	return SSHConfig{
		Name:               "node-" + s.HostKeyFingerprint[7:13],
		Address:            s.Host,
		Port:               s.Port,
		User:               s.User,
		PrivateKeyPath:     s.ClientKeyPath,
		HostKeyFingerprint: s.HostKeyFingerprint,
	}
}

// userConfig logs in to s as the non-root test user by password.
func userConfig(s *sshtest.Server) SSHConfig {
	cfg := rootConfig(s)
	cfg.User, cfg.PrivateKeyPath, cfg.Password = s.TestUser, "", s.TestPassword
	return cfg
}

// newSSH returns a host for cfg that is closed when the test ends.
func newSSH(t *testing.T, cfg SSHConfig, opts ...Option) Host {
	t.Helper()
	h := NewSSH(cfg, opts...)
	t.Cleanup(func() { h.Close() })
	return h
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustRun(t *testing.T, h Host, cmd Command) string {
	t.Helper()
	res, err := h.Run(testContext(t), cmd)
	if err != nil {
		t.Fatalf("%s: %v", cmd.Cmd, err)
	}
	return strings.TrimSpace(string(res.Stdout))
}

// processesWith lists the pids of this machine's processes whose command
// line contains s. The test servers run on this machine, so this sees the
// remote commands too.
func processesWith(s string) []string {
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if bytes.Contains(bytes.ReplaceAll(b, []byte{0}, []byte(" ")), []byte(s)) {
			pids = append(pids, filepath.Base(filepath.Dir(p)))
		}
	}
	return pids
}

// waitGone waits until no process has s in its command line.
func waitGone(t *testing.T, s string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if len(processesWith(s)) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("processes %v running %q still alive %v after cancel", processesWith(s), s, within)
}
