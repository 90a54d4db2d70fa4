package plan

import (
	"errors"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ParsePlatform parses a target platform: "os/arch[/variant]" as Docker
// writes it, or an architecture alone as Lambda, SAM and serverless.yml
// write it ("x86_64", "arm64"), which means linux. Architecture names are
// normalised as Docker does: x86_64 and x86-64 are amd64; aarch64 and
// arm64/v8 are arm64.
func ParsePlatform(s string) (v1.Platform, error) {
	t := strings.TrimSpace(s)
	if t != "" && !strings.Contains(t, "/") {
		t = "linux/" + t
	}
	p, err := v1.ParsePlatform(t)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, errors.New("use os/arch, e.g. linux/amd64 or linux/arm64 (or x86_64, arm64)")
	}
	p.OS = strings.ToLower(p.OS)
	switch strings.ToLower(p.Architecture) {
	case "x86_64", "x86-64", "amd64":
		p.Architecture = "amd64"
	case "aarch64", "arm64":
		p.Architecture = "arm64"
		if p.Variant == "v8" {
			p.Variant = ""
		}
	default:
		p.Architecture = strings.ToLower(p.Architecture)
	}
	return *p, nil
}

// LambdaArchitecture returns the name Lambda gives p's architecture in a
// function's Architectures: "x86_64" for linux/amd64, "arm64" for
// linux/arm64, and "" for a platform Lambda does not run.
func LambdaArchitecture(p v1.Platform) string {
	if p.OS != "linux" || p.Variant != "" {
		return ""
	}
	switch p.Architecture {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "arm64"
	}
	return ""
}
