package rootfs

import (
	"errors"
	"io/fs"
)

// baseName is the base archive's name in dist.
const baseName = "dist/base.cpio.xz"

// ErrNoBase says that this program was compiled without its base archive.
var ErrNoBase = errors.New("this kubexm-builder was built without its initramfs: run make rootfs")

// Base returns the embedded base archive: u-root and the kubexm installer,
// as one xz-compressed cpio archive.
func Base() ([]byte, error) {
	data, err := dist.ReadFile(baseName)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(data) == 0) {
		return nil, ErrNoBase
	}
	return data, err
}
