package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Release builds set these (-ldflags "-X main.version=v1.2.3 -X
// main.commit=… -X main.commitTime=…"); other builds take them from the Go
// build information (VCS stamping).
var version, commit, commitTime string

// Version is what `brefimg version` reports, and the metadata records.
type Version struct {
	// Version is the release ("v1.2.3"), the module version of a `go
	// install …@v1.2.3`, or "(devel)".
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, when known.
	Commit string `json:"commit,omitempty"`
	// Time is the commit's time (RFC 3339), when known.
	Time string `json:"time,omitempty"`
	// Modified is true when the working tree had uncommitted changes.
	Modified bool `json:"modified,omitempty"`
	// Go is the Go version that built it.
	Go string `json:"go"`
	// Platform is the OS/architecture the binary runs on.
	Platform string `json:"platform"`
}

// buildVersion reads the version from the release stamp and the Go build
// information (VCS stamping).
func buildVersion() Version {
	v := Version{Version: "(devel)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if ok && bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if version != "" {
		v.Version = version
	}
	if commit != "" {
		v.Commit, v.Time, v.Modified = commit, commitTime, false
	}
	return v
}

// String renders the version on one line: "brefimg v1.2.3 (abc1234, 2026-12-01T10:00:00Z, modified) go1.26.8 linux/amd64".
func (v Version) String() string {
	var detail []string
	if v.Commit != "" {
		detail = append(detail, v.Commit[:min(12, len(v.Commit))])
	}
	if v.Time != "" {
		detail = append(detail, v.Time)
	}
	if v.Modified {
		detail = append(detail, "modified")
	}
	s := "brefimg " + v.Version
	if len(detail) > 0 {
		s += " (" + strings.Join(detail, ", ") + ")"
	}
	return s + " " + v.Go + " " + v.Platform
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	v := buildVersion()
	switch {
	case len(args) == 0:
		fmt.Fprintln(stdout, v)
	case len(args) == 1 && args[0] == "--json":
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	case len(args) == 1 && (args[0] == "--help" || args[0] == "-h"):
		fmt.Fprint(stdout, "Usage: brefimg version [--json]\n\nPrints the version, the commit and its time, and whether the tree was modified.\n")
	default:
		return usageError(stderr, "version", fmt.Errorf("unexpected arguments %q: use brefimg version [--json]", args))
	}
	return exitOK
}
