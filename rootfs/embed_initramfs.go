//go:build kubexm_initramfs

package rootfs

import "embed"

// dist is empty in the installer that make rootfs puts into the base: the
// installer links this package (through the builder) but never assembles
// an initramfs, and embedding the previous base there would make every
// base hold the one before it.
var dist embed.FS
