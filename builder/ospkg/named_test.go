package ospkg

import (
	"strings"
	"testing"
)

const kernelIndex = `Package: linux-image-amd64
Version: 6.1.158-1
Architecture: amd64
Depends: linux-image-6.1.0-41-amd64 (= 6.1.158-1)

Package: linux-image-amd64
Version: 6.1.140-1
Architecture: amd64
Depends: linux-image-6.1.0-37-amd64 (= 6.1.140-1)

Package: linux-image-6.1.0-41-amd64
Version: 6.1.158-1
Architecture: amd64
Depends: kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool

Package: linux-image-6.1.0-37-amd64
Version: 6.1.140-1
Architecture: amd64

Package: linux-image-cloud-amd64
Version: 6.1.158-1
Architecture: amd64
Depends: linux-image-6.1.0-99-cloud-amd64 (= 6.1.158-1)

Package: isolinux
Version: 3:6.04~git20190206.bf6db5b4+dfsg1-3
Architecture: all
`

func TestKernelFollowsTheMetapackage(t *testing.T) {
	ix := syntheticIndex(t, kernelIndex)
	tests := []struct{ name, want, err string }{
		{name: "linux-image-amd64", want: "linux-image-6.1.0-41-amd64=6.1.158-1/amd64"},
		{name: "linux-image-6.1.0-37-amd64", want: "linux-image-6.1.0-37-amd64=6.1.140-1/amd64"},
		{name: "linux-image-cloud-amd64", err: "depends on no linux-image-* package"},
		{name: "linux-image-arm64", err: "linux-image-arm64: not in the indexes read for amd64"},
	}
	for _, tt := range tests {
		p, err := ix.Kernel(tt.name)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Kernel(%s) = %v, %v; want error containing %q", tt.name, p, err, tt.err)
			}
			continue
		}
		if err != nil || p.String() != tt.want {
			t.Errorf("Kernel(%s) = %v, %v; want %s", tt.name, p, err, tt.want)
		}
	}
}

func TestNewestTakesTheHighestVersion(t *testing.T) {
	ix := syntheticIndex(t, kernelIndex)
	p, err := ix.Newest("linux-image-amd64")
	if err != nil || p.Version != "6.1.158-1" {
		t.Fatalf("Newest = %v, %v; want version 6.1.158-1", p, err)
	}
	if p, err := ix.Newest("isolinux"); err != nil || p.Architecture != "all" {
		t.Fatalf("Newest(isolinux) = %v, %v; want the arch-all package", p, err)
	}
}
