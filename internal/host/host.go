// Package host is kubexm's access to a machine: the control machine it runs
// on, or a target host over SSH. Pipelines see only the Host interface, so a
// step that runs on a target host runs unchanged on the control machine.
package host

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Host is one machine that commands run on and files move to and from.
// Implementations are safe for concurrent use: the engine runs several steps
// on one host at a time.
type Host interface {
	// Name is the host's name in the cluster config ("control" for the
	// control machine). Errors and logs name hosts by it.
	Name() string

	// Run runs cmd and waits for it. A command that ran and exited non-zero
	// returns a *CommandError; a command that could not be started (the host
	// is unreachable, the connection broke) returns an error marked
	// failure.Unreachable. Cancelling ctx ends the remote command.
	Run(ctx context.Context, cmd Command) (Result, error)

	// Upload writes the content of r to the file dst on the host: first to a
	// temporary name beside dst, then renamed over it, so dst is never seen
	// half-written. See UploadOptions for mode, checksum and progress.
	Upload(ctx context.Context, r io.Reader, dst string, opts UploadOptions) error

	// Download copies the file src on the host to w.
	Download(ctx context.Context, src string, w io.Writer) error

	// ReadFile returns the content of the file path on the host.
	ReadFile(ctx context.Context, path string) ([]byte, error)

	// Facts gathers what pipelines need to know of the host. The result is
	// gathered once and cached; Facts after that returns the cached value.
	Facts(ctx context.Context) (Facts, error)

	// Close releases the connection, if any. The Host may not be used after.
	Close() error
}

// Command is a command line to run on a host.
type Command struct {
	// Cmd is a POSIX shell command line, run with sh -c.
	Cmd string

	// Stdin, if set, is copied to the command's standard input.
	Stdin io.Reader

	// Env is set in the command's environment. Values are not logged.
	Env map[string]string

	// Sudo runs the command as root. A host whose user is root runs it as
	// it is; otherwise it goes through sudo, with the password (if any) fed on
	// standard input and never on a command line.
	Sudo bool

	// Stdout and Stderr, if set, also receive the output as it arrives, for
	// commands whose progress a caller shows. Result holds it all anyway.
	Stdout, Stderr io.Writer

	// Secrets are strings to blank out wherever the command line or its
	// output is logged or put into an error.
	Secrets []string
}

// Result is what a finished command left behind.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	Duration time.Duration
}

// CommandError is a command that ran and exited non-zero. It carries what an
// operator needs to see the cause without opening the log.
type CommandError struct {
	Host     string
	Cmd      string // with the command's Secrets already blanked out
	ExitCode int
	Stdout   []byte
	Stderr   []byte
}

// Error names the host, the command and its exit code, followed by the last
// lines of its error output.
func (e *CommandError) Error() string {
	msg := fmt.Sprintf("host %s: command %q exited with code %d", e.Host, e.Cmd, e.ExitCode)
	out := strings.TrimSpace(string(e.Stderr))
	if out == "" {
		out = strings.TrimSpace(string(e.Stdout))
	}
	if out != "" {
		msg += ": " + tail(out, 5)
	}
	return msg
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// UploadOptions control how Upload writes a file.
type UploadOptions struct {
	// Mode is the permission of the written file. The default is 0644.
	Mode os.FileMode

	// SHA256, if set, is the lowercase hex SHA-256 the file must have once
	// written. On a mismatch the temporary file is removed, dst is left as
	// it was, and Upload fails.
	SHA256 string

	// Sudo writes the file as root, for paths the login user cannot write.
	Sudo bool

	// Size is the number of bytes r will yield, if known; it is passed to
	// Progress as the total.
	Size int64

	// Progress, if set, is called as bytes are written, with the count so
	// far and Size.
	Progress func(written, total int64)
}

// Facts describe a host as pipelines need to know it.
type Facts struct {
	Hostname      string `json:"hostname"`
	OSID          string `json:"osID"`          // ID of /etc/os-release: debian, ubuntu, ...
	OSVersion     string `json:"osVersion"`     // VERSION_ID of /etc/os-release: 12, 22.04, ...
	Arch          string `json:"arch"`          // GOARCH spelling: amd64, arm64
	Kernel        string `json:"kernel"`        // uname -r
	CPUs          int    `json:"cpus"`          // online CPUs
	MemoryBytes   uint64 `json:"memoryBytes"`   // MemTotal
	SwapBytes     uint64 `json:"swapBytes"`     // SwapTotal
	InitSystem    string `json:"initSystem"`    // systemd, or the name of PID 1
	FreeDiskBytes uint64 `json:"freeDiskBytes"` // free space on the file system of /var/lib
}
