package app

import "runtime/debug"

// Version is the build's version: set with -ldflags "-X cloudbroker/cmd/app.Version=v1.2.3",
// else the module version or VCS revision Go recorded, else "dev".
var Version = ""

func init() {
	if Version != "" {
		return
	}
	Version = "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				Version = s.Value[:12]
			}
		}
	}
}
