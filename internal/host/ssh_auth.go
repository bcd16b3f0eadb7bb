package host

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/kubexm/kubexm/internal/failure"
)

// clientConfig builds the login and host key settings for cfg. release
// closes the agent connection once the handshake is over.
func clientConfig(cfg SSHConfig, addr string) (*ssh.ClientConfig, func(), error) {
	hostKey, algos, err := hostKeyCheck(cfg, addr)
	if err != nil {
		return nil, nil, err
	}

	auth, release, err := authMethods(cfg)
	if err != nil {
		return nil, nil, err
	}
	return &ssh.ClientConfig{
		User:              cfg.User,
		Auth:              auth,
		HostKeyCallback:   hostKey,
		HostKeyAlgorithms: algos,
		Timeout:           cfg.DialTimeout,
	}, release, nil
}

// authMethods offers, in this order, the private key and the agent's keys,
// then the password, also as keyboard-interactive for servers that ask for
// it that way.
func authMethods(cfg SSHConfig) ([]ssh.AuthMethod, func(), error) {
	var signers []ssh.Signer
	if cfg.PrivateKeyPath != "" {
		s, err := loadKey(cfg)
		if err != nil {
			return nil, nil, err
		}
		signers = append(signers, s)
	}

	ag, release, err := openAgent(cfg)
	if err != nil {
		return nil, nil, err
	}

	var methods []ssh.AuthMethod
	if len(signers) > 0 || ag != nil {
		methods = append(methods, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			return withAgentSigners(signers, ag), nil
		}))
	}
	if cfg.Password != "" {
		methods = append(methods, ssh.Password(cfg.Password),
			ssh.KeyboardInteractive(answerWith(cfg.Password)))
	}
	if len(methods) == 0 {
		release()
		return nil, nil, failure.Wrap(failure.Config, fmt.Errorf(
			"host %s: no way to log in: set a password, a private key or the agent", cfg.Name))
	}
	return methods, release, nil
}

// withAgentSigners adds the agent's keys after the key file's. An agent
// that fails to list them just offers none.
func withAgentSigners(signers []ssh.Signer, ag agent.ExtendedAgent) []ssh.Signer {
	if ag == nil {
		return signers
	}
	more, err := ag.Signers()
	if err != nil {
		return signers
	}
	return append(append([]ssh.Signer{}, signers...), more...)
}

func loadKey(cfg SSHConfig) (ssh.Signer, error) {
	pem, err := os.ReadFile(cfg.PrivateKeyPath)
	if err != nil {
		return nil, failure.Wrap(failure.Config,
			fmt.Errorf("host %s: reading private key: %w", cfg.Name, err))
	}

	s, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) && cfg.PrivateKeyPassphrase != "" {
		s, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(cfg.PrivateKeyPassphrase))
	}
	if err != nil {
		return nil, failure.Wrap(failure.Config, fmt.Errorf(
			"host %s: reading private key %s: %w", cfg.Name, cfg.PrivateKeyPath, err))
	}
	return s, nil
}

// openAgent connects to the ssh-agent when cfg asks for it.
func openAgent(cfg SSHConfig) (agent.ExtendedAgent, func(), error) {
	if !cfg.UseAgent {
		return nil, func() {}, nil
	}
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, nil, failure.Wrap(failure.Config, fmt.Errorf(
			"host %s: useAgent is set but SSH_AUTH_SOCK is not", cfg.Name))
	}

	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, nil, failure.Wrap(failure.Config,
			fmt.Errorf("host %s: connecting to the ssh-agent: %w", cfg.Name, err))
	}
	return agent.NewClient(conn), func() { conn.Close() }, nil
}

// answerWith answers every keyboard-interactive question with password:
// that is how sshd asks for a password through PAM.
func answerWith(password string) ssh.KeyboardInteractiveChallenge {
	return func(_, _ string, questions []string, _ []bool) ([]string, error) {
		answers := make([]string, len(questions))
		for i := range answers {
			answers[i] = password
		}
		return answers, nil
	}
}
