// Package version holds the build's version, set at link time with
// -ldflags "-X github.com/crn-dev/crn/internal/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the release this binary was built from.
var Version = "dev"

// String returns Version, or the VCS revision embedded by the Go toolchain for dev builds.
func String() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return Version
}
