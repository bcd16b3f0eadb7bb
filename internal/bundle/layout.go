// Package bundle owns the layout of the .kubexm tree that make-tar fills and
// create reads, its manifest, and the tarball that carries it: packing it
// deterministically, verifying it, and unpacking it safely. Nothing else in
// kubexm builds a bundle path by hand.
//
//	.kubexm/
//	  manifest.json
//	  images/                                  one OCI image layout
//	  helm/<chart>/<version>/<chart>-<version>.tgz
//	  <component>/<version>/<arch>/<upstream file name>
//	  helm-cli/<version>/<arch>/<upstream file name>   the helm program itself
//	  os/<distro>/<version>/<arch>/<distro>-<version>-<arch>.iso
package bundle

import (
	"fmt"
	"path"
	"strings"
)

// Dir is the name of the bundle's tree, in the tarball and on disk.
const Dir = ".kubexm"

// ManifestName is the manifest's path inside the tree.
const ManifestName = "manifest.json"

// ImagesDir is the OCI image layout's path inside the tree.
const ImagesDir = "images"

// Chart is the path of a Helm chart archive inside the tree.
func Chart(name, version string) (string, error) {
	if err := elements(name, version); err != nil {
		return "", fmt.Errorf("chart %s %s: %w", name, version, err)
	}
	return path.Join("helm", name, version, name+"-"+version+".tgz"), nil
}

// helmProgram is the folder of the helm program's release files: helm/ is
// the charts' folder, and a chart listing must not find the program there.
const helmProgram = "helm-cli"

// Binary is the path of a component's release file inside the tree, under
// the name upstream gives it. The helm program's files go to helm-cli/.
func Binary(component, version, arch, file string) (string, error) {
	if err := elements(component, version, arch, file); err != nil {
		return "", fmt.Errorf("%s %s %s file %q: %w", component, version, arch, file, err)
	}
	switch component {
	case "helm":
		component = helmProgram
	case "os", ImagesDir, helmProgram, BootDir:
		return "", fmt.Errorf("component %q: the name is taken by the bundle's own folders",
			component)
	}
	return path.Join(component, version, arch, file), nil
}

// OSPackages is the path of an OS package repository image inside the tree.
func OSPackages(distro, version, arch string) (string, error) {
	if err := elements(distro, version, arch); err != nil {
		return "", fmt.Errorf("os packages %s %s %s: %w", distro, version, arch, err)
	}
	name := fmt.Sprintf("%s-%s-%s.iso", distro, version, arch)
	return path.Join("os", distro, version, arch, name), nil
}

// BootDir is the folder of the bootable ISO's boot files inside the tree.
const BootDir = "boot"

// Own are the top-level entries of the tree that the layout itself names
// (besides the components' folders): what make-tar may clear in a work
// tree without calling it foreign.
func Own() []string {
	return []string{ManifestName, ImagesDir, "helm", helmProgram, "os", BootDir}
}

// Boot is the path of a boot file of the bootable ISO inside the tree: the
// kernel, the initramfs, the boot loaders, each recorded in the manifest
// like any other artifact.
func Boot(arch, file string) (string, error) {
	if err := elements(arch, file); err != nil {
		return "", fmt.Errorf("boot file %s %q: %w", arch, file, err)
	}
	return path.Join(BootDir, arch, file), nil
}

// elements checks that each value is usable as one path element.
func elements(values ...string) error {
	for _, v := range values {
		if v == "" || v == "." || v == ".." || strings.ContainsAny(v, `/\`) ||
			strings.ContainsRune(v, 0) {
			return fmt.Errorf("%q cannot be a path element", v)
		}
	}
	return nil
}

// cleanPath checks that name, from a tarball or a manifest, is a relative
// path inside the tree, and returns it cleaned.
func cleanPath(name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) ||
		strings.Contains(name, `\`) {
		return "", fmt.Errorf("path %q is not a relative path inside the bundle", name)
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("path %q leads outside the bundle", name)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", fmt.Errorf("path %q leads outside the bundle", name)
		}
	}
	return clean, nil
}
