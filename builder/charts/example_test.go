package charts_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kubexm/kubexm/builder/charts"
)

// A chart is pulled into the bundle, then rendered with the values of the
// install for the list of images the bundle must also carry.
func Example() {
	ref := charts.Ref{Name: "coredns", Version: "1.46.2", Repo: "https://charts.example.org/coredns"}
	path, err := charts.Pull(context.Background(), ref, ".kubexm", charts.Options{})
	if err != nil {
		log.Fatal(err)
	}

	values := map[string]any{"autoscaler": map[string]any{"enabled": true}}
	images, err := charts.Images(path, values, charts.RenderOptions{
		KubeVersion: "v1.37.2", Namespace: "kube-system"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(images)
}
