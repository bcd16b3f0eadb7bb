package builder

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestWatchGrowthReportsTheFileAsItGrows(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kubexm.iso.partial")
	var (
		mu   sync.Mutex
		seen []int64
	)
	stop := watchGrowth(context.Background(), p, 3000, 5*time.Millisecond,
		func(done, total int64) {
			mu.Lock()
			defer mu.Unlock()
			if total != 3000 {
				t.Errorf("total = %d, want 3000", total)
			}
			if len(seen) == 0 || seen[len(seen)-1] != done {
				seen = append(seen, done)
			}
		})

	// The file appears, grows, and grows past the estimate.
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	last := func() int64 {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			return -1
		}
		return seen[len(seen)-1]
	}
	for i, n := range []int{1000, 1000, 2000} {
		if _, err := f.Write(make([]byte, n)); err != nil {
			t.Fatal(err)
		}
		want := []int64{1000, 2000, 3000}[i] // capped at the total
		for deadline := time.Now().Add(5 * time.Second); last() != want; {
			if time.Now().After(deadline) {
				t.Fatalf("after %d bytes the last report is %d, want %d", n, last(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	stop()
}
