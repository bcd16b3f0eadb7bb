package fetch

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// HTTPClient returns the HTTP client of downloads from mirrors behind a private CA: it
// trusts the system's roots and the PEM certificates in caFile (the config's
// artifacts.caBundle). With caFile empty it is http.DefaultClient. Images and charts load
// the same file into their own transports; this one is for fetch.Client.HTTP.
func HTTPClient(caFile string) (*http.Client, error) {
	if caFile == "" {
		return http.DefaultClient, nil
	}
	pool, err := CAPool(caFile)
	if err != nil {
		return nil, err
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t}, nil
}

// CAPool is the system's trusted roots plus the PEM certificates of the CA
// bundle file: what every download of make-tar (files, images, charts,
// packages) trusts when the config names artifacts.caBundle.
func CAPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the CA bundle: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the CA bundle %s holds no PEM certificate", file)
	}
	return pool, nil
}

// untrustedCertificate tells whether err is a server certificate that failed
// verification: no attempt after it can succeed, so it is not retried, and the message
// says where a private CA goes.
func untrustedCertificate(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid)
}
