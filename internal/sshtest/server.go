package sshtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kubexm/kubexm/internal/testenv"
)

// SSHDPath is the OpenSSH server that tests run (Debian's openssh-server).
const SSHDPath = "/usr/sbin/sshd"

// Options choose what a Server offers.
type Options struct {
	// TestUser makes the server's TestUser available: created on this
	// machine if missing, with TestPassword and sudo rights that need it.
	// A test that asks for it is skipped (failed when CI=true) where the
	// user cannot be made, as when the test does not run as root.
	TestUser bool
}

// Server is one running OpenSSH server on 127.0.0.1.
type Server struct {
	Addr string // "127.0.0.1:port"
	Host string // "127.0.0.1"
	Port int

	// HostKeyFingerprint is the server's host key as ssh-keygen -lf prints
	// it ("SHA256:..."), and HostKey the key itself.
	HostKeyFingerprint string
	HostKey            ssh.PublicKey

	// ClientKeyPath is a private key (no passphrase) that logs in as User
	// and, if asked for, TestUser. ClientKey is its public half.
	ClientKeyPath string
	ClientKey     ssh.PublicKey

	// User logs in with the client key: root when the test runs as root,
	// else the user running the test (sshd can log in no one else then).
	User string

	// TestUser and TestPassword are the non-root user with sudo rights
	// that need the password; empty unless Options.TestUser was set.
	TestUser     string
	TestPassword string

	dir      string
	listener net.Listener
	wg       sync.WaitGroup

	mu    sync.Mutex
	procs map[*exec.Cmd]bool
}

// Start runs a server until the test ends. Where sshd is not installed the
// test is skipped, or failed when CI=true.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	requireSSHD(t)
	if opts.TestUser {
		if err := ensureTestUser(); err != nil {
			skipOrFail(t, "no non-root test user: "+err.Error())
		}
	}

	s, err := start(opts)
	if err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	t.Cleanup(s.stop)
	return s
}

// StartMany runs n servers until the test ends. A server costs a listening
// socket and a few small files until a client connects, so n may be large.
func StartMany(t testing.TB, n int, opts Options) []*Server {
	t.Helper()
	servers := make([]*Server, n)
	for i := range servers {
		servers[i] = Start(t, opts)
	}
	return servers
}

func requireSSHD(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		skipOrFail(t, "OpenSSH server not installed (apt-get install openssh-server): "+err.Error())
	}
}

// skipOrFail skips the test, or fails it when CI=true: CI must have every
// tool the tests need.
func skipOrFail(t testing.TB, reason string) {
	t.Helper()
	testenv.Missing(t, "%s", reason)
}

func start(opts Options) (*Server, error) {
	s := &Server{Host: "127.0.0.1", procs: map[*exec.Cmd]bool{}}
	if err := s.prepare(opts); err != nil {
		s.removeDir()
		return nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.removeDir()
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	s.listener = ln
	s.Addr = ln.Addr().String()
	s.Port = ln.Addr().(*net.TCPAddr).Port

	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// prepare writes the server's keys and config into a fresh directory.
func (s *Server) prepare(opts Options) error {
	dir, err := os.MkdirTemp("", "kubexm-sshd-")
	if err != nil {
		return fmt.Errorf("creating sshd directory: %w", err)
	}
	s.dir = dir
	// The test user's sshd process reads authorized_keys from here.
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("opening %s to the test user: %w", dir, err)
	}

	if err := s.writeKeys(); err != nil {
		return err
	}
	if err := s.setUsers(opts); err != nil {
		return err
	}
	return os.WriteFile(s.path("sshd_config"), []byte(s.config()), 0o644)
}

func (s *Server) writeKeys() error {
	host, err := newKeyPair()
	if err != nil {
		return err
	}
	client, err := sharedClientKey()
	if err != nil {
		return err
	}
	s.HostKey, s.HostKeyFingerprint = host.public, ssh.FingerprintSHA256(host.public)
	s.ClientKey, s.ClientKeyPath = client.public, s.path("client_key")

	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"host_ed25519_key", host.private, 0o600},
		{"client_key", client.private, 0o600},
		{"authorized_keys", ssh.MarshalAuthorizedKey(client.public), 0o644},
	}
	for _, f := range files {
		if err := os.WriteFile(s.path(f.name), f.data, f.mode); err != nil {
			return fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	return nil
}

func (s *Server) setUsers(opts Options) error {
	u, err := user.Current()
	if err != nil {
		return fmt.Errorf("finding the current user: %w", err)
	}
	s.User = u.Username
	if opts.TestUser {
		s.TestUser, s.TestPassword = TestUser, TestPassword
	}
	if os.Geteuid() == 0 {
		// sshd refuses to start without its privilege separation directory.
		return os.MkdirAll("/run/sshd", 0o755)
	}
	return nil
}

// config is the server's sshd_config. Nothing of the machine's own sshd
// config is read.
func (s *Server) config() string {
	return fmt.Sprintf(`HostKey %s
PidFile %s
AuthorizedKeysFile %s
UsePAM no
PasswordAuthentication yes
PubkeyAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin yes
StrictModes no
UseDNS no
AllowTcpForwarding yes
MaxSessions 20
LogLevel VERBOSE
Subsystem sftp internal-sftp
`, s.path("host_ed25519_key"), s.path("sshd.pid"), s.path("authorized_keys"))
}

func (s *Server) path(name string) string { return filepath.Join(s.dir, name) }

// KnownHostsLine is the server's line for a known_hosts file.
func (s *Server) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey)
}

// LogPath is the file that the server's sshd processes log to.
func (s *Server) LogPath() string { return s.path("sshd.log") }

// Log returns what the server's sshd processes have logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogPath())
	return string(b)
}

// serve hands each connection to an sshd -i of its own.
func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.listener.Accept()
		if err != nil {
			return
		}
		if err := s.spawn(conn.(*net.TCPConn)); err != nil {
			fmt.Fprintf(os.Stderr, "sshtest: %s: %v\n", s.Addr, err)
		}
	}
}

// spawn starts sshd in inetd mode on conn, in a process group of its own so
// that KillConnections can end it with every process it forked.
func (s *Server) spawn(conn *net.TCPConn) error {
	f, err := conn.File()
	conn.Close()
	if err != nil {
		return fmt.Errorf("taking the connection's socket: %w", err)
	}
	defer f.Close()

	cmd := exec.Command(SSHDPath, "-i", "-f", s.path("sshd_config"), "-E", s.LogPath())
	cmd.Stdin, cmd.Stdout = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting sshd -i: %w", err)
	}

	s.mu.Lock()
	s.procs[cmd] = true
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = cmd.Wait()
		s.mu.Lock()
		delete(s.procs, cmd)
		s.mu.Unlock()
	}()
	return nil
}

// Connections is the number of connections the server is serving.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.procs)
}

// KillConnections kills the sshd of every open connection with SIGKILL, as
// a crashed server or a dropped link would end them, and returns how many
// it killed. Commands that the sessions started are left running, as they
// would be after a crash.
func (s *Server) KillConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()

	n := 0
	for cmd := range s.procs {
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err == nil {
			n++
		}
	}
	return n
}

// stop closes the listener, ends all connections and removes the files.
func (s *Server) stop() {
	s.listener.Close()
	s.KillConnections()
	s.wg.Wait()
	s.removeDir()
}

func (s *Server) removeDir() {
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}
