package sshtest

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// dialServer logs in to s as user with auth, checking the host key.
func dialServer(t *testing.T, s *Server, user string, auth ssh.AuthMethod) *ssh.Client {
	t.Helper()
	c, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
		Timeout:         10 * time.Second,
	})
	if err != nil {
		t.Fatalf("logging in to %s as %s: %v\nsshd log:\n%s", s.Addr, user, err, s.Log())
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func keyAuth(t *testing.T, s *Server) ssh.AuthMethod {
	t.Helper()
	pem, err := os.ReadFile(s.ClientKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.PublicKeys(signer)
}

func output(t *testing.T, c *ssh.Client, cmd string, stdin string) string {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	sess.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	sess.Stderr = &stderr
	out, err := sess.Output(cmd)
	if err != nil {
		t.Fatalf("%s: %v: %s", cmd, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func TestServerKeyLogin(t *testing.T) {
	s := Start(t, Options{})
	c := dialServer(t, s, s.User, keyAuth(t, s))

	if got := output(t, c, "whoami", ""); got != s.User {
		t.Errorf("whoami = %q, want %q", got, s.User)
	}
	if s.Connections() != 1 {
		t.Errorf("Connections() = %d, want 1", s.Connections())
	}
}

func TestServerTestUserSudoNeedsPassword(t *testing.T) {
	s := Start(t, Options{TestUser: true})
	c := dialServer(t, s, s.TestUser, ssh.Password(s.TestPassword))

	if got := output(t, c, "id -un", ""); got != TestUser {
		t.Errorf("id -un = %q, want %q", got, TestUser)
	}
	if got := output(t, c, "sudo -k -S -p '' id -u", s.TestPassword+"\n"); got != "0" {
		t.Errorf("sudo id -u = %q, want 0", got)
	}

	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Run("sudo -k -n true"); err == nil {
		t.Error("sudo -n worked without a password; the test user's sudo must need one")
	}
}

func TestKillConnectionsEndsClient(t *testing.T) {
	s := Start(t, Options{})
	c := dialServer(t, s, s.User, keyAuth(t, s))
	output(t, c, "true", "")

	if n := s.KillConnections(); n != 1 {
		t.Fatalf("KillConnections() = %d, want 1", n)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("client connection still open 5s after KillConnections")
	}
}

func TestStartMany(t *testing.T) {
	servers := StartMany(t, 20, Options{})
	seen := map[string]bool{}
	for _, s := range servers {
		if seen[s.Addr] || seen[s.HostKeyFingerprint] {
			t.Fatalf("server %s shares an address or host key", s.Addr)
		}
		seen[s.Addr], seen[s.HostKeyFingerprint] = true, true
	}
	c := dialServer(t, servers[19], servers[19].User, keyAuth(t, servers[19]))
	output(t, c, "true", "")
}
