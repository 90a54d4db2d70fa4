package extensions

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	baseRe = regexp.MustCompile(`(?:^|[/=\s])bref/(arm-)?php-(\d)(\d)(-fpm|-console)?(?::(\w[\w.-]*))?(?:@|$)`)
	extRe  = regexp.MustCompile(`(?:^|[/=\s])bref/extra-([a-z0-9-]+?)-php-(\d)(\d)(?::(\w[\w.-]*))?(?:@|$|\s)`)
)

// Recognized is what a reference tells about a Bref image.
type Recognized struct {
	// Line is the Bref line the tag names (1, 2, 3), or 0 when the tag does not say.
	Line int
	// PHP is the PHP version, e.g. "8.0".
	PHP string
	// Runtime is fpm, function or console; for line 3 images it is set by BREF_RUNTIME, so "".
	Runtime Runtime
	// Arch is "arm64" for bref/arm-… images, else "amd64".
	Arch string
}

// RecognizeBase reads a Bref base image reference such as
// "docker.io/bref/php-80-fpm:1"; ok is false for any other image.
func RecognizeBase(ref string) (r Recognized, ok bool) {
	m := baseRe.FindStringSubmatch(ref)
	if m == nil {
		return r, false
	}
	r.PHP = m[2] + "." + m[3]
	r.Arch = "amd64"
	if m[1] != "" {
		r.Arch = "arm64"
	}
	if n, err := strconv.Atoi(m[5]); err == nil {
		r.Line = n
	}
	switch m[4] {
	case "-fpm":
		r.Runtime = FPM
	case "-console":
		r.Runtime = Console
	default:
		if r.Line != 3 {
			r.Runtime = Function
		}
	}
	return r, true
}

// RecognizeExtension reads a Bref extension image reference found in s
// (a reference, or a history line such as "COPY --from=bref/extra-redis-php-80:0.10 /opt /opt")
// and returns the extension name, its PHP version and tag.
func RecognizeExtension(s string) (name, php, tag string, ok bool) {
	m := extRe.FindStringSubmatch(s + " ")
	if m == nil {
		return "", "", "", false
	}
	return strings.TrimSuffix(m[1], "-"), m[2] + "." + m[3], m[4], true
}
