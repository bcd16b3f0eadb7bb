package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// pgidMarker starts the line that the remote shell prints on stderr before
// the command: its process group, which a cancelled command is killed by.
// sshd starts each session's shell with setsid, so its pid is that group.
const pgidMarker = "\x1ekubexm-pgid="

// remoteLine is the command line for sshd, which runs it with the login
// shell: it reports the process group, then becomes argv.
func remoteLine(argv []string) string {
	return `printf '\036kubexm-pgid=%s\n' "$$" >&2; exec ` + quoteArgs(argv)
}

// killTimeout bounds the extra session that kills a cancelled command.
const killTimeout = 10 * time.Second

// exec runs p in a session of its own; see transport.
func (h *sshHost) exec(ctx context.Context, p process) (int, error) {
	select {
	case h.sessions <- struct{}{}:
		defer func() { <-h.sessions }()
	case <-ctx.Done():
		return -1, ctx.Err()
	}
	return h.session(ctx, p, true)
}

// session runs p and waits for it. A cancelled ctx kills the command's
// process group when killable, then closes the session.
func (h *sshHost) session(ctx context.Context, p process, killable bool) (int, error) {
	sess, conn, err := h.openSession(ctx)
	if err != nil {
		return -1, err
	}
	defer sess.Close()

	stdout, stderr := &gate{w: p.stdout}, &gate{w: p.stderr}
	pg := &pgidFilter{w: stderr}
	sess.Stdout, sess.Stderr = stdout, pg
	if err := feedStdin(sess, p.stdin); err != nil {
		return -1, err
	}
	if err := sess.Start(remoteLine(p.argv)); err != nil {
		return -1, h.lost(conn, "starting the command", err)
	}

	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
		pg.flush()
		return h.exitStatus(conn, err)
	case <-ctx.Done():
		h.stop(sess, pg.pgid(), p.sudo, killable, done)
		stdout.close()
		stderr.close()
		return -1, ctx.Err()
	}
}

// feedStdin copies stdin to the session in a goroutine of its own, so that
// waiting for the command never waits for a reader that blocks.
func feedStdin(sess *ssh.Session, stdin io.Reader) error {
	if stdin == nil {
		return nil
	}
	w, err := sess.StdinPipe()
	if err != nil {
		return fmt.Errorf("opening the command's input: %w", err)
	}
	go func() {
		_, _ = io.Copy(w, stdin)
		w.Close()
	}()
	return nil
}

// openSession opens a session on the connection, dialling once more if
// the current connection turns out dead: nothing has run on it yet, so
// trying again is safe.
func (h *sshHost) openSession(ctx context.Context) (*ssh.Session, *sshConn, error) {
	for attempt := 0; ; attempt++ {
		conn, err := h.connect(ctx)
		if err != nil {
			return nil, nil, err
		}
		sess, err := conn.client.NewSession()
		if err == nil {
			return sess, conn, nil
		}

		var refused *ssh.OpenChannelError
		if errors.As(err, &refused) || attempt > 0 {
			return nil, nil, h.lost(conn, "opening a session", err)
		}
		h.drop(conn)
	}
}

// exitStatus turns the end of a session into an exit code. A session that
// ended without one lost its connection or its server process.
func (h *sshHost) exitStatus(conn *sshConn, err error) (int, error) {
	var exit *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitStatus(), nil
	default:
		return -1, h.lost(conn, "the command ended without an exit status", err)
	}
}

// lost reports a broken connection, and drops it when it is dead, so that
// the next call dials again.
func (h *sshHost) lost(conn *sshConn, what string, err error) error {
	if conn.isDone() || !conn.ping(2*time.Second) {
		h.drop(conn)
		return unreachable("connection to %s lost: %s: %w", h.name, what, err)
	}
	return unreachable("host %s: %s: %w", h.name, what, err)
}

// stop ends a cancelled command: kill its process group from a second
// session (through sudo if it ran through sudo, as root's processes need),
// signal it, and close the session.
func (h *sshHost) stop(sess *ssh.Session, pgid int, mode sudoMode, killable bool,
	done <-chan error) {
	if killable && pgid > 1 {
		ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
		kill := h.killProcess(pgid, mode)
		kill.stdout, kill.stderr = io.Discard, io.Discard
		_, _ = h.session(ctx, kill, false)
		cancel()
	}

	_ = sess.Signal(ssh.SIGKILL)
	sess.Close()
	select {
	case <-done:
	case <-time.After(stopWait):
	}
}

// stopWait is how long a cancelled command's session gets to wind down.
// sshd may hold the channel open until the command's output closes.
const stopWait = time.Second

// gate passes writes on until it is closed, so that a cancelled Run can
// return while its session's copy goroutines are still winding down.
type gate struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.w == nil {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// pgidFilter takes the process group line out of stderr and passes the
// rest on. Lines before it (a login shell's rc files may print some) pass
// through unchanged.
type pgidFilter struct {
	w io.Writer

	mu      sync.Mutex
	partial []byte // an unfinished line while still looking
	seen    int    // bytes looked through so far
	passed  bool   // the marker was found, or looking took too long
	group   int
}

// headLimit is how far into stderr the marker line is looked for.
const headLimit = 8 << 10

func (f *pgidFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.passed {
		return f.pass(p, len(p))
	}

	f.seen += len(p)
	buf := append(f.partial, p...)
	f.partial = nil
	for !f.passed {
		line, rest, found := bytes.Cut(buf, []byte("\n"))
		if !found {
			break
		}
		if n, ok := bytes.CutPrefix(line, []byte(pgidMarker)); ok {
			f.group, _ = strconv.Atoi(string(n))
			f.passed = true
		} else if _, err := f.pass(buf[:len(line)+1], 0); err != nil {
			return 0, err
		}
		buf = rest
	}

	if !f.passed && f.seen < headLimit {
		f.partial = append([]byte(nil), buf...)
		return len(p), nil
	}
	f.passed = true
	return f.pass(buf, len(p))
}

// pass writes b on and reports n bytes taken.
func (f *pgidFilter) pass(b []byte, n int) (int, error) {
	if len(b) > 0 && f.w != nil {
		if _, err := f.w.Write(b); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// flush passes on what is left of an unfinished last line.
func (f *pgidFilter) flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.passed = true
	_, _ = f.pass(f.partial, 0)
	f.partial = nil
}

func (f *pgidFilter) pgid() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.group
}
