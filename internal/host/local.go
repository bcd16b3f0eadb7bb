package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"syscall"
)

// localName is the name of the control machine in errors and logs.
const localName = "control"

// local is the control machine that kubexm runs on.
type local struct {
	*core
}

// NewLocal returns the control machine as a Host named "control". Commands
// run with sh -c in a process group of their own, so that cancelling ctx
// ends the whole command. Sudo runs a command as it is when kubexm runs as
// root; otherwise through sudo, with the WithSudoPassword password on its
// standard input if one is set.
func NewLocal(opts ...Option) Host {
	o := buildOptions(opts)
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}

	c := newCore(localName, name, o)
	c.isRoot = func() bool { return os.Geteuid() == 0 }
	c.t = localTransport{c: c}
	return &local{core: c}
}

// localTransport runs programs on this machine.
type localTransport struct {
	c *core
}

func (lt localTransport) exec(ctx context.Context, p process) (int, error) {
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.stdin, p.stdout, p.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("starting %s: %w", p.argv[0], err)
	}

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(err)
	case <-ctx.Done():
		lt.killGroup(cmd.Process.Pid, p.sudo)
		<-done
		return -1, ctx.Err()
	}
}

// killGroup ends the process group of a cancelled command. Root's processes
// under sudo are out of reach of a user's signals, so for a command that
// went through sudo the kill goes through sudo too.
func (lt localTransport) killGroup(pgid int, mode sudoMode) {
	if mode != sudoNone {
		ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
		kill := lt.c.killProcess(pgid, mode)
		kill.stdout, kill.stderr = io.Discard, io.Discard
		_, _ = lt.exec(ctx, kill)
		cancel()
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// exitCode turns the result of Wait into an exit code, with 128+n for a
// command killed by signal n, as a shell reports it.
func exitCode(err error) (int, error) {
	var ee *exec.ExitError
	if err == nil {
		return 0, nil
	}
	if !errors.As(err, &ee) {
		return -1, err
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ee.ExitCode(), nil
}

// Upload writes the file directly when this process may, and else through
// sudo like a remote host does.
func (l *local) Upload(ctx context.Context, r io.Reader, dst string, o UploadOptions) error {
	if o.Sudo && !l.isRoot() {
		return l.uploadShell(ctx, r, dst, o)
	}
	if err := writeAtomic(ctx, r, dst, o); err != nil {
		return fmt.Errorf("host %s: uploading %s: %w", l.name, dst, err)
	}
	return nil
}

// writeAtomic writes r to a temporary file beside dst, checks its checksum,
// syncs it and renames it over dst, so a crash leaves either the old or the
// whole new file.
func writeAtomic(ctx context.Context, r io.Reader, dst string, o UploadOptions) (err error) {
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".kubexm-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	hr := newHashingReader(ctx, r, o)
	if _, err := io.Copy(f, hr); err != nil {
		return err
	}
	if err := checkSum(dst, hr.sum(), o.SHA256); err != nil {
		return err
	}

	if err := f.Chmod(os.FileMode(fileMode(o))); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Download copies src to w, through sudo under AsRoot when not root.
func (l *local) Download(ctx context.Context, src string, w io.Writer) error {
	if asRoot(ctx) && !l.isRoot() {
		return l.downloadShell(ctx, src, w)
	}
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("host %s: reading %s: %w", l.name, src, err)
	}
	defer f.Close()

	if _, err := io.Copy(w, &ctxReader{ctx: ctx, r: f}); err != nil {
		return fmt.Errorf("host %s: reading %s: %w", l.name, src, err)
	}
	return nil
}

// ReadFile returns the content of p, through sudo under AsRoot when not root.
func (l *local) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if asRoot(ctx) && !l.isRoot() {
		return l.readFileShell(ctx, p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("host %s: reading %s: %w", l.name, p, err)
	}
	return b, nil
}

// Close does nothing: the control machine holds no connection.
func (l *local) Close() error { return nil }

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (cr *ctxReader) Read(p []byte) (int, error) {
	if err := cr.ctx.Err(); err != nil {
		return 0, err
	}
	return cr.r.Read(p)
}
