package charts

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/registry"
)

// ociRegistry is a docker-registry process (the Debian package) on a free
// loopback port: plain HTTP and open, or TLS from a test CA with basic auth
// for user "kubexm", password "secret".
type ociRegistry struct {
	host   string // 127.0.0.1:port
	caFile string // set with TLS
	log    string
}

// startRegistry runs a registry for the test's lifetime.
func startRegistry(t *testing.T, secure bool) *ociRegistry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		missing(t, "the OCI tests run docker-registry (Debian package docker-registry): %v", err)
	}
	dir := t.TempDir()
	r := &ociRegistry{host: freeAddr(t), log: filepath.Join(dir, "registry.log")}

	cfg := fmt.Sprintf("version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\n"+
		"storage: {filesystem: {rootdirectory: %s}}\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), r.host)
	if secure {
		cert, key := r.certificates(t, dir)
		cfg += fmt.Sprintf("  tls: {certificate: %s, key: %s}\n", cert, key)
		cfg += fmt.Sprintf("auth: {htpasswd: {realm: kubexm-test, path: %s}}\n",
			htpasswd(t, dir))
	}
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	r.run(t, bin, cfgFile)
	return r
}

// run starts the registry and waits until it answers.
func (r *ociRegistry) run(t *testing.T, bin, cfgFile string) {
	t.Helper()
	log, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgFile)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
	})

	hc, err := Options{CAFile: r.caFile}.httpClient(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	scheme := map[bool]string{true: "https", false: "http"}[r.caFile != ""]
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := hc.Get(scheme + "://" + r.host + "/v2/")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(r.log)
			t.Fatalf("docker-registry on %s does not answer: %v\n%s", r.host, err, out)
		}
	}
}

// push stores a chart archive in the registry under charts/<name>:<version>,
// with the Helm SDK's registry client.
func (r *ociRegistry) push(t *testing.T, archive string) {
	t.Helper()
	ch, err := loader.LoadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := Options{CAFile: r.caFile}.httpClient(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}

	opts := []registry.ClientOption{registry.ClientOptHTTPClient(hc)}
	if r.caFile == "" {
		opts = append(opts, registry.ClientOptPlainHTTP())
	} else {
		opts = append(opts, registry.ClientOptBasicAuth("kubexm", "secret"))
	}
	client, err := registry.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprintf("%s/charts/%s:%s", r.host, ch.Name(), ch.Metadata.Version)
	if _, err := client.Push(data, ref); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}

// certificates makes a CA (written to r.caFile) and a server certificate
// for 127.0.0.1 that it signs.
func (r *ociRegistry) certificates(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	caKey, caDER := certificate(t, &x509.Certificate{SerialNumber: big.NewInt(1),
		Subject: pkix.Name{CommonName: "kubexm test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)},
		nil, nil)
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, srvDER := certificate(t, &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)},
		caCert, caKey)

	r.caFile = filepath.Join(dir, "ca.pem")
	cert, key = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	writePEM(t, r.caFile, "CERTIFICATE", caDER)
	writePEM(t, cert, "CERTIFICATE", srvDER)
	der, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, key, "EC PRIVATE KEY", der)
	return cert, key
}

// certificate makes a key and a certificate from tmpl, signed by parent
// (itself when parent is nil).
func certificate(t *testing.T, tmpl, parent *x509.Certificate,
	parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

func writePEM(t *testing.T, file, kind string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// htpasswd writes the registry's password file for kubexm:secret.
func htpasswd(t *testing.T, dir string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(file, []byte("kubexm:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// freeAddr is a loopback address that nothing listened on a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
