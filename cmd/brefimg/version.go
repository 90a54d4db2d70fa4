package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

func runVersion(stdout io.Writer) int {
	version, revision := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = " " + s.Value
			}
		}
	}
	fmt.Fprintf(stdout, "brefimg %s%s\n", version, revision)
	return exitOK
}
