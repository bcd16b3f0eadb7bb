package host

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kubexm/kubexm/internal/failure"
	"github.com/kubexm/kubexm/internal/redact"
	"github.com/kubexm/kubexm/internal/sshtest"
)

func TestSSHLogin(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{TestUser: true})

	tests := []struct {
		name    string
		cfg     func() SSHConfig
		want    string // whoami
		wantErr failure.Category
	}{
		{name: "key", cfg: func() SSHConfig { return rootConfig(s) }, want: s.User},
		{name: "password", cfg: func() SSHConfig { return userConfig(s) }, want: s.TestUser},
		{name: "wrong password", cfg: func() SSHConfig {
			cfg := userConfig(s)
			cfg.Password = "not-the-password"
			return cfg
		}, wantErr: failure.Unreachable},
		{name: "unreadable key", cfg: func() SSHConfig {
			cfg := rootConfig(s)
			cfg.PrivateKeyPath = filepath.Join(t.TempDir(), "missing")
			return cfg
		}, wantErr: failure.Config},
		{name: "encrypted key", cfg: func() SSHConfig {
			cfg := rootConfig(s)
			cfg.PrivateKeyPath = encryptedKey(t, s.ClientKeyPath, "key-pass")
			cfg.PrivateKeyPassphrase = "key-pass"
			return cfg
		}, want: s.User},
		{name: "encrypted key without passphrase", cfg: func() SSHConfig {
			cfg := rootConfig(s)
			cfg.PrivateKeyPath = encryptedKey(t, s.ClientKeyPath, "key-pass")
			return cfg
		}, wantErr: failure.Config},
		{name: "nothing listening", cfg: func() SSHConfig {
			cfg := rootConfig(s)
			cfg.Port = closedPort(t)
			return cfg
		}, wantErr: failure.Unreachable},
		{name: "no way to log in", cfg: func() SSHConfig {
			cfg := rootConfig(s)
			cfg.PrivateKeyPath = ""
			return cfg
		}, wantErr: failure.Config},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg()
			h := newSSH(t, cfg)
			res, err := h.Run(testContext(t), Command{Cmd: "whoami"})
			if tt.wantErr != failure.Internal {
				if err == nil || failure.CategoryOf(err) != tt.wantErr {
					t.Fatalf("err = %v (%v), want a %v error", err, failure.CategoryOf(err), tt.wantErr)
				}
				if !strings.Contains(err.Error(), cfg.Name) {
					t.Errorf("error %q does not name host %s", err, cfg.Name)
				}
				if strings.Contains(err.Error(), "not-the-password") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("whoami: %v\nsshd log:\n%s", err, s.Log())
			}
			if got := strings.TrimSpace(string(res.Stdout)); got != tt.want {
				t.Errorf("whoami = %q, want %q", got, tt.want)
			}
		})
	}
}

// encryptedKey writes the key at path again, encrypted with passphrase.
func encryptedKey(t *testing.T, path, passphrase string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParseRawPrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(key, "", []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "encrypted_key")
	if err := os.WriteFile(out, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// closedPort is a loopback port that nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestSSHDialCancelled(t *testing.T) {
	t.Parallel()
	// A listener that never answers: the handshake waits until ctx ends.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := SSHConfig{Name: "silent", Address: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Password: "x", HostKeyFingerprint: "SHA256:x"}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = newSSH(t, cfg).Run(ctx, Command{Cmd: "true"})
	if !failure.Is(err, failure.Interrupted) || !strings.Contains(err.Error(), "silent") {
		t.Errorf("err = %v, want interrupted naming the host", err)
	}

	cfg.DialTimeout = 300 * time.Millisecond
	_, err = newSSH(t, cfg).Run(testContext(t), Command{Cmd: "true"})
	if !failure.Is(err, failure.Unreachable) {
		t.Errorf("err after the dial timeout = %v, want unreachable", err)
	}
}

// TestSSHAgentLogin logs in with a key that only an ssh-agent holds: an
// in-process agent on a unix socket, found through SSH_AUTH_SOCK.
func TestSSHAgentLogin(t *testing.T) {
	s := sshtest.Start(t, sshtest.Options{})
	sock := startAgent(t, s.ClientKeyPath)
	t.Setenv("SSH_AUTH_SOCK", sock)

	cfg := rootConfig(s)
	cfg.PrivateKeyPath, cfg.UseAgent = "", true
	if got := mustRun(t, newSSH(t, cfg), Command{Cmd: "whoami"}); got != s.User {
		t.Errorf("whoami = %q, want %q", got, s.User)
	}
}

func startAgent(t *testing.T, keyPath string) string {
	t.Helper()
	pem, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParseRawPrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
		t.Fatal(err)
	}

	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = agent.ServeAgent(keyring, conn)
			}()
		}
	}()
	return sock
}

func TestSSHHostKeyPinned(t *testing.T) {
	t.Parallel()
	servers := sshtest.StartMany(t, 2, sshtest.Options{})
	s, other := servers[0], servers[1]

	cfg := rootConfig(s)
	cfg.HostKeyFingerprint = other.HostKeyFingerprint
	_, err := newSSH(t, cfg).Run(testContext(t), Command{Cmd: "true"})
	if err == nil {
		t.Fatal("a host with the wrong pinned fingerprint was accepted")
	}
	if !failure.Is(err, failure.Unreachable) {
		t.Errorf("error category = %v, want unreachable", failure.CategoryOf(err))
	}
	for _, want := range []string{cfg.Name, other.HostKeyFingerprint, s.HostKeyFingerprint} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestSSHKnownHosts(t *testing.T) {
	t.Parallel()
	servers := sshtest.StartMany(t, 2, sshtest.Options{})
	s, other := servers[0], servers[1]
	knownHosts := filepath.Join(t.TempDir(), "ssh", "known_hosts")

	cfg := rootConfig(s)
	cfg.HostKeyFingerprint, cfg.KnownHostsPath = "", knownHosts
	_, err := newSSH(t, cfg).Run(testContext(t), Command{Cmd: "true"})
	if err == nil || !failure.Is(err, failure.Unreachable) {
		t.Fatalf("unknown host key without trust on first use: err = %v, want unreachable", err)
	}
	for _, want := range []string{cfg.Name, s.HostKeyFingerprint, "hostKeyFingerprint"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	tofu := cfg
	tofu.TrustOnFirstUse = true
	mustRun(t, newSSH(t, tofu), Command{Cmd: "true"})
	b, err := os.ReadFile(knownHosts)
	if err != nil || strings.TrimSpace(string(b)) != s.KnownHostsLine() {
		t.Fatalf("known_hosts = %q (%v), want %q", b, err, s.KnownHostsLine())
	}

	// Now known, the key is accepted without trust on first use.
	mustRun(t, newSSH(t, cfg), Command{Cmd: "true"})

	// A different key under a known name is refused, even with TOFU.
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, other.HostKey)
	if err := os.WriteFile(knownHosts, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = newSSH(t, tofu).Run(testContext(t), Command{Cmd: "true"})
	if err == nil {
		t.Fatal("a host key that differs from known_hosts was accepted")
	}
	for _, want := range []string{cfg.Name, other.HostKeyFingerprint, s.HostKeyFingerprint} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestSSHRun(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{TestUser: true})
	runCommandCases(t, newSSH(t, rootConfig(s)))
}

// runCommandCases checks what every Host must do with a Command.
func runCommandCases(t *testing.T, h Host) {
	tests := []struct {
		name       string
		cmd        Command
		wantOut    string
		wantCode   int
		wantStderr string
	}{
		{name: "shell syntax", cmd: Command{Cmd: "for i in 1 2; do printf $i; done; echo"},
			wantOut: "12"},
		{name: "env", cmd: Command{Cmd: `echo "$A|$B"`,
			Env: map[string]string{"A": "it's", "B": "$HOME `x` \"q\""}},
			wantOut: "it's|$HOME `x` \"q\""},
		{name: "stdin", cmd: Command{Cmd: "tr a-z A-Z", Stdin: strings.NewReader("hello\n")},
			wantOut: "HELLO"},
		{name: "exit code", cmd: Command{Cmd: "echo oops >&2; exit 3"},
			wantCode: 3, wantStderr: "oops"},
		{name: "stderr kept", cmd: Command{Cmd: "echo a; echo b >&2"},
			wantOut: "a", wantStderr: "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := h.Run(testContext(t), tt.cmd)
			var ce *CommandError
			switch {
			case tt.wantCode == 0 && err != nil:
				t.Fatalf("run: %v", err)
			case tt.wantCode != 0 && !errors.As(err, &ce):
				t.Fatalf("err = %v, want a *CommandError", err)
			case ce != nil && (ce.ExitCode != tt.wantCode || ce.Host != h.Name()):
				t.Errorf("CommandError = %+v, want code %d on %s", ce, tt.wantCode, h.Name())
			}
			if got := strings.TrimSpace(string(res.Stdout)); got != tt.wantOut {
				t.Errorf("stdout = %q, want %q", got, tt.wantOut)
			}
			// Only contains: a login shell's rc files may add to stderr.
			if got := string(res.Stderr); !strings.Contains(got, tt.wantStderr) {
				t.Errorf("stderr = %q, want %q in it", got, tt.wantStderr)
			}
			if strings.Contains(string(res.Stderr), pgidMarker) {
				t.Errorf("stderr = %q still holds the process group line", res.Stderr)
			}
			if res.ExitCode != tt.wantCode {
				t.Errorf("exit code = %d, want %d", res.ExitCode, tt.wantCode)
			}
		})
	}
}

func TestSSHSecretsBlanked(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	var rec recorder
	h := newSSH(t, rootConfig(s), WithRecorder(rec.record), WithSecrets("hostwide-s3cret"))

	_, err := h.Run(testContext(t), Command{
		Cmd:     "echo token-9f8e7d hostwide-s3cret; echo token-9f8e7d >&2; exit 1",
		Secrets: []string{"token-9f8e7d"},
	})
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *CommandError", err)
	}
	for what, text := range map[string]string{
		"error": err.Error(), "Cmd": ce.Cmd, "Stdout": string(ce.Stdout), "record": rec.text(),
	} {
		if strings.Contains(text, "token-9f8e7d") || strings.Contains(text, "hostwide-s3cret") {
			t.Errorf("%s shows a secret: %q", what, text)
		}
		if !strings.Contains(text, redact.Blank) {
			t.Errorf("%s has no blanked secret: %q", what, text)
		}
	}
}

func TestSSHSudo(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{TestUser: true})
	var rec recorder
	h := newSSH(t, userConfig(s), WithRecorder(rec.record))

	if got := mustRun(t, h, Command{Cmd: "id -u"}); got == "0" {
		t.Fatal("the test user is root; sudo would not be tested")
	}
	if got := mustRun(t, h, Command{Cmd: "id -u", Sudo: true}); got != "0" {
		t.Errorf("id -u with Sudo = %q, want 0", got)
	}
	// The password line must not reach the command's own input.
	in := Command{Cmd: "cat", Sudo: true, Stdin: strings.NewReader("data\n")}
	if got := mustRun(t, h, in); got != "data" {
		t.Errorf("cat with Sudo = %q, want %q", got, "data")
	}
	env := Command{Cmd: `echo "$K"`, Sudo: true, Env: map[string]string{"K": "v 1"}}
	if got := mustRun(t, h, env); got != "v 1" {
		t.Errorf("env through sudo = %q, want %q", got, "v 1")
	}

	_, err := h.Run(testContext(t), Command{Cmd: "echo " + s.TestPassword + "; exit 2", Sudo: true})
	if err == nil {
		t.Fatal("exit 2 gave no error")
	}
	for what, text := range map[string]string{"record": rec.text(), "error": err.Error()} {
		if strings.Contains(text, s.TestPassword) {
			t.Errorf("%s shows the password:\n%s", what, text)
		}
	}
}

func TestSSHSudoRefused(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{TestUser: true})
	cfg := userConfig(s)
	cfg.SudoPassword = "wrong-sudo-pw"

	_, err := newSSH(t, cfg).Run(testContext(t), Command{Cmd: "id -u", Sudo: true})
	if err == nil {
		t.Fatal("sudo with a wrong password worked")
	}
	if !strings.Contains(err.Error(), cfg.Name) || strings.Contains(err.Error(), "wrong-sudo-pw") {
		t.Errorf("error %q should name the host and not show the password", err)
	}
}

func TestSSHConcurrentRunsShareConnection(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	h := newSSH(t, rootConfig(s), WithMaxSessions(3))

	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() {
			res, err := h.Run(testContext(t), Command{Cmd: fmt.Sprintf("sleep 0.1; echo %d", i)})
			if err == nil && strings.TrimSpace(string(res.Stdout)) != fmt.Sprint(i) {
				err = fmt.Errorf("run %d printed %q", i, res.Stdout)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := s.Connections(); n != 1 {
		t.Errorf("server has %d connections, want 1", n)
	}
}

func TestSSHCancel(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{TestUser: true})
	tests := []struct {
		name string
		cfg  SSHConfig
		sudo bool
	}{
		{name: "login user", cfg: rootConfig(s)},
		{name: "through sudo", cfg: userConfig(s), sudo: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cancelEndsCommand(t, newSSH(t, tt.cfg), tt.sudo)
		})
	}
}

// cancelEndsCommand cancels a long command and checks that Run returns soon
// and that no process of the command is left.
func cancelEndsCommand(t *testing.T, h Host, sudo bool) {
	t.Helper()
	// A unique duration finds the processes; the compound command keeps
	// the shell from exec'ing sleep, so killing one pid would not do.
	sleep := fmt.Sprintf("sleep %d", 600+rand.IntN(10000))
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()

	start := time.Now()
	_, err := h.Run(ctx, Command{Cmd: sleep + "; echo done", Sudo: sudo})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run returned %v after cancel, want within a few seconds", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !failure.Is(err, failure.Interrupted) {
		t.Errorf("err = %v, want the context's deadline, marked interrupted", err)
	}
	waitGone(t, sleep, 3*time.Second)
}

func TestSSHConnectionCut(t *testing.T) {
	t.Parallel()
	s := sshtest.Start(t, sshtest.Options{})
	cfg := rootConfig(s)
	h := newSSH(t, cfg)
	mustRun(t, h, Command{Cmd: "true"})

	errc := make(chan error, 1)
	go func() {
		_, err := h.Run(testContext(t), Command{Cmd: "sleep 5; echo done"})
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if n := s.KillConnections(); n != 1 {
		t.Fatalf("killed %d connections, want 1", n)
	}

	select {
	case err := <-errc:
		if err == nil || !failure.Is(err, failure.Unreachable) {
			t.Fatalf("err = %v, want unreachable", err)
		}
		if !strings.Contains(err.Error(), cfg.Name) {
			t.Errorf("error %q does not name host %s", err, cfg.Name)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("Run still waiting 8s after its connection was killed")
	}

	if got := mustRun(t, h, Command{Cmd: "echo again"}); got != "again" {
		t.Errorf("after re-dial: %q, want %q", got, "again")
	}
}

func TestSSHJumpHost(t *testing.T) {
	t.Parallel()
	servers := sshtest.StartMany(t, 2, sshtest.Options{})
	bastion, target := servers[0], servers[1]

	jump := rootConfig(bastion)
	cfg := rootConfig(target)
	cfg.JumpHost = &jump
	mustRun(t, newSSH(t, cfg), Command{Cmd: "true"})
	if bastion.Connections() != 1 || target.Connections() != 1 {
		t.Errorf("connections: bastion %d, target %d, want 1 each",
			bastion.Connections(), target.Connections())
	}

	wrong := jump
	wrong.HostKeyFingerprint = target.HostKeyFingerprint
	cfg.JumpHost = &wrong
	_, err := newSSH(t, cfg).Run(testContext(t), Command{Cmd: "true"})
	if err == nil || !strings.Contains(err.Error(), jump.Name) || !failure.Is(err, failure.Unreachable) {
		t.Errorf("bad jump host key: err = %v, want unreachable naming %s", err, jump.Name)
	}
}
