package images_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kubexm/kubexm/builder/images"
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
	refs := []string{"registry.k8s.io/pause:3.10.1", "registry.k8s.io/coredns/coredns:v1.12.1"}
	res, err := images.Save(context.Background(), ".kubexm/images", refs, opts)
	if err != nil {
		log.Fatal(err) // every image that failed, each by name
	}
	fmt.Printf("\n%d blobs fetched, %d already there\n", res.Fetched, res.Reused)

	list, err := images.List(".kubexm/images")
	if err != nil {
		log.Fatal(err)
	}
	for _, img := range list {
		fmt.Println(img.Ref, img.Digest, img.Platforms)
	}
}
