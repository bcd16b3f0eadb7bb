package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/redact"
)

// transport starts one program on a host and waits for it to end. It
// returns the exit code, or an error when the program could not be run to an
// exit status (the host is unreachable, the connection broke, ctx ended).
type transport interface {
	exec(ctx context.Context, p process) (int, error)
}

// process is one program for a transport to run.
type process struct {
	argv   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	sudo   sudoMode // how it reaches root: a cancelled one is killed the same way
}

// call is a Command with the settings only this package's own commands use.
type call struct {
	Command

	// content marks stdout as file content (Download, ReadFile): it goes to
	// Stdout only, and Result and the record keep none of it.
	content bool
}

// core is what the local and the SSH host share: building the command line,
// sudo, blanking secrets, recording, and the file and facts operations that
// are built on Run.
type core struct {
	name   string
	user   string
	isRoot func() bool
	t      transport
	opts   options
	redact redact.Redactor

	sudoMu    sync.Mutex
	sudoKnown bool
	sudoMode  sudoMode

	factsMu sync.Mutex
	facts   *Facts
}

func newCore(name, user string, opts options, secrets ...string) *core {
	return &core{
		name:   name,
		user:   user,
		opts:   opts,
		redact: redact.New(opts.secrets, secrets, []string{opts.sudoPassword}),
	}
}

// Name returns the host's name in the cluster config.
func (c *core) Name() string { return c.name }

// Run runs cmd on the host; see Host.Run.
func (c *core) Run(ctx context.Context, cmd Command) (Result, error) {
	return c.run(ctx, call{Command: cmd})
}

func (c *core) run(ctx context.Context, cl call) (Result, error) {
	mode, err := c.sudoFor(ctx, cl.Sudo)
	if err != nil {
		c.record(cl, Result{ExitCode: -1}, err)
		return Result{ExitCode: -1}, err
	}

	env, err := exports(cl.Env)
	if err != nil {
		err = fmt.Errorf("host %s: %w", c.name, err)
		c.record(cl, Result{ExitCode: -1}, err)
		return Result{ExitCode: -1}, err
	}

	stdin := cl.Stdin
	if mode == sudoPassword {
		stdin = passwordFirst(c.opts.sudoPassword, stdin)
	}
	return c.execute(ctx, cl, process{argv: argv(env+cl.Cmd, mode), stdin: stdin, sudo: mode})
}

// passwordFirst feeds sudo its password line, then the command's own input.
func passwordFirst(password string, stdin io.Reader) io.Reader {
	pw := strings.NewReader(password + "\n")
	if stdin == nil {
		return pw
	}
	return io.MultiReader(pw, stdin)
}

// execute runs p on the transport for cl, collects its output, turns the
// outcome into Result and error, and records it.
func (c *core) execute(ctx context.Context, cl call, p process) (Result, error) {
	var stdout, stderr bytes.Buffer
	p.stdout = teeTo(&stdout, cl.Stdout)
	if cl.content {
		p.stdout = teeTo(io.Discard, cl.Stdout)
	}
	p.stderr = teeTo(&stderr, cl.Stderr)

	start := time.Now()
	code, err := c.t.exec(ctx, p)
	res := Result{
		Stdout:   stdout.Bytes(),
		Stderr:   stderr.Bytes(),
		ExitCode: code,
		Duration: time.Since(start),
	}

	red := c.redact.With(cl.Secrets...)
	switch {
	case err != nil:
		res.ExitCode = -1
		err = c.transportError(red.String(cl.Cmd), err)
	case code != 0:
		err = &CommandError{
			Host:     c.name,
			Cmd:      red.String(cl.Cmd),
			ExitCode: code,
			Stdout:   red.Bytes(res.Stdout),
			Stderr:   red.Bytes(res.Stderr),
		}
	}
	c.record(cl, res, err)
	return res, err
}

// transportError names the host and the command, and marks the error
// Unreachable unless it is the caller's own cancellation.
func (c *core) transportError(cmd string, err error) error {
	cmd = brief(cmd)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("host %s: command %q stopped: %w", c.name, cmd, err)
	}
	if failure.CategoryOf(err) != failure.Internal {
		return fmt.Errorf("host %s: running %q: %w", c.name, cmd, err)
	}
	return failure.Wrap(failure.Unreachable,
		fmt.Errorf("host %s: running %q: %w", c.name, cmd, err))
}

// brief shortens a command for an error about the connection, where the
// command is context, not the cause: its first line, cut at 60 characters.
// The run log keeps it whole.
func brief(cmd string) string {
	first, rest, multi := strings.Cut(strings.TrimSpace(cmd), "\n")
	if r := []rune(first); len(r) > 60 {
		return string(r[:60]) + "…"
	} else if multi && rest != "" {
		return first + " …"
	}
	return first
}

func teeTo(w io.Writer, extra io.Writer) io.Writer {
	if extra == nil {
		return w
	}
	return io.MultiWriter(w, extra)
}

// record hands the finished command to the recorder, blanked.
func (c *core) record(cl call, res Result, err error) {
	if c.opts.recorder == nil {
		return
	}
	red := c.redact.With(cl.Secrets...)
	rec := CommandRecord{
		Host:     c.name,
		Cmd:      red.String(cl.Cmd),
		Sudo:     cl.Sudo,
		ExitCode: res.ExitCode,
		Duration: res.Duration,
		Stderr:   red.String(string(res.Stderr)),
		Err:      err,
	}
	if !cl.content {
		rec.Stdout = red.String(string(res.Stdout))
	}
	c.opts.recorder(rec)
}
