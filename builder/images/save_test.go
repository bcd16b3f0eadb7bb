package images

import (
	"cmp"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// quick keeps retries short on loopback.
func quick(o Options) Options {
	o.RetryDelay = 5e6 // 5ms
	return o
}

func TestSavePlatforms(t *testing.T) {
	reg := startRegistry(t, nil)
	single := platformImage(t, 3, "linux/amd64")
	push(t, reg+"/single:v1", single)
	idx, children := multiArch(t, "linux/amd64", "linux/arm64/v8", "linux/s390x")
	push(t, reg+"/multi:v1", idx)
	idxDigest := digestOf(t, idx)
	dockerList := mutate.IndexMediaType(idx, types.DockerManifestList)
	push(t, reg+"/dockerlist:v1", dockerList)

	cases := []struct {
		name      string
		ref       string
		platforms []string
		wantRef   string
		wantKept  []string // platforms whose blobs the layout must hold, and no others
		complete  bool     // a complete index is stored beside the original
		index     v1.Hash  // the index's digest, when it is not idx's
	}{
		{name: "single-arch image", ref: reg + "/single:v1", platforms: []string{"linux/amd64"},
			wantRef: reg + "/single:v1"},
		{name: "single-arch image, every platform", ref: reg + "/single:v1",
			wantRef: reg + "/single:v1"},
		{name: "index filtered to one platform", ref: reg + "/multi:v1",
			platforms: []string{"linux/arm64"}, wantRef: reg + "/multi:v1",
			wantKept: []string{"linux/arm64/v8"}, complete: true},
		{name: "index filtered to two platforms", ref: reg + "/multi:v1",
			platforms: []string{"linux/amd64", "linux/arm64"}, wantRef: reg + "/multi:v1",
			wantKept: []string{"linux/amd64", "linux/arm64/v8"}, complete: true},
		{name: "index with every platform", ref: reg + "/multi:v1", wantRef: reg + "/multi:v1",
			wantKept: []string{"linux/amd64", "linux/arm64/v8", "linux/s390x"}},
		{name: "docker manifest list", ref: reg + "/dockerlist:v1",
			platforms: []string{"linux/arm64"}, wantRef: reg + "/dockerlist:v1",
			wantKept: []string{"linux/arm64/v8"}, complete: true, index: digestOf(t, dockerList)},
		{name: "digest reference", ref: reg + "/multi@" + idxDigest.String(),
			platforms: []string{"linux/arm64"}, wantRef: reg + "/multi@" + idxDigest.String(),
			wantKept: []string{"linux/arm64/v8"}, complete: true},
		{name: "tag and digest", ref: reg + "/multi:v1@" + idxDigest.String(),
			platforms: []string{"linux/s390x"}, wantRef: reg + "/multi:v1@" + idxDigest.String(),
			wantKept: []string{"linux/s390x"}, complete: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			res, err := Save(context.Background(), dir, []string{c.ref},
				quick(Options{Platforms: c.platforms}))
			if err != nil {
				t.Fatal(err)
			}
			listed := mustList(t, dir)
			if len(listed) != 1 || listed[0].Ref != c.wantRef {
				t.Fatalf("List = %+v, want one image %s", listed, c.wantRef)
			}
			if !reflect.DeepEqual(res.Images, listed) {
				t.Errorf("Save said %+v, List says %+v", res.Images, listed)
			}

			if c.wantKept == nil {
				checkSingle(t, dir, listed[0], single)
				return
			}
			index := cmp.Or(c.index, idxDigest)
			checkIndex(t, dir, listed[0], index, children, c.wantKept, c.complete)
		})
	}
}

// checkSingle: the entry is the image's manifest, it validates, and the
// layout holds exactly its blobs.
func checkSingle(t *testing.T, dir string, got Image, img v1.Image) {
	t.Helper()
	if got.Digest != digestOf(t, img) || !slices.Equal(got.Platforms, []string{"linux/amd64"}) {
		t.Errorf("image = %+v, want digest %s on linux/amd64", got, digestOf(t, img))
	}
	li := layoutImage(t, dir, got.Digest)
	if err := validate.Image(li); err != nil {
		t.Errorf("validate.Image: %v", err)
	}
	want := blobsOf(t, img)
	slices.Sort(want)
	if files := blobFiles(t, dir); !slices.Equal(files, want) {
		t.Errorf("blobs = %v, want %v", files, want)
	}
}

// checkIndex: the entry is the original index (same digest), the kept
// children resolve through it and validate, the complete index validates,
// and the layout holds no blob of another platform.
func checkIndex(t *testing.T, dir string, got Image, idxDigest v1.Hash,
	children map[string]v1.Image, kept []string, complete bool) {
	t.Helper()
	if got.Digest != idxDigest || !slices.Equal(got.Platforms, kept) {
		t.Errorf("image = %+v, want index %s with %v", got, idxDigest, kept)
	}
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := root.ImageIndex(idxDigest)
	if err != nil {
		t.Fatalf("index %s does not resolve in the layout: %v", idxDigest, err)
	}
	if digestOf(t, orig) != idxDigest {
		t.Errorf("the stored index hashes to %s, want %s", digestOf(t, orig), idxDigest)
	}

	want := []string{idxDigest.Hex}
	for _, pl := range kept {
		child, err := orig.Image(digestOf(t, children[pl]))
		if err != nil {
			t.Fatalf("%s child of %s: %v", pl, idxDigest, err)
		}
		if err := validate.Image(child); err != nil {
			t.Errorf("validate.Image %s: %v", pl, err)
		}
		want = append(want, blobsOf(t, children[pl])...)
	}

	if (got.CompleteIndex != v1.Hash{}) != complete {
		t.Fatalf("complete index = %v, want one: %v", got.CompleteIndex, complete)
	}
	check := orig
	if complete {
		want = append(want, got.CompleteIndex.Hex)
		check = layoutIndex(t, dir, got.CompleteIndex, got.MediaType)
	}
	if err := validate.Index(check); err != nil {
		t.Errorf("validate.Index: %v", err)
	}
	slices.Sort(want)
	if files := blobFiles(t, dir); !slices.Equal(files, want) {
		t.Errorf("blobs = %v, want %v", files, want)
	}
}

func TestSaveSharedLayersStoredOnce(t *testing.T) {
	reg := startRegistry(t, nil)
	p := startProxy(t, reg)
	base := platformImage(t, 3, "linux/amd64")
	var want []string
	for _, tag := range []string{"a", "b", "c"} {
		extra := platformImage(t, 1, "linux/amd64")
		layers, _ := extra.Layers()
		img, err := mutate.AppendLayers(base, layers[0])
		if err != nil {
			t.Fatal(err)
		}
		push(t, p.host+"/app:"+tag, img)
		want = append(want, blobsOf(t, img)...)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	p.blobGets.Store(0)

	dir := t.TempDir()
	res, err := Save(context.Background(), dir,
		[]string{p.host + "/app:a", p.host + "/app:b", p.host + "/app:c"}, quick(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if files := blobFiles(t, dir); !slices.Equal(files, want) {
		t.Errorf("blobs = %v, want %v", files, want)
	}
	// 3 shared layers + 3 own layers + 3 configs, each downloaded once.
	if got := p.blobGets.Load(); got != 9 || res.Fetched != 9 {
		t.Errorf("blob downloads = %d (Save says %d), want 9", got, res.Fetched)
	}
}

func TestSaveMirror(t *testing.T) {
	reg := startRegistry(t, nil)
	pause := platformImage(t, 1, "linux/amd64")
	push(t, reg+"/registry.k8s.io/pause:3.10.1", pause)
	busybox := platformImage(t, 1, "linux/amd64")
	push(t, reg+"/hub/library/busybox:1.36", busybox)
	mirrors := map[string]string{"registry.k8s.io": reg + "/registry.k8s.io",
		"docker.io": reg + "/hub/"}

	cases := []struct {
		name, ref, want string
		img             v1.Image
	}{
		{"registry.k8s.io", "registry.k8s.io/pause:3.10.1", "registry.k8s.io/pause:3.10.1", pause},
		{"docker hub short name", "busybox:1.36", "docker.io/library/busybox:1.36", busybox},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Save(context.Background(), dir, []string{c.ref},
				quick(Options{Mirrors: mirrors, Platforms: []string{"linux/amd64"}}))
			if err != nil {
				t.Fatal(err)
			}
			got := mustList(t, dir)
			if len(got) != 1 || got[0].Ref != c.want || got[0].Digest != digestOf(t, c.img) {
				t.Errorf("List = %+v, want %s at %s", got, c.want, digestOf(t, c.img))
			}
		})
	}
}

func TestSaveErrors(t *testing.T) {
	reg := startRegistry(t, nil)
	push(t, reg+"/single:v1", platformImage(t, 1, "linux/amd64"))
	idx, _ := multiArch(t, "linux/amd64", "linux/arm64")
	push(t, reg+"/multi:v1", idx)
	good := reg + "/single:v1"

	cases := []struct {
		name      string
		ref       string
		opts      Options
		kind      error
		wantError string
	}{
		{name: "tag not found", ref: reg + "/single:v9", kind: ErrNotFound,
			wantError: "image " + reg + "/single:v9 not found at " + reg},
		{name: "repository not found", ref: reg + "/nothing:v1", kind: ErrNotFound,
			wantError: "image " + reg + "/nothing:v1 not found at " + reg},
		{name: "not found at the mirror", ref: "registry.k8s.io/x:v1", kind: ErrNotFound,
			opts:      Options{Mirrors: map[string]string{"registry.k8s.io": reg + "/k8s"}},
			wantError: "image registry.k8s.io/x:v1 not found at " + reg + "/k8s"},
		{name: "index without the platform", ref: reg + "/multi:v1", kind: ErrPlatform,
			opts:      Options{Platforms: []string{"linux/amd64", "linux/riscv64"}},
			wantError: "image " + reg + "/multi:v1 has no manifest for linux/riscv64"},
		{name: "single image of another platform", ref: reg + "/single:v1", kind: ErrPlatform,
			opts:      Options{Platforms: []string{"linux/arm64"}},
			wantError: "image " + reg + "/single:v1 is built for linux/amd64 only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			refs := []string{c.ref}
			if c.kind != ErrPlatform {
				refs = append(refs, good) // the others are still saved
			}
			_, err := Save(context.Background(), dir, refs, quick(c.opts))
			if err == nil || !strings.Contains(err.Error(), c.wantError) || !errors.Is(err, c.kind) {
				t.Fatalf("error = %v, want %q (%v)", err, c.wantError, c.kind)
			}
			t.Log(err)
			var refsListed []string
			for _, img := range mustList(t, dir) {
				refsListed = append(refsListed, img.Ref)
			}
			if slices.Contains(refsListed, c.ref) {
				t.Errorf("index.json lists the failed image: %v", refsListed)
			}
			if c.kind != ErrPlatform && !slices.Contains(refsListed, good) {
				t.Errorf("index.json lacks %s: %v", good, refsListed)
			}
		})
	}
}

func TestSaveBadInput(t *testing.T) {
	cases := []struct {
		name      string
		refs      []string
		opts      Options
		wantError string
	}{
		{"bad reference", []string{"Upper/Case:v1"}, Options{}, `image "Upper/Case:v1"`},
		{"bad platform", []string{"x/y:v1"}, Options{Platforms: []string{"amd64"}},
			`platform "amd64"`},
		{"missing CA file", []string{"x/y:v1"}, Options{CAFile: "/nonexistent/ca.pem"},
			"reading the CA bundle: open /nonexistent/ca.pem"},
		{"missing docker config", []string{"x/y:v1"}, Options{DockerConfig: "/nonexistent/c"},
			"reading docker config /nonexistent/c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "images")
			_, err := Save(context.Background(), dir, c.refs, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.wantError) {
				t.Fatalf("error = %v, want %q", err, c.wantError)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused call created %s", dir)
			}
		})
	}
}

func mustList(t *testing.T, dir string) []Image {
	t.Helper()
	imgs, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	return imgs
}

func layoutImage(t *testing.T, dir string, h v1.Hash) v1.Image {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	img, err := p.Image(h)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// layoutIndex opens index h of the layout at dir, which index.json need not
// list (the complete index is a blob of its own), through a second layout
// that shares the blobs and lists only h, of media type mt.
func layoutIndex(t *testing.T, dir string, h v1.Hash, mt types.MediaType) v1.ImageIndex {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", h.Hex))
	if err != nil {
		t.Fatal(err)
	}
	view := t.TempDir()
	if err := os.Symlink(filepath.Join(dir, "blobs"), filepath.Join(view, "blobs")); err != nil {
		t.Fatal(err)
	}
	p, err := layout.Write(view, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	d := v1.Descriptor{MediaType: mt, Digest: h, Size: int64(len(raw))}
	if err := p.AppendDescriptor(d); err != nil {
		t.Fatal(err)
	}
	root, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := root.ImageIndex(h)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}
