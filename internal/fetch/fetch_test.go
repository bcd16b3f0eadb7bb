package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubexm/kubexm/qemu-tests/upstream/faultserver"
)

// mirror serves a 200 KiB release file and its checksum file through the
// upstream mirror's fault-injecting file server.
func mirror(t *testing.T) (*faultserver.Server, string, []byte) {
	t.Helper()
	root := t.TempDir()
	data := make([]byte, 200<<10)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range data {
		data[i] = byte(rng.IntN(256))
	}
	sum := sha256.Sum256(data)
	dir := filepath.Join(root, "release/v1.37.2/bin/linux/amd64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kubeadm"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kubeadm.sha256"),
		[]byte(hex.EncodeToString(sum[:])+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := faultserver.New(root)
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	return fs, srv.URL, data
}

const kubeadm = "/release/v1.37.2/bin/linux/amd64/kubeadm"

func fastClient() *Client { return &Client{Backoff: 10 * time.Millisecond} }

// download fetches kubeadm with the checksum the mirror publishes.
func download(t *testing.T, c *Client, base string) (string, error) {
	t.Helper()
	sumFile, err := c.Bytes(context.Background(), base+kubeadm+".sha256")
	if err != nil {
		return "", err
	}
	want, err := ParseChecksum(sumFile, "kubeadm")
	if err != nil {
		return "", err
	}
	dst := filepath.Join(t.TempDir(), "kubeadm")
	return dst, c.File(context.Background(), base+kubeadm, dst, want)
}

func TestDownloadsAndFaults(t *testing.T) {
	tests := []struct {
		name     string
		fault    faultserver.Fault
		onSum    bool // the fault is on the checksum file
		wantErr  string
		wantHits int // requests for the file, 0 for any
	}{
		{name: "clean", wantHits: 1},
		{name: "cut mid-file resumes with Range", fault: faultserver.Fault{CutAfter: 90 << 10},
			wantHits: 3},
		{name: "500 then success", fault: faultserver.Fault{FailFirst: 2}, wantHits: 3},
		{name: "429 honours Retry-After", fault: faultserver.Fault{FailFirst: 1,
			FailStatus: http.StatusTooManyRequests}, wantHits: 2},
		{name: "500 until the retries run out", fault: faultserver.Fault{FailFirst: 100},
			wantErr: "500 Internal Server Error", wantHits: 6},
		{name: "wrong checksum published", fault: faultserver.Fault{WrongChecksum: true},
			onSum: true, wantErr: "checksum mismatch"},
		{name: "not found", fault: faultserver.Fault{FailFirst: 100, FailStatus: 404},
			wantErr: "404 Not Found: no such file upstream", wantHits: 1},
		{name: "unauthorized", fault: faultserver.Fault{FailFirst: 100, FailStatus: 401},
			wantErr: "refused the credentials", wantHits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs, base, data := mirror(t)
			target := kubeadm
			if tt.onSum {
				target += ".sha256"
			}
			fs.SetFault(target, tt.fault)

			dst, err := download(t, fastClient(), base)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) ||
					!strings.Contains(err.Error(), "kubeadm") {
					t.Fatalf("err = %v, want %q naming the file", err, tt.wantErr)
				}
				if _, err := os.Stat(dst); err == nil {
					t.Errorf("%s exists after a failed download", dst)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				got, _ := os.ReadFile(dst)
				if string(got) != string(data) {
					t.Errorf("downloaded content differs")
				}
				if _, err := os.Stat(dst + ".partial"); err == nil {
					t.Errorf("the partial file is left behind")
				}
			}
			if tt.wantHits > 0 && fs.Hits(kubeadm) != tt.wantHits {
				t.Errorf("%d requests for the file, want %d", fs.Hits(kubeadm), tt.wantHits)
			}
		})
	}
}

func TestCancelStopsRetrying(t *testing.T) {
	fs, base, _ := mirror(t)
	fs.SetFault(kubeadm, faultserver.Fault{FailFirst: 100})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c := &Client{Backoff: time.Hour}
	err := c.File(ctx, base+kubeadm, filepath.Join(t.TempDir(), "k"), "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
}

func TestErrorsHidePasswordsInURLs(t *testing.T) {
	fs, base, _ := mirror(t)
	fs.SetFault(kubeadm, faultserver.Fault{FailFirst: 100, FailStatus: 404})
	u := strings.Replace(base, "http://", "http://user:hunter2@", 1) + kubeadm
	err := fastClient().File(context.Background(), u, filepath.Join(t.TempDir(), "k"), "")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v, want an error without the password", err)
	}
}

func TestParseChecksum(t *testing.T) {
	const d = "4f6ca8e1e4b64a2b5d8a18b2d9dbd58c2a0e5cf1f4a3f8e3d3e2b1a0f9e8d7c6"
	tests := []struct {
		name, data, file, want, err string
	}{
		{name: "bare digest", data: d + "\n", file: "kubeadm", want: d},
		{name: "sha256sum line", data: d + "  containerd-2.4.2-linux-amd64.tar.gz\n",
			file: "containerd-2.4.2-linux-amd64.tar.gz", want: d},
		{name: "binary marker", data: d + " *runc.amd64\n", file: "runc.amd64", want: d},
		{name: "many lines", data: strings.Repeat("0", 64) + "  etcd-v3.7.3-linux-arm64.tar.gz\n" +
			d + "  etcd-v3.7.3-linux-amd64.tar.gz\n", file: "etcd-v3.7.3-linux-amd64.tar.gz", want: d},
		{name: "path in the name", data: d + "  ./dist/helm-v4.3.2-linux-amd64.tar.gz\n",
			file: "helm-v4.3.2-linux-amd64.tar.gz", want: d},
		{name: "bsd format", data: "SHA256 (crictl.tar.gz) = " + strings.ToUpper(d) + "\n",
			file: "crictl.tar.gz", want: d},
		{name: "two digests for one name", data: d + "  kubeadm\n" + strings.Repeat("1", 64) +
			"  ./kubeadm\n", file: "kubeadm", err: "two different sha256 digests"},
		{name: "file not listed", data: d + "  other\n", file: "kubeadm",
			err: "no sha256 for kubeadm"},
		{name: "not a digest", data: "<html>404</html>", file: "kubeadm",
			err: "no sha256 for kubeadm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChecksum([]byte(tt.data), tt.file)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestResumeRefusesAMismatchedRange serves a 206 that starts at byte 0
// whatever range was asked: appending it would corrupt the file.
func TestResumeRefusesAMismatchedRange(t *testing.T) {
	const body = "0123456789abcdefghij"
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.Header.Get("Range") != "" && calls == 1 {
			w.Header().Set("Content-Range", "bytes 0-19/20")
			w.WriteHeader(http.StatusPartialContent)
			w.Write([]byte(body))
			return
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()
	dst := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(dst+".partial", []byte("01234"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := fastClient().File(context.Background(), srv.URL, dst,
		hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != body || calls != 2 {
		t.Errorf("file = %q after %d requests, want %q after 2", got, calls, body)
	}
}
