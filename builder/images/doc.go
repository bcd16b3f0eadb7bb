// Package images copies container images from registries into one OCI image
// layout (oci-layout, index.json, blobs/sha256/...), the images folder of a
// kubexm bundle. Every blob is stored once, however many images share it, and
// a second Save of the same images fetches no blob that is already present and
// whose digest still matches.
//
// # Which platforms are kept
//
// A multi-arch image is an index whose children are one manifest per
// platform. Save keeps the index manifest exactly as the registry served it,
// so its digest does not change, and stores only the children (and their
// blobs) of the platforms in Options.Platforms. A reference such as
// registry.k8s.io/pause@sha256:<index digest> therefore still resolves after
// the layout is pushed to the site's registry: the runtime fetches the index
// by that digest and picks its own platform, which is present.
//
// The other choice, rewriting the index to list only the kept children, would
// give it a new digest and break every reference pinned by digest (charts pin
// many images that way). Its cost is that the kept index names children that
// are not in the layout. The OCI image-layout specification allows missing
// blobs, but a registry that checks every child of an index on push rejects it.
// The registry kubexm installs (distribution v3) accepts it when configured
// with validation.manifests.indexes.platforms: list and the hosts' platforms,
// checking only those children. For a stricter registry the push side can
// fall back to a complete index: Save writes one (the original with only the
// kept children) as a blob of its own and names its digest in the index.json
// entry's AnnotationCompleteIndex; references by tag work with it, references
// by the original digest do not.
//
// # What index.json says
//
// Each entry is one image and carries its full upstream reference in
// org.opencontainers.image.ref.name (and io.containerd.image.name, which
// containerd's import reads), e.g. registry.k8s.io/pause:3.10.1, even when it
// was fetched from a mirror, so the push side can name it. An entry is written
// only when every blob it needs is in the layout.
package images
