package sshtest

import (
	"crypto/ed25519"
	"encoding/pem"
	"fmt"
	"sync"

	"golang.org/x/crypto/ssh"
)

// keyPair is a key in the two forms sshd and clients read.
type keyPair struct {
	private []byte // OpenSSH PEM
	public  ssh.PublicKey
}

// newKeyPair makes an ed25519 key: generating one takes microseconds, so
// every server can have keys of its own.
func newKeyPair() (keyPair, error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return keyPair{}, fmt.Errorf("generating ed25519 key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return keyPair{}, fmt.Errorf("encoding ed25519 key: %w", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return keyPair{}, fmt.Errorf("encoding ed25519 public key: %w", err)
	}
	return keyPair{private: pem.EncodeToMemory(block), public: sshPub}, nil
}

// sharedClientKey is the client key of all servers in a test binary, so
// that one key file logs in everywhere.
var sharedClientKey = sync.OnceValues(newKeyPair)
