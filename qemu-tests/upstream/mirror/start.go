package mirror

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
)

// Start runs a mirror for the test t, with the options the environment gives (the cache
// folder of CacheDir, the fixtures of KUBEXM_UPSTREAM_FIXTURES), and stops it when t ends.
// A cold cache takes about half an hour to build; a warm one, seconds.
func Start(t testing.TB) *Mirror {
	return StartWith(t, Options{})
}

// StartWith is Start with options, e.g. basic auth on the registry.
func StartWith(t testing.TB, o Options) *Mirror {
	t.Helper()

	if o.Log == nil {
		o.Log = testLog{t}
	}
	m, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("starting the upstream mirror: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("stopping the upstream mirror: %v", err)
		}
	})
	return m
}

// testLog passes progress lines to the test log.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(p))
	return len(p), nil
}

// fixturesDir is $KUBEXM_UPSTREAM_FIXTURES, or ../shared/fixtures/upstream beside the
// repository that holds the working folder.
func fixturesDir() string {
	if dir := os.Getenv("KUBEXM_UPSTREAM_FIXTURES"); dir != "" {
		return dir
	}

	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "fixtures", "upstream")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func newPool(pemData []byte) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemData)
	return pool
}
