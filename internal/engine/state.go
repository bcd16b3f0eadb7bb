package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/kubexm/kubexm/internal/atomicfile"
)

// State is the resume record of a pipeline: which (step, host) pairs have
// completed, under which inputs. It lives in a file under .kubexm/ and is
// rewritten (to a temporary name, then renamed) after every completion, so
// that a crash loses at most the step that was running.
type State struct {
	path string

	mu   sync.Mutex
	file stateFile
}

type stateFile struct {
	Pipeline string `json:"pipeline"`
	// InputsHash is a hash of everything that decides what the steps do
	// (the effective config, the mode). A record made under other inputs is
	// no evidence that the work is done.
	InputsHash string               `json:"inputsHash"`
	Completed  map[string]time.Time `json:"completed"`
}

// OpenState opens the resume record at path for a run of pipeline under
// inputsHash. With resume, a record of the same pipeline and inputs is kept
// and its completed pairs are skipped; stale reports that a record existed
// but was made under other inputs and was discarded. Without resume, any
// record is discarded and a new one started.
func OpenState(path, pipeline, inputsHash string, resume bool) (s *State, stale bool, err error) {
	s = &State{path: path, file: stateFile{
		Pipeline: pipeline, InputsHash: inputsHash, Completed: map[string]time.Time{},
	}}
	if !resume {
		// Start the record anew on disk now: an older record must not
		// vouch for work once a fresh run has begun.
		s.mu.Lock()
		defer s.mu.Unlock()
		return s, false, s.save()
	}

	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading resume record: %w", err)
	}

	var old stateFile
	if err := json.Unmarshal(data, &old); err != nil {
		return nil, false, fmt.Errorf("reading resume record %s: %w", path, err)
	}
	if old.Pipeline != pipeline || old.InputsHash != inputsHash {
		// Drop the stale record now: kept until the first completion, a
		// run that fails before one would leave it to vouch for work an
		// interrupted run under other inputs may have undone.
		s.mu.Lock()
		defer s.mu.Unlock()
		return s, true, s.save()
	}
	if old.Completed != nil {
		s.file.Completed = old.Completed
	}
	return s, false, nil
}

// stateKey names a (step, host) pair in the record.
func stateKey(module, task, step, hostName string) string {
	return module + "/" + task + "/" + step + "@" + hostName
}

// Completed reports whether the pair completed in an earlier run.
func (s *State) Completed(module, task, step, hostName string) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.file.Completed[stateKey(module, task, step, hostName)]
	return ok
}

// Keys returns the recorded pairs, sorted.
func (s *State) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.file.Completed))
	for k := range s.file.Completed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// markCompleted records the pair and saves the record.
func (s *State) markCompleted(module, task, step, hostName string, at time.Time) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.file.Completed[stateKey(module, task, step, hostName)] = at
	return s.save()
}

// save writes the record to a temporary file beside it and renames it into
// place. The caller holds s.mu.
func (s *State) save() error {
	data, err := json.MarshalIndent(&s.file, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding resume record: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("writing resume record: %w", err)
	}
	return atomicfile.Write(s.path, data, 0o644)
}
