package host

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kubexm/kubexm/internal/failure"
)

// hostKeyError is a host key that kubexm refuses: a mismatch with the pinned
// or known key, or a key it does not know. Its message says what to do.
type hostKeyError struct {
	msg string
}

func (e *hostKeyError) Error() string { return e.msg }

// hostKeyCheck returns the callback that checks the server's key for cfg,
// and the host key algorithms to ask for: those of the keys known_hosts has
// for the host, so that a server with several keys shows the known one.
func hostKeyCheck(cfg SSHConfig, addr string) (ssh.HostKeyCallback, []string, error) {
	if cfg.HostKeyFingerprint != "" {
		cb, err := pinnedKey(cfg)
		return cb, nil, err
	}

	path, err := knownHostsPath(cfg)
	if err != nil {
		return nil, nil, err
	}
	known, err := knownhosts.New(path)
	if errors.Is(err, fs.ErrNotExist) {
		known, err = knownhosts.New(os.DevNull)
	}
	if err != nil {
		return nil, nil, failure.Wrap(failure.Config,
			fmt.Errorf("host %s: reading known hosts %s: %w", cfg.Name, path, err))
	}
	return knownKey(cfg, path, known), knownAlgorithms(known, addr), nil
}

// pinnedKey accepts only the key whose SHA-256 fingerprint cfg pins.
func pinnedKey(cfg SSHConfig) (ssh.HostKeyCallback, error) {
	want := strings.TrimRight(strings.TrimSpace(cfg.HostKeyFingerprint), "=")
	if !strings.HasPrefix(want, "SHA256:") {
		return nil, failure.Wrap(failure.Config, fmt.Errorf(
			"host %s: host key fingerprint %q: want the SHA256:... form that ssh-keygen -lf prints",
			cfg.Name, cfg.HostKeyFingerprint))
	}

	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		got := ssh.FingerprintSHA256(key)
		if got == want {
			return nil
		}
		return &hostKeyError{msg: fmt.Sprintf(
			"host key of %s does not match the pinned one: expected %s, the host presented %s %s;"+
				" if the host was reinstalled, pin the new fingerprint, else someone may be"+
				" intercepting the connection", cfg.Name, want, key.Type(), got)}
	}, nil
}

// knownKey checks the key against known_hosts, and on first use appends it
// there if cfg trusts on first use.
func knownKey(cfg SSHConfig, path string, known ssh.HostKeyCallback) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := known(hostname, remote, key)
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) {
			return err
		}

		got := ssh.FingerprintSHA256(key)
		if len(ke.Want) > 0 {
			w := ke.Want[0]
			return &hostKeyError{msg: fmt.Sprintf(
				"host key of %s does not match %s line %d: expected %s, the host presented %s %s;"+
					" if the host was reinstalled, remove the old key with ssh-keygen -R %s",
				cfg.Name, w.Filename, w.Line, ssh.FingerprintSHA256(w.Key), key.Type(), got,
				knownhosts.Normalize(hostname))}
		}

		if !cfg.TrustOnFirstUse {
			return &hostKeyError{msg: fmt.Sprintf(
				"host key of %s is unknown: the host presented %s %s, which %s does not list;"+
					" check it on the host with ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub, then pin"+
					" it as hostKeyFingerprint: %s, or add it to known_hosts, or allow"+
					" trustOnFirstUse", cfg.Name, key.Type(), got, path, got)}
		}
		return remember(path, hostname, key)
	}
}

// knownHostsMu serialises appends to known_hosts files by this process.
var knownHostsMu sync.Mutex

// remember appends the host's key to known_hosts, creating the file (and
// its directory) if needed.
func remember(path, hostname string, key ssh.PublicKey) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()

	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("recording host key in %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("recording host key in %s: %w", path, err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key) + "\n"
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("recording host key in %s: %w", path, err)
	}
	return f.Close()
}

func knownHostsPath(cfg SSHConfig) (string, error) {
	if cfg.KnownHostsPath != "" {
		return cfg.KnownHostsPath, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", failure.Wrap(failure.Config,
			fmt.Errorf("host %s: finding ~/.ssh/known_hosts: %w", cfg.Name, err))
	}
	return filepath.Join(home, ".ssh", "known_hosts"), nil
}

// probeKey is a key no host has, shown to known_hosts to learn which keys
// it does have for a host.
var probeKey = func() ssh.PublicKey {
	pub, _, _ := ed25519.GenerateKey(nil)
	k, _ := ssh.NewPublicKey(pub)
	return k
}()

// knownAlgorithms lists the host key algorithms of the keys known for addr,
// or nil (any) when none is known.
func knownAlgorithms(known ssh.HostKeyCallback, addr string) []string {
	var ke *knownhosts.KeyError
	err := known(addr, &net.TCPAddr{IP: net.IPv4zero}, probeKey)
	if !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil
	}

	var algos []string
	for _, w := range ke.Want {
		if w.Key.Type() == ssh.KeyAlgoRSA {
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256)
		}
		algos = append(algos, w.Key.Type())
	}
	return algos
}
