package builder

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// pull reads ref for platform: by the digest the lock pins it to, or by
// its tag (noted in the result's Unpinned, as the build is then not
// reproducible). Under a strict lock, a reference the lock does not pin
// is an error, and a pinned tag that has moved (or that cannot be
// checked) is noted in the result's Stale: the build still uses the
// pinned digest, and fails only when that digest cannot be read.
func (r *run) pull(ctx context.Context, stepName, ref string, platform v1.Platform) (v1.Image, plan.Input, error) {
	what := stepName + " image"
	if stepName == "base" {
		what = "base image"
	}
	in := plan.Input{Name: stepName}
	parsed, err := registry.ParseReference(ref)
	if err != nil {
		return nil, in, plan.Inputf(plan.FieldImage, "reading %s: %q is not an image reference: %v", what, ref, err)
	}
	pin, pinned := r.b.o.lock.Lookup(ref, platformString(r.pl.Platform))
	_, byDigest := parsed.(name.Digest)
	switch {
	case byDigest:
		in.Pinned = true
	case pinned:
		in.Pinned = true
		ref = parsed.Context().Digest(pin.Digest).String()
	case r.b.o.locked:
		return nil, in, plan.Inputf(plan.FieldLocked, "%s does not pin %s for %s: run brefimg lock to add it",
			lockfile.Name, ref, platformString(r.pl.Platform))
	default:
		r.res.Unpinned = append(r.res.Unpinned, ref)
	}
	img, resolved, err := r.b.src.Image(ctx, ref, platform)
	if pinned && !byDigest {
		resolved.Ref = parsed.String()
		if err != nil {
			return nil, in, classify(fmt.Errorf("reading %s %s pinned by %s to %s: %w", what, parsed, lockfile.Name, pin.Digest, err))
		}
		if err := r.checkMoved(ctx, parsed, pin.Digest, platform); err != nil {
			return nil, in, err
		}
	}
	in.Resolved = resolved
	if err != nil {
		return nil, in, classify(fmt.Errorf("reading %s: %w", what, err))
	}
	return img, in, nil
}

// checkMoved, under a strict lock, reads the tag of ref (pinned by the
// lock to pinned) and notes in the result's Stale when it now points at
// another digest or cannot be read. It fails only when ctx is done.
func (r *run) checkMoved(ctx context.Context, ref name.Reference, pinned string, platform v1.Platform) error {
	if !r.b.o.locked {
		return nil
	}
	s := plan.Stale{Ref: ref.String(), Platform: platformString(r.pl.Platform), Pinned: pinned}
	_, now, err := r.b.src.Image(ctx, ref.String(), platform)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("checking %s against %s: %w", ref, lockfile.Name, ctx.Err())
	case err != nil:
		s.Err = err.Error()
	case now.Digest.String() != pinned:
		s.Now = now.Digest.String()
	default:
		return nil
	}
	if !slices.Contains(r.res.Stale, s) {
		r.res.Stale = append(r.res.Stale, s)
	}
	return nil
}

// classify marks registry errors that are the user's to fix as input errors.
func classify(err error) error {
	if plan.IsInput(err) {
		return plan.AsInput(plan.FieldImage, err)
	}
	return err
}

// platformString is how brefimg.lock names a platform: "os/arch[/variant]".
func platformString(p v1.Platform) string {
	return p.String()
}
