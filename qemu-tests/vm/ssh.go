package vm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Target is what a test needs to point kubexm (a cluster config, the
// preflight command) at a VM: where its sshd answers and how to log in.
type Target struct {
	// Name is the VM's host name.
	Name string

	// Host and Port are the SSH endpoint on the test machine.
	Host string
	Port int

	// Address is the VM's address on its private network, the address
	// the other VMs reach it at.
	Address string

	// RootUser logs in with KeyFile; SudoUser too, and needs
	// SudoPassword for sudo.
	RootUser, SudoUser, SudoPassword string

	// KeyFile is the private key file; KnownHostsFile holds the VM's
	// host key for [Host]:Port.
	KeyFile, KnownHostsFile string
}

// Target returns the VM's SSH endpoint and credentials.
func (v *VM) Target() Target {
	host, port, _ := net.SplitHostPort(v.SSHAddr)
	p, _ := strconv.Atoi(port)

	addr := ""
	if v.Address.IsValid() {
		addr = v.Address.String()
	}
	return Target{
		Name: v.Name, Host: host, Port: p, Address: addr,
		RootUser: "root", SudoUser: SudoUser, SudoPassword: SudoPassword,
		KeyFile: v.KeyFile, KnownHostsFile: v.KnownHostsFile,
	}
}

// Fingerprint is the SHA256 fingerprint of the VM's host key, read from its
// known_hosts file, to pin in a cluster config as an operator would.
func (tg Target) Fingerprint(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(tg.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	_, _, key, _, _, err := ssh.ParseKnownHosts(data)
	if err != nil {
		t.Fatalf("%s: %v", tg.KnownHostsFile, err)
	}
	return ssh.FingerprintSHA256(key)
}

// WaitSSH waits until sshd accepts root's key, QEMU exits, or the boot
// timeout passes, and records BootTime.
func (v *VM) WaitSSH() error {
	deadline := v.started.Add(v.timeout)
	err := errors.New("no SSH banner yet")
	for {
		if v.bannerUp() {
			var c *ssh.Client
			if c, err = v.Dial("root"); err == nil {
				v.BootTime = time.Since(v.started)
				return c.Close()
			}
		}

		if exit := v.exitedErr(); exit != nil {
			return fmt.Errorf("waiting for sshd of %s (console log %s): %w",
				v.Name, v.ConsoleLog, exit)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for sshd of %s (console log %s): not up in %s: %w",
				v.Name, v.ConsoleLog, v.timeout, err)
		}
		time.Sleep(time.Second)
	}
}

// bannerUp reports whether sshd sends its banner. The user-mode network
// accepts a connection even while the guest is not listening and holds it
// until it gives up on the guest; waiting for the banner with a short
// deadline notices sshd within seconds, where a full handshake attempt
// would block for its whole deadline.
func (v *VM) bannerUp() bool {
	conn, err := net.DialTimeout("tcp", v.SSHAddr, 2*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()

	conn.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4)
	_, err = io.ReadFull(conn, buf)
	return err == nil && string(buf) == "SSH-"
}

// Dial logs in to the VM as user with the VM's key, checking its host key.
func (v *VM) Dial(user string) (*ssh.Client, error) {
	conn, err := net.DialTimeout("tcp", v.SSHAddr, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s at %s: %w", v.Name, v.SSHAddr, err)
	}

	// The user-mode network accepts the TCP connection before the guest
	// does; a deadline keeps the handshake from hanging while it boots.
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	cfg := &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(v.key.signer)},
		HostKeyCallback: ssh.FixedHostKey(v.hostKey),
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, v.SSHAddr, cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("logging in to %s as %s: %w", v.Name, user, err)
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// Run runs a shell command on the VM as user and returns its standard
// output; an error carries the exit status and standard error. Runs share
// one connection per user, since each SSH handshake costs seconds under
// TCG.
func (v *VM) Run(user, cmd string) (string, error) {
	s, err := v.session(user)
	if err != nil {
		return "", err
	}
	defer s.Close()

	var stdout, stderr bytes.Buffer
	s.Stdout, s.Stderr = &stdout, &stderr
	if err := s.Run(cmd); err != nil {
		return stdout.String(), fmt.Errorf("running %q on %s as %s: %w: %s",
			cmd, v.Name, user, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

// session opens a session on the user's shared connection, dialling
// again if the connection has broken.
func (v *VM) session(user string) (*ssh.Session, error) {
	v.mu.Lock()
	defer v.mu.Unlock()

	if c := v.clients[user]; c != nil {
		if s, err := c.NewSession(); err == nil {
			return s, nil
		}
		c.Close()
		delete(v.clients, user)
	}

	c, err := v.Dial(user)
	if err != nil {
		return nil, err
	}
	s, err := c.NewSession()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("opening a session on %s as %s: %w", v.Name, user, err)
	}
	if v.clients == nil {
		v.clients = map[string]*ssh.Client{}
	}
	v.clients[user] = c
	return s, nil
}

// closeClients closes the shared connections.
func (v *VM) closeClients() {
	v.mu.Lock()
	defer v.mu.Unlock()

	for user, c := range v.clients {
		c.Close()
		delete(v.clients, user)
	}
}

// MustRun is Run that fails the test on error.
func (v *VM) MustRun(t testing.TB, user, cmd string) string {
	t.Helper()

	out, err := v.Run(user, cmd)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
