package rootfs

import "embed"

// dist holds base.cpio.xz when make rootfs ran before the build; in a
// fresh clone it holds only a README, so that the package still compiles.
//
//go:embed all:dist
var dist embed.FS
