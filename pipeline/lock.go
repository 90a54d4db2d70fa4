package pipeline

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// Resolver resolves references to digests; *registry.Client is one.
type Resolver interface {
	Image(ctx context.Context, ref string, platform v1.Platform) (v1.Image, registry.Resolved, error)
}

// Lock resolves every reference of pl for its platform and returns the
// lock file to write: entries of prev for other platforms are kept, and so
// are this platform's entries for references still used, unless update.
func Lock(ctx context.Context, src Resolver, pl plan.Plan, prev *lockfile.File, update bool) (*lockfile.File, error) {
	platform := pl.Platform.String()
	out := &lockfile.File{Bref: pl.Line, PHP: pl.PHP}
	if prev != nil {
		for _, e := range prev.Images {
			if e.Platform != platform {
				out.Set(e)
			}
		}
	}
	for _, ref := range pl.Refs() {
		if e, ok := prev.Lookup(ref, platform); ok && !update {
			out.Set(e)
			continue
		}
		_, resolved, err := src.Image(ctx, ref, pl.Platform)
		if err != nil {
			err = fmt.Errorf("resolving %s: %w", ref, err)
			if plan.IsInput(err) {
				return nil, plan.AsInput(plan.FieldImage, err)
			}
			return nil, err
		}
		e := lockfile.Entry{Ref: ref, Platform: platform, Digest: resolved.Digest.String()}
		if resolved.Index != nil {
			e.Index = resolved.Index.String()
		}
		out.Set(e)
	}
	return out, nil
}
