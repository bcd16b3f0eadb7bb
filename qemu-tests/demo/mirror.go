package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/kubexm/kubexm/qemu-tests/upstream/mirror"
)

// errColdCache says what the demo needs, and the one step that provides it.
var errColdCache = errors.New("the upstream mirror's build cache is cold: the demo serves " +
	"programs built from source, which takes over an hour on two cores the first time; " +
	"warm the cache first with\n\n\tgo run ./qemu-tests/upstream build\n\n" +
	"(or point KUBEXM_UPSTREAM_CACHE at a warm cache), then run make demo again")

// startMirror starts the upstream mirror from its cache. It refuses at once when the cache
// holds no builds, and stops the mirror as soon as it starts building a program the cache
// lacks, so that the demo takes seconds or fails saying why.
func startMirror(ctx context.Context) (*mirror.Mirror, error) {
	cache, err := mirror.CacheDir()
	if err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(filepath.Join(cache, "bin")); err != nil || len(entries) == 0 {
		return nil, fmt.Errorf("%s: %w", cache, errColdCache)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := &buildWatch{out: os.Stderr, cold: cancel}
	fmt.Printf("==> starting the upstream mirror from %s\n", cache)
	m, err := mirror.Run(ctx, mirror.Options{Cache: cache, Log: log})
	if log.sawBuild() {
		if m != nil {
			m.Close()
		}
		return nil, fmt.Errorf("%s lacks a build: %w", cache, errColdCache)
	}
	if err != nil {
		return nil, fmt.Errorf("starting the upstream mirror: %w", err)
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(os.Stderr, "warning: %s\n", w)
	}
	fmt.Printf("==> mirror: files at %s, registry at %s\n", m.HTTPURL, m.Registry)
	return m, nil
}

// buildWatch passes the mirror's progress lines on, and calls cold on the first line that
// announces a build from source ("building X V for linux/A from source").
type buildWatch struct {
	out  io.Writer
	cold func()

	mu    sync.Mutex
	built bool
}

func (w *buildWatch) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("from source")) {
		w.mu.Lock()
		w.built = true
		w.mu.Unlock()
		w.cold()
	}
	return w.out.Write(p)
}

func (w *buildWatch) sawBuild() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.built
}
