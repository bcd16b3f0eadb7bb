package images

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHub is how Docker Hub is named in references and in Options.Mirrors.
const dockerHub = "docker.io"

// image is one reference to copy: its upstream name and where it is pulled
// from (the mirror, when one is configured for its registry).
type image struct {
	// ref is the full upstream reference, as index.json names it:
	// registry.k8s.io/pause:3.10.1, docker.io/library/nginx:1.27@sha256:...
	ref string
	// pull is the reference fetched: the tag, or the digest when the
	// reference has one.
	pull name.Reference
	// source is where pull lives, for messages: a registry host or a mirror
	// prefix.
	source string
}

// parseImage reads s and maps it to its mirror, if any.
func parseImage(s string, o *settings) (image, error) {
	var opts []name.Option
	if o.Insecure {
		opts = append(opts, name.Insecure)
	}
	base, dgst, hasDigest := strings.Cut(s, "@")
	tag, err := name.NewTag(base, opts...)
	if err != nil {
		return image{}, fmt.Errorf("image %q: %w", s, err)
	}
	up := tag.Context()
	repo, source, err := mirrored(up, o.Mirrors, opts)
	if err != nil {
		return image{}, fmt.Errorf("image %q: %w", s, err)
	}

	img := image{ref: hostName(up.RegistryStr()) + "/" + up.RepositoryStr(), source: source}
	if strings.Contains(lastElement(base), ":") || !hasDigest {
		img.ref += ":" + tag.TagStr() // "latest" when s names neither
	}
	img.pull = repo.Tag(tag.TagStr())
	if !hasDigest {
		return img, nil
	}

	d, err := name.NewDigest(repo.Name()+"@"+dgst, opts...)
	if err != nil {
		return image{}, fmt.Errorf("image %q: %w", s, err)
	}
	img.pull, img.ref = d, img.ref+"@"+dgst
	return img, nil
}

// mirrored is the repository an upstream repository is pulled from, and how
// to name that place in messages.
func mirrored(up name.Repository, mirrors map[string]string, opts []name.Option) (
	name.Repository, string, error) {
	host := hostName(up.RegistryStr())
	for from, prefix := range mirrors {
		if hostName(from) != host {
			continue
		}
		prefix = strings.TrimSuffix(prefix, "/")
		repo, err := name.NewRepository(prefix+"/"+up.RepositoryStr(), opts...)
		if err != nil {
			return name.Repository{}, "", fmt.Errorf("mirror %q for %s: %w", prefix, from, err)
		}
		return repo, prefix, nil
	}
	return up, host, nil
}

// hostName folds Docker Hub's aliases into docker.io, the name people and
// containerd use; other hosts are returned as they are.
func hostName(h string) string {
	switch h {
	case name.DefaultRegistry, "registry-1.docker.io", dockerHub:
		return dockerHub
	}
	return h
}

// lastElement is the part of a reference after its last slash, where a tag
// can be (a registry's port cannot).
func lastElement(s string) string {
	return s[strings.LastIndex(s, "/")+1:]
}
