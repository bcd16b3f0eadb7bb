package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/kubexm/kubexm/internal/failure"
)

// sshConn is one SSH connection, and the connection to the jump host it was
// made through, if any.
type sshConn struct {
	client *ssh.Client
	jump   *sshConn
	done   chan struct{} // closed once the connection has ended

	closeOnce sync.Once
}

// dial connects and logs in to the host that cfg describes.
func dial(ctx context.Context, cfg SSHConfig, wrap func(net.Conn) net.Conn) (*sshConn, error) {
	addr := net.JoinHostPort(cfg.Address, strconv.Itoa(cfg.Port))
	cc, release, err := clientConfig(cfg, addr)
	if err != nil {
		return nil, err
	}
	defer release()

	raw, jump, err := dialTCP(ctx, cfg, addr)
	if err != nil {
		return nil, err
	}
	if wrap != nil {
		raw = wrap(raw)
	}

	client, err := handshake(ctx, cfg, raw, addr, cc)
	if err != nil {
		raw.Close()
		if jump != nil {
			jump.close()
		}
		return nil, err
	}

	c := &sshConn{client: client, jump: jump, done: make(chan struct{})}
	go c.watch()
	return c, nil
}

// dialTCP opens the byte stream to addr: directly, or as a channel through
// the jump host.
func dialTCP(ctx context.Context, cfg SSHConfig, addr string) (net.Conn, *sshConn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()

	if cfg.JumpHost == nil {
		d := net.Dialer{}
		raw, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, nil, dialError(ctx, cfg, fmt.Errorf("dialling %s: %w", addr, err))
		}
		return raw, nil, nil
	}

	jcfg := cfg.JumpHost.withDefaults()
	jump, err := dial(ctx, jcfg, nil)
	if err != nil {
		return nil, nil, unreachableVia(cfg, jcfg, err)
	}
	raw, err := jump.client.DialContext(ctx, "tcp", addr)
	if err != nil {
		jump.close()
		return nil, nil, dialError(ctx, cfg,
			fmt.Errorf("dialling %s through jump host %s: %w", addr, jcfg.Name, err))
	}
	return raw, jump, nil
}

// unreachableVia explains that a host could not be reached because its jump
// host could not.
func unreachableVia(cfg, jcfg SSHConfig, err error) error {
	if failure.CategoryOf(err) == failure.Internal {
		err = failure.Wrap(failure.Unreachable, err)
	}
	return fmt.Errorf("host %s: through jump host %s: %w", cfg.Name, jcfg.Name, err)
}

// dialError names the host and marks err, unless ctx ended first.
func dialError(ctx context.Context, cfg SSHConfig, err error) error {
	if ctx.Err() != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("host %s: %w: %w", cfg.Name, err, ctx.Err())
	}
	return unreachable("host %s: %w", cfg.Name, err)
}

// handshake runs the SSH handshake and login on raw within the dial timeout,
// and gives up early when ctx ends.
func handshake(ctx context.Context, cfg SSHConfig, raw net.Conn, addr string,
	cc *ssh.ClientConfig) (*ssh.Client, error) {
	_ = raw.SetDeadline(time.Now().Add(cfg.DialTimeout))
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	conn, chans, reqs, err := ssh.NewClientConn(raw, addr, cc)
	stop()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("host %s: connecting to %s: %w", cfg.Name, addr, ctx.Err())
	}

	var hk *hostKeyError
	switch {
	case errors.As(err, &hk):
		return nil, unreachable("host %s: connecting to %s: %w", cfg.Name, addr, hk)
	case err != nil:
		return nil, unreachable("host %s: connecting to %s as %s: %w", cfg.Name, addr, cfg.User, err)
	}

	_ = raw.SetDeadline(time.Time{})
	return ssh.NewClient(conn, chans, reqs), nil
}

// watch marks the connection done when it ends, for whatever reason.
func (c *sshConn) watch() {
	_ = c.client.Wait()
	close(c.done)
	if c.jump != nil {
		c.jump.close()
	}
}

func (c *sshConn) isDone() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *sshConn) close() {
	c.closeOnce.Do(func() { c.client.Close() })
}

// keepAlive pings the server every interval and closes the connection after
// keepAliveMisses pings in a row got no answer, so that a dead link shows up
// as an error instead of a command that hangs for ever.
func (c *sshConn) keepAlive(interval time.Duration) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()

	missed := 0
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		if c.ping(interval) {
			missed = 0
			continue
		}
		if missed++; missed >= keepAliveMisses {
			c.close()
			return
		}
	}
}

// ping sends one keepalive and reports whether any answer came in time.
// OpenSSH answers keepalive@openssh.com with a failure, which is an answer.
func (c *sshConn) ping(timeout time.Duration) bool {
	answered := make(chan error, 1)
	go func() {
		_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
		answered <- err
	}()

	select {
	case err := <-answered:
		return err == nil
	case <-time.After(timeout):
		return false
	case <-c.done:
		return false
	}
}
