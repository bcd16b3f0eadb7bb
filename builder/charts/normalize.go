package charts

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHub is the registry a reference without one means, as container
// runtimes read it.
const dockerHub = "docker.io"

// Normalize spells an image reference in full, the way a container runtime
// reads it, so that two spellings of one image compare equal: the registry
// is explicit (docker.io when none is given), Docker Hub's official images
// get their library/ prefix, and a reference with neither tag nor digest
// gets :latest. A tag and a digest are both kept as written.
//
//	coredns/coredns:1.13.1  ->  docker.io/coredns/coredns:1.13.1
//	busybox                 ->  docker.io/library/busybox:latest
func Normalize(image string) (string, error) {
	rest, digest, hasDigest := strings.Cut(image, "@")
	repo, tag := rest, ""
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		repo, tag = rest[:i], rest[i+1:]
	}

	if repo == "" || strings.HasSuffix(repo, "/") {
		return "", fmt.Errorf("image %q: no repository", image)
	}
	host, path, found := strings.Cut(repo, "/")
	if !found || !strings.ContainsAny(host, ".:") && host != "localhost" {
		host, path = dockerHub, repo
	}
	if host == "index.docker.io" {
		host = dockerHub
	}
	if host == dockerHub && !strings.Contains(path, "/") {
		path = "library/" + path
	}

	out := host + "/" + path
	if tag != "" {
		out += ":" + tag
	}
	if hasDigest {
		out += "@" + digest
	} else if tag == "" {
		out += ":latest"
	}

	if _, err := name.ParseReference(out, name.StrictValidation); err != nil {
		return "", fmt.Errorf("image %q: %w", image, err)
	}
	return out, nil
}
