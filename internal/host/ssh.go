package host

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/kubexm/kubexm/internal/failure"
)

// SSHConfig says how to reach and log in to a host over SSH.
type SSHConfig struct {
	// Name is the host's name in the cluster config; errors name it. The
	// default is Address.
	Name string

	// Address is the host name or IP address to dial, and Port its SSH port.
	// The default port is 22.
	Address string
	Port    int

	// User is the login user. The default is root.
	User string

	// Password logs in by password (and keyboard-interactive). It is never
	// logged: every record and error of the host has it blanked.
	Password string

	// PrivateKeyPath is a private key file to log in with, and
	// PrivateKeyPassphrase its passphrase if it is encrypted.
	PrivateKeyPath       string
	PrivateKeyPassphrase string

	// UseAgent also offers the keys of the ssh-agent at $SSH_AUTH_SOCK.
	UseAgent bool

	// HostKeyFingerprint pins the host's key, as "SHA256:..." in the form
	// ssh-keygen -lf prints. When set, known_hosts is not consulted.
	HostKeyFingerprint string

	// KnownHostsPath is the known_hosts file that host keys are checked
	// against when no fingerprint is pinned. The default is
	// ~/.ssh/known_hosts.
	KnownHostsPath string

	// TrustOnFirstUse accepts a host key that known_hosts does not know yet,
	// and appends it there. Without it an unknown key is refused. A key
	// that differs from a known one is always refused.
	TrustOnFirstUse bool

	// SudoPassword is the password sudo asks for. The default is Password.
	SudoPassword string

	// JumpHost, if set, is a bastion that the connection to this host is
	// made through, as ssh -J does.
	JumpHost *SSHConfig

	// DialTimeout bounds connecting, including the SSH handshake and
	// authentication. The default is 15s.
	DialTimeout time.Duration

	// KeepAlive is the interval of the keepalives that find a dead
	// connection; three unanswered in a row close it. The default is 15s; a
	// negative value sends none.
	KeepAlive time.Duration
}

// Defaults that SSHConfig documents.
const (
	defaultSSHPort     = 22
	defaultUser        = "root"
	defaultDialTimeout = 15 * time.Second
	defaultKeepAlive   = 15 * time.Second
	keepAliveMisses    = 3
)

// withDefaults fills in what SSHConfig documents as defaults.
func (cfg SSHConfig) withDefaults() SSHConfig {
	if cfg.Port == 0 {
		cfg.Port = defaultSSHPort
	}
	if cfg.User == "" {
		cfg.User = defaultUser
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Address
	}
	if cfg.SudoPassword == "" {
		cfg.SudoPassword = cfg.Password
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = defaultDialTimeout
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = defaultKeepAlive
	}
	return cfg
}

// sshHost is a target host reached over SSH. It holds at most one
// connection, dialled on first use and dialled again after it broke;
// commands run as sessions multiplexed on it.
type sshHost struct {
	*core
	cfg      SSHConfig
	sessions chan struct{} // one token per session that may be open

	// wrapConn, if set, wraps the dialled TCP connection (tests use it to
	// cut a connection).
	wrapConn func(net.Conn) net.Conn

	mu     sync.Mutex
	conn   *sshConn
	closed bool
}

// NewSSH returns the host that cfg describes. It does not connect: the
// first call that needs the host dials it, and a dial or login error comes
// back from that call, marked failure.Unreachable (or failure.Config for a
// config that cannot work, such as an unreadable key file).
func NewSSH(cfg SSHConfig, opts ...Option) Host {
	cfg = cfg.withDefaults()
	o := buildOptions(opts)
	if o.sudoPassword == "" {
		o.sudoPassword = cfg.SudoPassword
	}

	c := newCore(cfg.Name, cfg.User, o, cfg.Password, cfg.SudoPassword, cfg.PrivateKeyPassphrase)
	h := &sshHost{core: c, cfg: cfg, sessions: make(chan struct{}, o.maxSessions)}
	c.isRoot = func() bool { return cfg.User == "root" }
	c.t = h
	return h
}

// connect returns the live connection, dialling one if there is none.
// Holding the lock while dialling makes concurrent first calls share one.
func (h *sshHost) connect(ctx context.Context) (*sshConn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()

	if h.closed {
		return nil, fmt.Errorf("host %s: used after Close", h.name)
	}
	if h.conn != nil && !h.conn.isDone() {
		return h.conn, nil
	}

	c, err := dial(ctx, h.cfg, h.wrapConn)
	if err != nil {
		return nil, err
	}
	h.conn = c
	go c.keepAlive(h.cfg.KeepAlive)
	return c, nil
}

// drop forgets c, if it is still the current connection, and closes it, so
// that the next call dials again.
func (h *sshHost) drop(c *sshConn) {
	h.mu.Lock()
	if h.conn == c {
		h.conn = nil
	}
	h.mu.Unlock()
	c.close()
}

// Close closes the connection; see Host.Close.
func (h *sshHost) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()

	h.closed = true
	if h.conn != nil {
		h.conn.close()
		h.conn = nil
	}
	return nil
}

// Upload streams r into a temporary file on the host; see Host.Upload.
func (h *sshHost) Upload(ctx context.Context, r io.Reader, dst string, o UploadOptions) error {
	return h.uploadShell(ctx, r, dst, o)
}

// Download copies src on the host to w; under AsRoot it reads through sudo.
func (h *sshHost) Download(ctx context.Context, src string, w io.Writer) error {
	return h.downloadShell(ctx, src, w)
}

// ReadFile returns the content of p; under AsRoot it reads through sudo.
func (h *sshHost) ReadFile(ctx context.Context, p string) ([]byte, error) {
	return h.readFileShell(ctx, p)
}

// unreachable marks an error of reaching the host.
func unreachable(format string, args ...any) error {
	return failure.Wrap(failure.Unreachable, fmt.Errorf(format, args...))
}
