package host

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubexm/kubexm/internal/failure"
)

// sudoFor says how to run a command that asks for root (want) on this host.
// The first time, it asks the host's sudo whether it wants a password and
// whether it takes the configured one; the answer is kept for the host's
// life. Knowing this up front keeps the password line from ever reaching a
// command's input when sudo does not read it (NOPASSWD), and keeps a
// refused password from eating the command's input as further attempts.
func (c *core) sudoFor(ctx context.Context, want bool) (sudoMode, error) {
	if !want || c.isRoot() {
		return sudoNone, nil
	}

	c.sudoMu.Lock()
	defer c.sudoMu.Unlock()
	if c.sudoKnown {
		return c.sudoMode, nil
	}

	mode, err := c.probeSudo(ctx)
	if err != nil {
		return sudoNone, err
	}
	c.sudoMode, c.sudoKnown = mode, true
	return mode, nil
}

func (c *core) probeSudo(ctx context.Context) (sudoMode, error) {
	probe := []string{"sudo", "-k", "-n", "true"}
	res, err := c.execute(ctx, call{Command: Command{Cmd: quoteArgs(probe)}},
		process{argv: probe})
	if err == nil {
		return sudoNoPass, nil
	}
	if res.ExitCode < 0 {
		return sudoNone, err
	}
	if res.ExitCode == 127 {
		return sudoNone, failure.Wrap(failure.Config, fmt.Errorf(
			"host %s: a command needs root, user %s is not root, and sudo is not installed",
			c.name, c.user))
	}
	if c.opts.sudoPassword == "" {
		return sudoNone, failure.Wrap(failure.Config, fmt.Errorf(
			"host %s: sudo wants a password for user %s and none is configured: %s",
			c.name, c.user, strings.TrimSpace(string(res.Stderr))))
	}

	probe = []string{"sudo", "-k", "-S", "-p", "", "true"}
	res, err = c.execute(ctx, call{Command: Command{Cmd: quoteArgs(probe)}},
		process{argv: probe, stdin: passwordFirst(c.opts.sudoPassword, nil)})
	if err == nil {
		return sudoPassword, nil
	}
	if res.ExitCode < 0 {
		return sudoNone, err
	}
	return sudoNone, failure.Wrap(failure.Unreachable, fmt.Errorf(
		"host %s: sudo did not take the password of user %s: %s",
		c.name, c.user, c.redact.String(strings.TrimSpace(string(res.Stderr)))))
}

// killProcess is the program that kills the process group pgid, run with the
// same sudo mode as the group so it may signal root's processes too.
func (c *core) killProcess(pgid int, mode sudoMode) process {
	p := process{argv: argv(fmt.Sprintf("kill -s KILL -- -%d", pgid), mode), sudo: mode}
	if mode == sudoPassword {
		p.stdin = passwordFirst(c.opts.sudoPassword, nil)
	}
	return p
}
