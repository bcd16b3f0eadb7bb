// Package version holds the version of the kubexm build, stamped by the
// Makefile with -ldflags -X.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Commit are set at build time; a plain go build leaves them
// at their defaults, and Commit then falls back to the VCS stamp Go embeds.
var (
	Version = "v0.0.0-dev"
	Commit  = ""
)

// String is the line `version` prints: version, commit and Go version.
func String(program string) string {
	return fmt.Sprintf("%s %s (commit %s, %s %s/%s)", program, Version, commit(),
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func commit() string {
	if Commit != "" {
		return Commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
