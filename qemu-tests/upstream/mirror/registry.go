package mirror

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// registryProcess is a running distribution registry.
type registryProcess struct {
	addr string
	cmd  *exec.Cmd
	done chan error
}

// registryConfig is the distribution configuration: filesystem storage, TLS, and htpasswd
// authentication when a user is set.
const registryConfig = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
http:
  addr: %q
  secret: %q
  tls:
    certificate: %q
    key: %q
`

const registryAuth = `auth:
  htpasswd:
    realm: kubexm-mirror
    path: %q
`

// startRegistry runs the registry program bin with its storage in data, serving TLS with
// the certificate in certFile and keyFile on a free loopback port of host.
func startRegistry(ctx context.Context, o registryOptions) (*registryProcess, error) {
	addr, err := freeAddr(o.host)
	if err != nil {
		return nil, err
	}

	config := fmt.Sprintf(registryConfig, o.data, addr, rand.Text(), o.certFile, o.keyFile)
	if o.user != "" {
		htpasswd := filepath.Join(o.runDir, "htpasswd")
		if err := writeHtpasswd(htpasswd, o.user, o.password); err != nil {
			return nil, err
		}
		config += fmt.Sprintf(registryAuth, htpasswd)
	}
	configFile := filepath.Join(o.runDir, "registry.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o644); err != nil {
		return nil, fmt.Errorf("writing registry config %s: %w", configFile, err)
	}

	p := &registryProcess{addr: addr, done: make(chan error, 1)}
	p.cmd = exec.Command(o.bin, "serve", configFile)
	// distribution exports traces to an OpenTelemetry collector on localhost by default.
	p.cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
	if err := os.MkdirAll(filepath.Dir(o.logName), 0o755); err != nil {
		return nil, fmt.Errorf("creating the registry log folder: %w", err)
	}
	logFile, err := os.OpenFile(o.logName, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening registry log %s: %w", o.logName, err)
	}
	defer logFile.Close()
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting registry %s: %w", o.bin, err)
	}
	go func() { p.done <- p.cmd.Wait() }()

	if err := p.waitReady(ctx, o.tls); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w (see %s)", err, o.logName)
	}
	return p, nil
}

// registryOptions are what startRegistry needs.
type registryOptions struct {
	bin, data, runDir, host string
	certFile, keyFile       string
	user, password          string
	tls                     *tls.Config
	// logName is the file the registry's output is appended to.
	logName string
}

// waitReady polls the registry's API root until it answers; 401 counts, as it means auth is on.
func (p *registryProcess) waitReady(ctx context.Context, cfg *tls.Config) error {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg},
		Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			return fmt.Errorf("registry on %s exited at start: %w", p.addr, err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}

		resp, err := client.Get("https://" + p.addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
	}
	return fmt.Errorf("registry on %s: not answering after 30s", p.addr)
}

// stop ends the registry and waits for it.
func (p *registryProcess) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func writeHtpasswd(name, user, password string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hashing the registry password: %w", err)
	}
	if err := os.WriteFile(name, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// freeAddr finds a free TCP port on host. The port is free when asked; the server that takes
// it is started right after.
func freeAddr(host string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("finding a free port on %s: %w", host, err)
	}
	defer l.Close()

	return l.Addr().String(), nil
}
