// Package faultserver serves a directory of release files over HTTP, with Range support, and
// lets a test make any one path misbehave the way real download sites do: a connection cut
// mid-file, a checksum file that does not match, a slow answer, or a 500 or 429 for the
// first few requests. Downloaders must survive all of these, so they are tested against them.
package faultserver

import (
	"bytes"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault says how the server misbehaves for one path. The zero value misbehaves in no way.
type Fault struct {
	// CutAfter, when positive, closes the connection after that many body bytes, so that the
	// client sees a short read. It applies to every request for the path.
	CutAfter int64 `json:"cutAfter,omitempty"`

	// WrongChecksum rewrites every hexadecimal digest in the served file (a checksum file)
	// so that it no longer matches the file it describes.
	WrongChecksum bool `json:"wrongChecksum,omitempty"`

	// Delay is waited before the answer starts.
	Delay time.Duration `json:"delay,omitempty"`

	// BytesPerSecond, when positive, throttles the body to about that rate.
	BytesPerSecond int64 `json:"bytesPerSecond,omitempty"`

	// FailFirst answers FailStatus to the first FailFirst requests for the path, counted from
	// when the fault was set; later requests are served normally.
	FailFirst int `json:"failFirst,omitempty"`

	// FailStatus is the status of the failed answers. The default is 500; 429 also carries a
	// Retry-After header of one second.
	FailStatus int `json:"failStatus,omitempty"`
}

// Server is an http.Handler that serves the files under a root directory, each at its
// slash-separated path relative to the root.
type Server struct {
	root string

	mu     sync.Mutex
	faults map[string]*faultState
	hits   map[string]int
}

type faultState struct {
	Fault
	failed int
}

// New returns a Server for the files under root.
func New(root string) *Server {
	return &Server{root: root, faults: map[string]*faultState{}, hits: map[string]int{}}
}

// SetFault makes the URL path p misbehave as f says, replacing any fault set before for p.
func (s *Server) SetFault(p string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.faults[cleanPath(p)] = &faultState{Fault: f}
}

// ClearFault makes the URL path p behave again.
func (s *Server) ClearFault(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()

	delete(s.faults, cleanPath(p))
}

// ClearFaults makes every path behave again.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.faults = map[string]*faultState{}
}

// Hits tells how many requests the URL path p has had, so that a test can check that a
// client retried, or that it did not download a file twice.
func (s *Server) Hits(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.hits[cleanPath(p)]
}

// ServeHTTP answers GET and HEAD requests for files under the root.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := cleanPath(r.URL.Path)
	f, fail := s.take(p)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	if f.Delay > 0 {
		sleep(r, f.Delay)
	}
	if fail {
		failAnswer(w, f.FailStatus)
		return
	}

	s.serveFile(faultWriter(w, f), r, p, f.WrongChecksum)
}

// take counts a request for p and tells which fault applies and whether to fail it.
func (s *Server) take(p string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.hits[p]++
	st, ok := s.faults[p]
	if !ok {
		return Fault{}, false
	}

	if st.failed < st.FailFirst {
		st.failed++
		return st.Fault, true
	}
	return st.Fault, false
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, p string, wrongSum bool) {
	name := filepath.Join(s.root, filepath.FromSlash(strings.TrimPrefix(p, "/")))
	fi, err := os.Stat(name)
	if err != nil || fi.IsDir() {
		http.NotFound(w, r)
		return
	}

	if !wrongSum {
		file, err := os.Open(name)
		if err != nil {
			http.Error(w, "opening file failed", http.StatusInternalServerError)
			return
		}
		defer file.Close()
		http.ServeContent(w, r, fi.Name(), fi.ModTime(), file)
		return
	}

	data, err := os.ReadFile(name)
	if err != nil {
		http.Error(w, "reading file failed", http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, fi.Name(), fi.ModTime(), bytes.NewReader(spoilDigests(data)))
}

func failAnswer(w http.ResponseWriter, status int) {
	if status == 0 {
		status = http.StatusInternalServerError
	}

	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(1))
	}
	http.Error(w, "injected fault: "+http.StatusText(status), status)
}

// cleanPath gives the form in which paths are compared: rooted, without dot segments.
func cleanPath(p string) string {
	return path.Clean("/" + p)
}

// sleep waits for d, or less if the client goes away.
func sleep(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()

	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}
