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

// dial connects and logs in to the host that cfg describes, within
// cfg.DialTimeout.
func dial(ctx context.Context, cfg SSHConfig, wrap func(net.Conn) net.Conn) (*sshConn, error) {
	addr := net.JoinHostPort(cfg.Address, strconv.Itoa(cfg.Port))
	cc, release, err := clientConfig(cfg, addr)
	if err != nil {
		return nil, err
	}
	defer release()

	dctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	raw, jump, err := dialTCP(dctx, cfg, addr)
	if err != nil {
		return nil, dialFailed(ctx, cfg, err)
	}
	if wrap != nil {
		raw = wrap(raw)
	}

	client, err := handshake(dctx, raw, addr, cc)
	if err != nil {
		raw.Close()
		if jump != nil {
			jump.close()
		}
		return nil, dialFailed(ctx, cfg, err)
	}

	c := &sshConn{client: client, jump: jump, done: make(chan struct{})}
	go c.watch()
	return c, nil
}

// dialFailed names the host and marks err Unreachable, unless the config is
// at fault or the caller's ctx ended (then the error wraps ctx.Err()).
func dialFailed(ctx context.Context, cfg SSHConfig, err error) error {
	err = fmt.Errorf("host %s: %w", cfg.Name, err)
	switch {
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return fmt.Errorf("%w: %w", err, ctx.Err())
	case ctx.Err() != nil, failure.Is(err, failure.Config):
		return err
	default:
		return failure.Wrap(failure.Unreachable, err)
	}
}

// dialTCP opens the byte stream to addr: directly, or as a channel through
// the jump host.
func dialTCP(ctx context.Context, cfg SSHConfig, addr string) (net.Conn, *sshConn, error) {
	if cfg.JumpHost == nil {
		var d net.Dialer
		raw, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dialling %s: %w", addr, err)
		}
		return raw, nil, nil
	}

	jcfg := cfg.JumpHost.withDefaults()
	jump, err := dial(ctx, jcfg, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("through jump host %s: %w", jcfg.Name, err)
	}
	raw, err := jump.client.DialContext(ctx, "tcp", addr)
	if err != nil {
		jump.close()
		return nil, nil, fmt.Errorf("dialling %s through jump host %s: %w", addr, jcfg.Name, err)
	}
	return raw, jump, nil
}

// handshake runs the SSH handshake and login on raw, and gives up when ctx
// ends.
func handshake(ctx context.Context, raw net.Conn, addr string, cc *ssh.ClientConfig) (*ssh.Client, error) {
	// The dial timeout bounds the handshake; an earlier end of ctx closes
	// raw, which the check of ctx below then tells apart.
	_ = raw.SetDeadline(time.Now().Add(cc.Timeout))
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	conn, chans, reqs, err := ssh.NewClientConn(raw, addr, cc)
	stop()

	var hk *hostKeyError
	switch {
	case ctx.Err() != nil:
		if err == nil {
			conn.Close()
		}
		return nil, fmt.Errorf("connecting to %s: %w", addr, ctx.Err())
	case errors.As(err, &hk):
		return nil, fmt.Errorf("connecting to %s: %w", addr, hk)
	case err != nil:
		return nil, fmt.Errorf("connecting to %s as %s: %w", addr, cc.User, err)
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
