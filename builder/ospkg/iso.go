package ospkg

import (
	"time"

	"github.com/kubexm/kubexm/builder/isofs"
)

// VolumeLabel is the ISO 9660 volume identifier of the OS-package images,
// so a host can find the medium with blkid or /dev/disk/by-label.
const VolumeLabel = "KUBEXM_OS"

// PackISO writes the tree at dir as a plain ISO 9660 image with Rock
// Ridge names and modes at dst, labelled label, with package isofs: the
// image is as large as its content, every timestamp in it is t, and
// owners are root, so the same tree and t give the same bytes. It is
// written under a temporary name and renamed when complete; dir is left
// as it was.
func PackISO(dir, dst, label string, t time.Time) error {
	return isofs.Write(dir, dst, isofs.Options{Label: label, Time: t})
}

// sectorSize is the block size of the images, of which they are a whole
// number.
const sectorSize = isofs.SectorSize
