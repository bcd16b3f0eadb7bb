package images

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestSaveResume(t *testing.T) {
	reg := startRegistry(t, nil)
	p := startProxy(t, reg)
	idx, _ := multiArch(t, "linux/amd64", "linux/arm64")
	push(t, p.host+"/multi:v1", idx)
	single := platformImage(t, 3, "linux/amd64")
	push(t, p.host+"/single:v1", single)
	refs := []string{p.host + "/multi:v1", p.host + "/single:v1"}
	opts := quick(Options{Platforms: []string{"linux/amd64", "linux/arm64"}})
	dir := t.TempDir()
	const blobs = 2*3 + 4 // two children of two layers and a config; three layers and a config

	steps := []struct {
		name        string
		before      func(t *testing.T)
		wantFetched int
	}{
		{name: "first run fetches every blob", wantFetched: blobs},
		{name: "second run fetches none", wantFetched: 0},
		{name: "a damaged blob is fetched again", wantFetched: 1, before: func(t *testing.T) {
			layers, _ := single.Layers()
			h, _ := layers[1].Digest()
			path := filepath.Join(dir, "blobs", "sha256", h.Hex)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0xff
			writeFile(t, path, string(data))
		}},
		{name: "an unfinished download is cleared", wantFetched: 0, before: func(t *testing.T) {
			writeFile(t, filepath.Join(dir, "blobs", "sha256", ".abc.123"+partialSuffix), "x")
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.before != nil {
				s.before(t)
			}
			p.blobGets.Store(0)
			res, err := Save(context.Background(), dir, refs, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.blobGets.Load(); got != int64(s.wantFetched) || res.Fetched != s.wantFetched {
				t.Errorf("blob downloads = %d (Save says %d), want %d", got, res.Fetched,
					s.wantFetched)
			}
			if res.Fetched+res.Reused != blobs {
				t.Errorf("fetched %d + reused %d, want %d blobs", res.Fetched, res.Reused, blobs)
			}
			checkLayout(t, dir, 2)
		})
	}
}

// checkLayout: no download left behind, and every image of index.json
// validates.
func checkLayout(t *testing.T, dir string, images int) {
	t.Helper()
	for _, f := range blobFiles(t, dir) {
		if strings.HasSuffix(f, partialSuffix) {
			t.Errorf("unfinished blob %s left in the layout", f)
		}
	}
	if got := mustList(t, dir); len(got) != images {
		t.Errorf("List = %+v, want %d images", got, images)
	}
}

func TestSaveRetries(t *testing.T) {
	reg := startRegistry(t, nil)
	p := startProxy(t, reg)
	img := platformImage(t, 3, "linux/amd64")
	push(t, p.host+"/app:v1", img)
	layers, _ := img.Layers()
	bad, _ := layers[0].Digest()

	cases := []struct {
		name      string
		cut       func(digest string, attempt int) fault
		retries   int
		wantGets  int // of the first layer: 1 + retries when every try is cut
		wantError string
	}{
		{name: "every first download cut", retries: 1, wantGets: 2,
			cut: func(_ string, attempt int) fault { return faultIf(attempt == 1, cutHalf) }},
		{name: "503 twice, then the blob", retries: 2, wantGets: 3,
			cut: func(_ string, attempt int) fault {
				return faultIf(attempt <= 2, unavailable)
			}},
		{name: "one blob always cut", retries: 2, wantGets: 3,
			cut: func(d string, _ int) fault {
				return faultIf(d == bad.String(), cutHalf)
			},
			wantError: "pulling image " + p.host + "/app:v1 from " + p.host},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p.setCut(c.cut)
			defer p.setCut(nil)
			dir := t.TempDir()
			_, err := Save(context.Background(), dir, []string{p.host + "/app:v1"},
				quick(Options{Retries: c.retries}))
			if got := p.attempts(bad.String()); got != c.wantGets {
				t.Errorf("downloads of %s = %d, want %d", bad, got, c.wantGets)
			}
			if c.wantError == "" {
				if err != nil {
					t.Fatal(err)
				}
				checkLayout(t, dir, 1)
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantError) ||
				!strings.Contains(err.Error(), bad.String()) {
				t.Fatalf("error = %v, want %q naming blob %s", err, c.wantError, bad)
			}
			t.Log(err)
			checkLayout(t, dir, 0)
		})
	}
}

func TestSaveProgress(t *testing.T) {
	reg := startRegistry(t, nil)
	idx, _ := multiArch(t, "linux/amd64", "linux/arm64")
	push(t, reg+"/multi:v1", idx)
	push(t, reg+"/single:v1", platformImage(t, 3, "linux/amd64"))

	var mu sync.Mutex
	var last Progress
	perImage := map[string]Progress{}
	backwards := false
	opts := quick(Options{Platforms: []string{"linux/amd64"}, Progress: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		backwards = backwards || p.Done < last.Done || p.ImageDone > p.ImageTotal
		last, perImage[p.Image] = p, p
	}})
	res, err := Save(context.Background(), t.TempDir(),
		[]string{reg + "/multi:v1", reg + "/single:v1"}, opts)
	if err != nil {
		t.Fatal(err)
	}

	if last.Total != res.FetchedBytes || last.Done != last.Total || backwards {
		t.Errorf("last update %+v, fetched %d bytes; went backwards: %v", last,
			res.FetchedBytes, backwards)
	}
	for _, ref := range []string{reg + "/multi:v1", reg + "/single:v1"} {
		if p := perImage[ref]; p.ImageTotal == 0 || p.ImageDone != p.ImageTotal {
			t.Errorf("image %s ended at %+v", ref, p)
		}
	}
}

func faultIf(cond bool, f fault) fault {
	if cond {
		return f
	}
	return pass
}

// TestSaveCancelled stops a Save halfway: it returns the context's error,
// records no image and leaves no unfinished download behind.
func TestSaveCancelled(t *testing.T) {
	reg := startRegistry(t, nil)
	idx, _ := multiArchSized(t, 1<<20, "linux/amd64", "linux/arm64")
	push(t, reg+"/big:v1", idx)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := quick(Options{Parallel: 1, Progress: func(p Progress) {
		if p.Done > 0 && p.Done < p.Total {
			cancel()
		}
	}})

	dir := t.TempDir()
	_, err := Save(ctx, dir, []string{reg + "/big:v1"}, opts)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), reg+"/big:v1") {
		t.Fatalf("error = %v, want one naming the image and context.Canceled", err)
	}
	checkLayout(t, dir, 0)
}

func TestSaveBlobCacheServesANewLayout(t *testing.T) {
	reg := startRegistry(t, nil)
	p := startProxy(t, reg)
	img := platformImage(t, 3, "linux/amd64")
	push(t, p.host+"/cached:v1", img)
	refs := []string{p.host + "/cached:v1"}
	opts := quick(Options{Platforms: []string{"linux/amd64"}, BlobCache: t.TempDir()})

	for i, want := range []int64{4, 0} { // three layers and a config, then none
		p.blobGets.Store(0)
		dir := t.TempDir() // a new layout each time, as a new work tree
		if _, err := Save(context.Background(), dir, refs, opts); err != nil {
			t.Fatal(err)
		}
		if got := p.blobGets.Load(); got != want {
			t.Errorf("run %d: %d blob downloads, want %d", i+1, got, want)
		}
		checkLayout(t, dir, 1)
	}
}
