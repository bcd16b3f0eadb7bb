package faultserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testFiles writes a release file and its checksum file, as upstream lays them out.
func testFiles(t *testing.T) (root string, body []byte) {
	t.Helper()

	root = t.TempDir()
	dir := filepath.Join(root, "release", "v1", "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	body = bytes.Repeat([]byte("0123456789"), 1000)
	sum := sha256.Sum256(body)
	sumLine := hex.EncodeToString(sum[:]) + "  tool\n"
	if err := os.WriteFile(filepath.Join(dir, "tool"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tool.sha256sum"), []byte(sumLine), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, body
}

type answer struct {
	status int
	header http.Header
	body   []byte
	err    error
	took   time.Duration
}

func get(t *testing.T, method, url string, header map[string]string) answer {
	t.Helper()

	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}

	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, body, err, time.Since(start)}
}

func TestServer(t *testing.T) {
	t.Parallel()

	const file = "/release/v1/bin/tool"
	const sumFile = file + ".sha256sum"
	root, body := testFiles(t)
	good := sha256.Sum256(body)
	goodHex := hex.EncodeToString(good[:])

	tests := []struct {
		name   string
		path   string
		method string
		fault  *Fault
		header map[string]string
		tries  int
		check  func(t *testing.T, answers []answer)
	}{
		{
			name: "whole file",
			path: file,
			check: func(t *testing.T, a []answer) {
				wantOK(t, a[0], http.StatusOK)
				if !bytes.Equal(a[0].body, body) {
					t.Errorf("body differs from the file: %d bytes", len(a[0].body))
				}
			},
		},
		{
			name:   "range",
			path:   file,
			header: map[string]string{"Range": "bytes=5-14"},
			check: func(t *testing.T, a []answer) {
				wantOK(t, a[0], http.StatusPartialContent)
				if got := string(a[0].body); got != "5678901234" {
					t.Errorf("range body = %q, want %q", got, "5678901234")
				}
			},
		},
		{
			name:   "head carries the length",
			path:   file,
			method: http.MethodHead,
			check: func(t *testing.T, a []answer) {
				wantOK(t, a[0], http.StatusOK)
				if got := a[0].header.Get("Content-Length"); got != fmt.Sprint(len(body)) {
					t.Errorf("Content-Length = %q, want %d", got, len(body))
				}
			},
		},
		{
			name:  "cut after 1234 bytes",
			path:  file,
			fault: &Fault{CutAfter: 1234},
			check: func(t *testing.T, a []answer) {
				if a[0].err == nil || !errors.Is(a[0].err, io.ErrUnexpectedEOF) {
					t.Errorf("read error = %v, want unexpected EOF", a[0].err)
				}
				if len(a[0].body) != 1234 {
					t.Errorf("got %d bytes before the cut, want 1234", len(a[0].body))
				}
			},
		},
		{
			name:   "cut applies inside a range too",
			path:   file,
			fault:  &Fault{CutAfter: 10},
			header: map[string]string{"Range": "bytes=100-"},
			check: func(t *testing.T, a []answer) {
				if a[0].err == nil || a[0].status != http.StatusPartialContent {
					t.Errorf("status %d, error %v: want 206 and a cut", a[0].status, a[0].err)
				}
				if string(a[0].body) != string(body[100:110]) {
					t.Errorf("got %q before the cut, want %q", a[0].body, body[100:110])
				}
			},
		},
		{
			name:  "wrong checksum",
			path:  sumFile,
			fault: &Fault{WrongChecksum: true},
			check: func(t *testing.T, a []answer) {
				wantOK(t, a[0], http.StatusOK)
				fields := strings.Fields(string(a[0].body))
				if len(fields) != 2 || fields[1] != "tool" || len(fields[0]) != 64 {
					t.Fatalf("checksum file lost its format: %q", a[0].body)
				}
				if fields[0] == goodHex {
					t.Errorf("checksum still matches the file")
				}
			},
		},
		{
			name: "right checksum without the fault",
			path: sumFile,
			check: func(t *testing.T, a []answer) {
				wantOK(t, a[0], http.StatusOK)
				if got := string(a[0].body); got != goodHex+"  tool\n" {
					t.Errorf("checksum file = %q", got)
				}
			},
		},
		{
			name:  "delay",
			path:  file,
			fault: &Fault{Delay: 300 * time.Millisecond},
			check: func(t *testing.T, a []answer) {
				wantOK(t, a[0], http.StatusOK)
				if a[0].took < 300*time.Millisecond {
					t.Errorf("answered in %v, want at least 300ms", a[0].took)
				}
			},
		},
		{
			name:  "throttled to 20 kB/s",
			path:  file,
			fault: &Fault{BytesPerSecond: 20000},
			check: func(t *testing.T, a []answer) {
				wantOK(t, a[0], http.StatusOK)
				if !bytes.Equal(a[0].body, body) {
					t.Errorf("throttled body differs from the file")
				}
				if a[0].took < 400*time.Millisecond {
					t.Errorf("10 kB took %v at 20 kB/s, want at least 400ms", a[0].took)
				}
			},
		},
		{
			name:  "500 for the first 2 requests",
			path:  file,
			fault: &Fault{FailFirst: 2},
			tries: 3,
			check: func(t *testing.T, a []answer) {
				wantOK(t, a[0], http.StatusInternalServerError)
				wantOK(t, a[1], http.StatusInternalServerError)
				wantOK(t, a[2], http.StatusOK)
			},
		},
		{
			name:  "429 with retry-after",
			path:  file,
			fault: &Fault{FailFirst: 1, FailStatus: http.StatusTooManyRequests},
			tries: 2,
			check: func(t *testing.T, a []answer) {
				wantOK(t, a[0], http.StatusTooManyRequests)
				if a[0].header.Get("Retry-After") != "1" {
					t.Errorf("Retry-After = %q, want 1", a[0].header.Get("Retry-After"))
				}
				wantOK(t, a[1], http.StatusOK)
			},
		},
		{
			name:  "missing file",
			path:  "/release/v1/bin/nothing",
			check: func(t *testing.T, a []answer) { wantOK(t, a[0], http.StatusNotFound) },
		},
		{
			name:  "directory",
			path:  "/release/v1/bin/",
			check: func(t *testing.T, a []answer) { wantOK(t, a[0], http.StatusNotFound) },
		},
		{
			name:   "post refused",
			path:   file,
			method: http.MethodPost,
			check: func(t *testing.T, a []answer) {
				wantOK(t, a[0], http.StatusMethodNotAllowed)
			},
		},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			s := New(root)
			if tc.fault != nil {
				s.SetFault(tc.path, *tc.fault)
			}
			ts := httptest.NewServer(s)
			defer ts.Close()

			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			answers := make([]answer, max(1, tc.tries))
			for i := range answers {
				answers[i] = get(t, method, ts.URL+tc.path, tc.header)
			}
			tc.check(t, answers)

			if got := s.Hits(tc.path); got != len(answers) {
				t.Errorf("Hits(%s) = %d, want %d", tc.path, got, len(answers))
			}
		})
	}
}

func TestClearFault(t *testing.T) {
	t.Parallel()

	root, _ := testFiles(t)
	s := New(root)
	ts := httptest.NewServer(s)
	defer ts.Close()
	url := ts.URL + "/release/v1/bin/tool"

	s.SetFault("release/v1/bin/./tool", Fault{FailFirst: 5})
	wantOK(t, get(t, http.MethodGet, url, nil), http.StatusInternalServerError)

	s.ClearFault("/release/v1/bin/tool")
	wantOK(t, get(t, http.MethodGet, url, nil), http.StatusOK)

	s.SetFault("/release/v1/bin/tool", Fault{FailFirst: 5})
	s.ClearFaults()
	wantOK(t, get(t, http.MethodGet, url, nil), http.StatusOK)
}

func TestSpoilDigests(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   string
		want string
	}{
		{"sha256 line", strings.Repeat("0f", 32) + "  a.tgz\n", strings.Repeat("10", 32) + "  a.tgz\n"},
		{"upper case", strings.Repeat("AF", 16) + "\n", strings.Repeat("b0", 16) + "\n"},
		{"no digest", "v1.37.2\n", "v1.37.2\n"},
		{"too short to be a digest", "abcdef12  x\n", "abcdef12  x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(spoilDigests([]byte(tc.in))); got != tc.want {
				t.Errorf("spoilDigests(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func wantOK(t *testing.T, a answer, status int) {
	t.Helper()

	if a.err != nil {
		t.Errorf("request failed: %v", a.err)
		return
	}
	if a.status != status {
		t.Errorf("status = %d, want %d", a.status, status)
	}
}
