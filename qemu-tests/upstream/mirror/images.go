package mirror

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// imageSpec is one image the mirror builds from the programs it built, under the names
// upstream publishes it as.
type imageSpec struct {
	names []string // upstream references, e.g. registry.k8s.io/kube-apiserver:v1.37.2
	archs []string // more than one makes an image index
	// layers lists the layers of the image for one arch.
	layers     func(arch string) ([]layerSpec, error)
	entrypoint []string
	cmd        []string
}

// imagePath is the PATH of every image: the programs are where the upstream images keep
// them, and kubeadm's static pods name them without a folder.
const imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/bin"

// image builds the image of s for one arch.
func (s imageSpec) image(arch string) (v1.Image, error) {
	specs, err := s.layers(arch)
	if err != nil {
		return nil, err
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, ls := range specs {
		l, err := ls.layer()
		if err != nil {
			return nil, err
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			return nil, fmt.Errorf("adding a layer to %s: %w", s.names[0], err)
		}
	}

	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config of %s: %w", s.names[0], err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Created = "linux", arch, v1.Time{Time: epoch}
	cfg.Config.Entrypoint, cfg.Config.Cmd = s.entrypoint, s.cmd
	cfg.Config.Env = []string{imagePath}
	return mutate.ConfigFile(img, cfg)
}

// push builds s and writes it to the registry at addr under each of its names, prefixed by
// addr; names that are there from an earlier run are left as they are.
func (s imageSpec) push(ctx context.Context, addr string, opts []remote.Option) error {
	var missing []name.Reference
	for _, n := range s.names {
		ref, err := name.ParseReference(addr + "/" + n)
		if err != nil {
			return fmt.Errorf("parsing image name %s: %w", n, err)
		}
		if _, err := remote.Head(ref, opts...); err != nil {
			missing = append(missing, ref)
		}
	}
	if len(missing) == 0 {
		return nil
	}

	w, err := s.writable()
	if err != nil {
		return err
	}
	for _, ref := range missing {
		if err := remote.Push(ref, w, opts...); err != nil {
			return fmt.Errorf("pushing image %s: %w", ref, err)
		}
	}
	return nil
}

// writable is the image of s, or its index when it has more than one arch.
func (s imageSpec) writable() (remote.Taggable, error) {
	if len(s.archs) == 1 {
		return s.image(s.archs[0])
	}

	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range s.archs {
		img, err := s.image(arch)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	return idx, nil
}

// programLayer is a layer that holds programs of the folder dir, each at dest/name.
func programLayer(dir, dest string, names ...string) layerSpec {
	var ls layerSpec
	for _, n := range names {
		ls.files = append(ls.files, layerFile{path: dest + "/" + n,
			src: filepath.Join(dir, n), mode: 0o755})
	}
	return ls
}
