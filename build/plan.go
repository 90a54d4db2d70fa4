package build

import (
	"slices"
	"time"

	"github.com/brefimg/brefimg/lockfile"
)

// Plan is everything a build needs, as plain data.
type Plan struct {
	// Base is the reference of the base image, e.g. "bref/php-80-fpm:1".
	Base string
	// Platform is "os/arch[/variant]", e.g. "linux/amd64".
	Platform string
	// Steps are the layers to add, in order.
	Steps []Step
	// Config holds the changes to the base's config.
	Config Config
	// Epoch is the time written into every added entry, the config and the
	// history; the zero Time means the Unix epoch.
	Epoch time.Time
	// Handler, when set, is the CMD handler that must exist in the app
	// layer, relative to the working directory (e.g. "public/index.php").
	Handler string
	// Line and PHP are the Bref line and PHP version the plan was made for
	// (recorded in brefimg.lock); zero when unknown.
	Line int
	PHP  string
	// Lock pins references to digests (brefimg.lock); nil pins nothing.
	Lock *lockfile.File
	// Locked makes every reference the lock does not pin, or pins to a
	// digest its tag no longer has, an error.
	Locked bool
}

// Refs lists the image references the plan reads: the base, then every
// image a step copies from, each once.
func (p Plan) Refs() []string {
	refs := []string{p.Base}
	for _, s := range p.Steps {
		if s.Image != "" && !slices.Contains(refs, s.Image) {
			refs = append(refs, s.Image)
		}
	}
	return refs
}

// Step adds a layer: either the subtree Src of another image, or a local directory.
type Step struct {
	// Image is the reference of an image to copy from ("" for a local directory).
	Image string
	// Name is a short label for findings and metadata, e.g. the extension name "redis".
	Name string
	// Src is the path copied from Image, e.g. "/opt". Only Src == Dest is supported.
	Src string
	// Dir is the local directory copied when Image is "".
	Dir string
	// Dest is the absolute path in the image, e.g. "/var/task".
	Dest string
	// Ignore holds .dockerignore patterns applied to Dir.
	Ignore []string
	// CreatedBy is the history text of the step, e.g. "COPY . /var/task".
	CreatedBy string
}

// Config holds changes to the image config; zero fields leave the base's value.
type Config struct {
	// Cmd replaces the base's CMD when not nil.
	Cmd []string
	// Env entries ("KEY=VALUE") are set on top of the base's.
	Env []string
}
