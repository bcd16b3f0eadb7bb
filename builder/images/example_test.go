package images_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"

	"github.com/kubexm/kubexm/builder/images"
	"github.com/kubexm/kubexm/internal/bundle"
)

// Save the images of a cluster whose hosts are amd64 and arm64, pulling
// registry.k8s.io through a mirror, then list what the layout holds.
func ExampleSave() {
	opts := images.Options{
		Platforms: []string{"linux/amd64", "linux/arm64"},
		Mirrors:   map[string]string{"registry.k8s.io": "mirror.example:5443/registry.k8s.io"},
		Credentials: map[string]images.Credential{
			"mirror.example:5443": {Username: "builder", Password: "from the config"},
		},
		CAFile: "/etc/kubexm/mirror-ca.pem",
		Progress: func(p images.Progress) {
			fmt.Printf("\r%s %d/%d bytes", p.Image, p.Done, p.Total)
		},
	}
	dir := filepath.Join(bundle.Dir, bundle.ImagesDir)
	refs := []string{"registry.k8s.io/pause:3.10.1", "registry.k8s.io/coredns/coredns:v1.12.1"}
	res, err := images.Save(context.Background(), dir, refs, opts)
	if err != nil {
		log.Fatal(err) // every image that failed, each by name
	}
	fmt.Printf("\n%d blobs fetched, %d already there\n", res.Fetched, res.Reused)

	list, err := images.List(dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, img := range list {
		fmt.Println(img.Ref, img.Digest, img.Platforms)
	}
}
