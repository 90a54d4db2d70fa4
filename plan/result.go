package plan

import (
	"context"
	"errors"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/registry"
)

// OriginKind says what kind of step added a layer.
type OriginKind string

// The kinds of [Origin]. They are written to --metadata-file.
const (
	OriginBase    OriginKind = "base"    // a layer of the base image
	OriginImage   OriginKind = "image"   // copied from another image (an extension image, COPY --from=image)
	OriginDir     OriginKind = "dir"     // copied from a local directory (the app, the build context)
	OriginStage   OriginKind = "stage"   // copied from an earlier stage of a Dockerfile
	OriginWorkdir OriginKind = "workdir" // made by a Dockerfile WORKDIR
	OriginInline  OriginKind = "inline"  // a Dockerfile heredoc (COPY <<EOF)
	OriginRun     OriginKind = "run"     // made by a Dockerfile RUN, in BuildKit
)

// Origin says what added a layer of a result.
type Origin struct {
	// Kind says what kind of step added it.
	Kind OriginKind `json:"kind"`
	// Name is the step's name (e.g. "redis"), empty for the base.
	Name string `json:"name,omitempty"`
	// Reused is true when the layer is another image's blob appended as it is.
	Reused bool `json:"reused,omitempty"`
}

// Input is an image a build read, with the digest it resolved to.
type Input struct {
	// Name is the step's name ("base" for the base image).
	Name string `json:"name"`
	registry.Resolved
	// Pinned is true when the digest came from brefimg.lock (or the
	// reference named it).
	Pinned bool `json:"pinned"`
}

// Result is what a builder made of a plan: the image and what the build
// observed on the way.
type Result struct {
	// Image is the image; reading its added layers needs the Result to be open.
	Image v1.Image
	// Platform is the image's platform.
	Platform v1.Platform
	// Base is the base image as resolved.
	Base Input
	// Inputs are the other images read (extensions, COPY --from), in step order.
	Inputs []Input
	// Origins has one entry per layer of Image, in order.
	Origins []Origin
	// Findings are what the builder observed that will break or may
	// surprise on Lambda, in the order found.
	Findings []findings.Finding
	// Unpinned lists the references read by tag, not by a digest.
	Unpinned []string
	// Stale lists, for a strictly locked build, the pinned images whose
	// tag moved since brefimg.lock was written or could not be checked;
	// the build used the pinned digests all the same.
	Stale []Stale
	// Written holds, step by step, what each step of the plan wrote.
	Written []Written
	// Tree is the final image's file tree when the builder read it (a
	// Dockerfile build reads the base's headers); nil otherwise.
	Tree Tree
	// AppPaths are the paths (relative to /var/task, directories with a
	// trailing "/") of the layers made of the app directory, for the app
	// checks; nil when the builder did not list them.
	AppPaths []string
	// AppFromTree is true when the app checks must read the app from
	// Tree's /var/task, not from the build context: a RUN step may have
	// changed it (composer install), or a stage BuildKit built copied
	// into it.
	AppFromTree bool

	closers []func() error
}

// OnClose registers f to run when the result is closed (removing the
// temporary files behind the added layers).
func (r *Result) OnClose(f func() error) { r.closers = append(r.closers, f) }

// Close releases what the result holds.
func (r *Result) Close() error {
	var errs []error
	for _, c := range r.closers {
		errs = append(errs, c())
	}
	r.closers = nil
	return errors.Join(errs...)
}

// Added counts the layers the build added on top of the base.
func (r *Result) Added() int {
	n := 0
	for _, o := range r.Origins {
		if o.Kind != OriginBase {
			n++
		}
	}
	return n
}

// Stale is an image brefimg.lock pins whose tag no longer points at the
// pinned digest, or whose tag could not be read. Exactly one of Now and
// Err is set.
type Stale struct {
	// Ref is the reference as the plan names it, e.g. "bref/php-84-fpm:3".
	Ref string
	// Platform is the platform of the lock entry, "os/arch[/variant]".
	Platform string
	// Pinned is the digest the lock pins, which the build used.
	Pinned string
	// Now is the digest the tag points at now.
	Now string
	// Err says why the tag could not be read (deleted, unreachable).
	Err string
}

// Tree is a read-only view of an image's files; *layers.Tree is one.
type Tree interface {
	// Lookup returns the entry at the absolute path p, not following a
	// final symbolic link.
	Lookup(p string) (layers.Entry, bool)
	// ReadDir lists the entries directly in dir.
	ReadDir(dir string) []layers.Entry
	// ReadFile returns the content of the regular file p, up to max bytes.
	ReadFile(ctx context.Context, p string, max int64) ([]byte, error)
}

var _ Tree = (*layers.Tree)(nil)

// Written is what one step of a build wrote.
type Written struct {
	// Step is the plan's step.
	Step Step
	// Entries are what it wrote, as the image then had them.
	Entries []layers.Entry
	// From is the file tree of the image the step copied from, and FromRef
	// its reference; nil and "" when it copied from no image.
	From    Tree
	FromRef string
}
