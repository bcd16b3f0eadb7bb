package host

import "time"

// Option changes how a Host built by NewLocal or NewSSH behaves.
type Option func(*options)

// options are the settings shared by every kind of Host.
type options struct {
	recorder     func(CommandRecord)
	sudoPassword string
	secrets      []string
	maxSessions  int
}

// defaultMaxSessions keeps a host below OpenSSH's MaxSessions default of 10,
// so that a busy engine waits for a free session instead of being refused.
const defaultMaxSessions = 8

func buildOptions(opts []Option) options {
	o := options{maxSessions: defaultMaxSessions}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// CommandRecord is one command that ran on a host, as a run log keeps it.
// Every field that could hold a secret has been blanked already.
type CommandRecord struct {
	Host     string
	Cmd      string // the command as the caller wrote it, secrets blanked
	Sudo     bool   // whether it ran as root through sudo
	ExitCode int    // -1 when the command did not run to an exit status
	Duration time.Duration
	Stdout   string // empty for commands whose output is file content
	Stderr   string
	Err      error // nil on success; a *CommandError or a transport error
}

// WithRecorder has f called once for every command the host runs, including
// those that Upload, Download, ReadFile and Facts run, so that a run log can
// keep each of them. f is called from the goroutine that ran the command and
// must be safe for concurrent use. The default records nothing.
func WithRecorder(f func(CommandRecord)) Option {
	return func(o *options) { o.recorder = f }
}

// WithSudoPassword sets the password that sudo asks for. NewSSH defaults it
// to SSHConfig.SudoPassword; for NewLocal this is the only way to set it.
// The password is fed to sudo on standard input and blanked in all output.
func WithSudoPassword(password string) Option {
	return func(o *options) { o.sudoPassword = password }
}

// WithSecrets adds strings to blank in every command line, output and error
// the host records or returns, on top of each Command's own Secrets.
func WithSecrets(secrets ...string) Option {
	return func(o *options) { o.secrets = append(o.secrets, secrets...) }
}

// WithMaxSessions limits how many commands run at once on one SSH
// connection. OpenSSH refuses more than MaxSessions (10 by default) sessions
// per connection; the default here is 8. Values below 1 are ignored.
func WithMaxSessions(n int) Option {
	return func(o *options) {
		if n >= 1 {
			o.maxSessions = n
		}
	}
}
