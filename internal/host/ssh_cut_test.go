package host

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/sshtest"
)

// linkConn is a TCP connection that a test can break: cut closes it, as a
// reset would; freeze silently drops all traffic, as a dead link does.
type linkConn struct {
	net.Conn
	frozen atomic.Bool
}

func (c *linkConn) Write(p []byte) (int, error) {
	if c.frozen.Load() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *linkConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if err != nil || !c.frozen.Load() {
			return n, err
		}
	}
}

// links records every connection that h dials.
type links struct {
	mu    sync.Mutex
	conns []*linkConn
}

func (l *links) wrap(c net.Conn) net.Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	lc := &linkConn{Conn: c}
	l.conns = append(l.conns, lc)
	return lc
}

func (l *links) last() *linkConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns[len(l.conns)-1]
}

func (l *links) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func TestSSHLinkBroken(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	tests := []struct {
		name  string
		brk   func(*linkConn)
		alive time.Duration // keepalive interval
	}{
		{name: "connection closed", brk: func(c *linkConn) { c.Conn.Close() }},
		// Nothing arrives any more: only keepalives can tell.
		{name: "link dead", brk: func(c *linkConn) { c.frozen.Store(true) },
			alive: 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := rootConfig(s)
			cfg.KeepAlive = tt.alive
			var l links
			h := NewSSH(cfg).(*sshHost)
			h.wrapConn = l.wrap
			t.Cleanup(func() { h.Close() })
			mustRun(t, h, Command{Cmd: "true"})

			errc := make(chan error, 1)
			go func() {
				_, err := h.Run(testContext(t), Command{Cmd: "sleep 3; echo done"})
				errc <- err
			}()
			time.Sleep(300 * time.Millisecond)
			tt.brk(l.last())

			select {
			case err := <-errc:
				if !failure.Is(err, failure.Unreachable) || !strings.Contains(err.Error(), cfg.Name) {
					t.Fatalf("err = %v, want unreachable naming %s", err, cfg.Name)
				}
			case <-time.After(8 * time.Second):
				t.Fatal("Run did not notice the broken connection")
			}

			if got := mustRun(t, h, Command{Cmd: "echo again"}); got != "again" || l.count() != 2 {
				t.Errorf("after the break: %q on %d connections, want again on 2", got, l.count())
			}
		})
	}
}
