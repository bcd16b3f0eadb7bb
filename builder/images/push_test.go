package images

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// rawManifest is a manifest to push as it is.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// TestFilteredLayoutOnAStrictRegistry shows what the package documentation
// says the push side meets: docker-registry 2.8, which checks every child of
// an index, refuses the original index of a filtered image and takes the
// complete index that Save records beside it.
func TestFilteredLayoutOnAStrictRegistry(t *testing.T) {
	src := startRegistry(t, nil)
	idx, children := multiArch(t, "linux/amd64", "linux/arm64")
	push(t, src+"/multi:v1", idx)
	dir := t.TempDir()
	_, err := Save(context.Background(), dir, []string{src + "/multi:v1"},
		quick(Options{Platforms: []string{"linux/arm64"}}))
	if err != nil {
		t.Fatal(err)
	}
	img := mustList(t, dir)[0]

	dst := startRegistry(t, nil)
	repo, _ := name.NewRepository(dst + "/multi")
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := root.ImageIndex(img.Digest)
	if err != nil {
		t.Fatal(err)
	}
	child, err := orig.Image(digestOf(t, children["linux/arm64"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Digest(digestOf(t, child).String()), child); err != nil {
		t.Fatalf("pushing the arm64 child: %v", err)
	}
	raw, err := layout.Path(dir).Bytes(img.Digest)
	if err != nil {
		t.Fatal(err)
	}
	err = remote.Put(repo.Tag("v1"), rawManifest{raw, img.MediaType})
	if err == nil {
		t.Fatal("docker-registry 2.8 took an index whose amd64 child it does not have")
	}
	t.Logf("the original index, refused as expected: %v", err)

	complete := layoutIndex(t, dir, img.CompleteIndex, img.MediaType)
	if err := remote.WriteIndex(repo.Tag("v1"), complete); err != nil {
		t.Fatalf("pushing the complete index: %v", err)
	}
	d, err := remote.Get(repo.Tag("v1"))
	if err != nil || d.Digest != img.CompleteIndex {
		t.Fatalf("v1 is %v (%v), want the complete index %s", d, err, img.CompleteIndex)
	}
}
