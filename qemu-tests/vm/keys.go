package vm

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// keyPair is an ed25519 key kept in memory and written out in OpenSSH
// format, for tools (ssh, kubexm) that read keys from files.
type keyPair struct {
	signer ssh.Signer
	file   string // the private key, mode 0600
	public string // the authorized_keys line
}

// newKeyPair makes a key and writes its private half to path.
func newKeyPair(path, comment string) (*keyPair, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key %s: %w", path, err)
	}

	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, fmt.Errorf("encoding key %s: %w", path, err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("writing key %s: %w", path, err)
	}

	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("loading key %s: %w", path, err)
	}
	line := string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
	return &keyPair{signer: signer, file: path, public: line}, nil
}

// writeKnownHosts writes a known_hosts file in dir that names hostKey for
// the SSH endpoint addr ("127.0.0.1:port"), and returns its path.
func writeKnownHosts(dir, addr string, hostKey ssh.PublicKey) (string, error) {
	path := filepath.Join(dir, "known_hosts")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("parsing SSH address %s: %w", addr, err)
	}
	line := fmt.Sprintf("[%s]:%s %s", host, port, ssh.MarshalAuthorizedKey(hostKey))

	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		return "", fmt.Errorf("writing known hosts %s: %w", path, err)
	}
	return path, nil
}
