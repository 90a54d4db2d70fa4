package builder

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/plan"
)

// Solver builds what only a container can: the stages of a Dockerfile
// that RUN commands. The BuildKit client (package buildkit) is one.
type Solver interface {
	// Solve builds req and returns the single-platform image it made.
	Solve(ctx context.Context, req SolveRequest) (v1.Image, error)
}

// SolveRequest is one build a Solver runs.
type SolveRequest struct {
	// Solve is the Dockerfile and its context, as the front end read them.
	Solve plan.Solve
	// File is the Dockerfile's name, for messages.
	File string
	// Target is the stage to build: a stage's name, or "" for the
	// Dockerfile's own target (Solve.Target, else the last stage).
	Target string
	// Platform is the platform the stage is built for.
	Platform v1.Platform
	// Epoch is SOURCE_DATE_EPOCH: the time of the image config, its
	// history, and every file the build writes.
	Epoch time.Time
	// Images are the images the Dockerfile reads, as brefimg resolved
	// them: the engine must use these and pull nothing itself.
	Images []SolveImage
	// Exclude lists paths of this machine that must not be sent with the
	// build context: the build's outputs (Plan.Exclude) and the layer
	// cache, which holds the store of images handed to BuildKit.
	Exclude []string
	// Intermediate is true when the builder only reads the image (a
	// stage the final stage copies from), never pushes it: its layers
	// may be uncompressed, with the times the build gave them.
	Intermediate bool
	// OCI is true when the image is made with OCI media types, false for
	// Docker's: the base's kind, as brefimg's own builds keep it.
	OCI bool
	// Dir is an empty directory the Solver may write into (the image it
	// returns, most often); the builder removes it once the result is
	// closed.
	Dir string
}

// SolveImage is an image a Dockerfile reads, by the reference it names.
type SolveImage struct {
	// Ref is the reference as the Dockerfile names it (FROM, COPY --from).
	Ref string
	// Platform is the platform it was read for.
	Platform v1.Platform
	// Image is the image, pinned by its digest.
	Image v1.Image
}

// WithSolver lets the builder send the stages of a Dockerfile that RUN
// commands to s. Without it, such a plan is an error.
func WithSolver(s Solver) Option {
	return func(o *options) error {
		o.solver = s
		return nil
	}
}

// errNoSolver is the error of a plan that RUNs commands when the builder
// has no Solver.
var errNoSolver = plan.Inputf(plan.FieldFile, "the Dockerfile RUNs commands, which need a container build engine: %s", plan.RunHint)

// inputs reads every image the plan reads, with read, but for the base
// (already read: base).
func (r *run) inputs(ctx context.Context, base v1.Image, read func(context.Context, plan.ImageRef) (v1.Image, error)) ([]SolveImage, error) {
	ins := r.pl.Images()
	out := make([]SolveImage, len(ins))
	for i, in := range ins {
		out[i] = SolveImage{Ref: in.Ref, Platform: in.Platform}
		if in.Ref == r.pl.Base && in.Platform.Equals(r.pl.Platform) {
			out[i].Image = base
			continue
		}
		img, err := read(ctx, in)
		if err != nil {
			return nil, err
		}
		out[i].Image = img
	}
	return out, nil
}

// solve has the Solver build the target stage (a stage's name, which is
// an intermediate image, or "" for the Dockerfile's target, the image the
// build makes) for platform, with images, in a directory of its own that
// the result removes once closed.
func (r *run) solve(ctx context.Context, target string, platform v1.Platform, images []SolveImage) (v1.Image, error) {
	intermediate := target != ""
	if r.b.o.solver == nil {
		return nil, errNoSolver
	}
	dir, err := os.MkdirTemp(r.b.o.tempDir, "brefimg-solve-*")
	if err != nil {
		return nil, fmt.Errorf("making a directory for BuildKit's output: %w", err)
	}
	r.res.OnClose(func() error { return os.RemoveAll(dir) })
	return r.b.o.solver.Solve(ctx, SolveRequest{Solve: *r.pl.Solve, File: r.pl.File, Target: target, Platform: platform,
		Epoch: r.b.o.epoch, Images: images, Exclude: r.excluded(), Dir: dir, OCI: r.layerMT == types.OCILayer, Intermediate: intermediate})
}

// solveWhole has the Solver build the whole image of a Dockerfile whose
// final stage RUNs commands, with the images brefimg pulled (the lock,
// the mirror and the credentials apply as to any build), then reads its
// file tree and what each added layer wrote, for the checks.
func (r *run) solveWhole(ctx context.Context, base v1.Image) (v1.Image, error) {
	images, err := r.inputs(ctx, base, func(ctx context.Context, in plan.ImageRef) (v1.Image, error) {
		img, input, err := r.pull(ctx, in.Name, in.Ref, in.Platform)
		if err == nil {
			r.res.Inputs = append(r.res.Inputs, input)
		}
		return img, err
	})
	if err != nil {
		return nil, err
	}
	img, err := r.solve(ctx, "", r.pl.Platform, images)
	if err != nil {
		return nil, err
	}
	return img, r.readSolved(ctx, base, img)
}

// readSolved takes the image the Solver built on base as the result: it
// checks that it is for the plan's platform and starts with the base's
// layers (the base brefimg pinned, not one the engine found itself),
// reads its file tree, and records, per added layer, what it wrote and
// which step of the Dockerfile made it (by its history).
func (r *run) readSolved(ctx context.Context, base, img v1.Image) error {
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading the config of the image BuildKit built: %w", err)
	}
	if got := cf.Platform(); got == nil || got.OS != r.pl.Platform.OS || got.Architecture != r.pl.Platform.Architecture {
		return fmt.Errorf("BuildKit built an image for %v, not %s", got, r.pl.Platform)
	}
	ls, err := img.Layers()
	if err != nil {
		return fmt.Errorf("reading the layers of the image BuildKit built: %w", err)
	}
	bls, err := base.Layers()
	if err != nil {
		return fmt.Errorf("reading the layers of base image %s: %w", r.pl.Base, err)
	}
	nBase := len(bls)
	if len(ls) < nBase {
		return fmt.Errorf("BuildKit built an image of %d layers from a base image of %d", len(ls), nBase)
	}
	for i, bl := range bls {
		want, err := bl.Digest()
		if err != nil {
			return fmt.Errorf("reading base image %s: %w", r.pl.Base, err)
		}
		if got, err := ls[i].Digest(); err != nil || got != want {
			return fmt.Errorf("BuildKit built the image on another base than %s@%s: its layer %d is %s, not %s", r.pl.Base, r.res.Base.Digest, i+1, got, want)
		}
	}
	t, err := layers.ReadTree(ctx, img, r.treeOpts()...)
	if err != nil {
		return fmt.Errorf("reading the file tree of the image BuildKit built: %w", err)
	}
	r.res.OnClose(t.Close)
	r.res.Tree, r.res.AppFromTree = t, true
	bcf, err := base.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading the config of base image %s: %w", r.pl.Base, err)
	}
	steps := layerSteps(r.pl.Steps, cf.History[min(len(bcf.History), len(cf.History)):], len(ls)-nBase)
	for i := nBase; i < len(ls); i++ {
		s := steps[i-nBase]
		r.res.Written = append(r.res.Written, plan.Written{Step: s, Entries: t.LayerEntries(i)})
		r.res.Origins = append(r.res.Origins, originOf(s))
	}
	return nil
}

// layerSteps matches the n layers a Dockerfile added (the non-empty
// entries of history, the history after the base's) with the steps that
// made them: layers come in the order of the instructions, so each
// layer's instruction (RUN, COPY, ADD, WORKDIR) is matched with the next
// step of that kind. A layer with no match (or no history) gets a step of
// the kind its instruction says, with its history text and no line.
func layerSteps(steps []plan.Step, history []v1.History, n int) []plan.Step {
	made := make([]string, 0, n)
	for _, h := range history {
		if !h.EmptyLayer && len(made) < n {
			made = append(made, strings.TrimSuffix(h.CreatedBy, " # buildkit"))
		}
	}
	out := make([]plan.Step, n)
	next := 0
	for i := range out {
		out[i] = plan.Step{Kind: plan.StepCopy, Name: "layer"}
		if i < len(made) {
			out[i].CreatedBy = made[i]
		}
		kw, _, _ := strings.Cut(out[i].CreatedBy, " ")
		if strings.EqualFold(kw, "RUN") {
			out[i].Kind = plan.StepRun
		}
		for j := next; j < len(steps); j++ {
			skw, _, _ := strings.Cut(steps[j].CreatedBy, " ")
			if strings.EqualFold(skw, kw) {
				out[i], next = steps[j], j+1
				break
			}
		}
	}
	return out
}

// originOf says what kind of step s is, for the metadata.
func originOf(s plan.Step) plan.Origin {
	o := plan.Origin{Name: s.Name}
	switch {
	case s.Kind == plan.StepRun:
		o.Kind = plan.OriginRun
	case s.Kind == plan.StepMkdir:
		o.Kind = plan.OriginWorkdir
	case s.Image != "":
		o.Kind = plan.OriginImage
	case s.Stage != "":
		o.Kind = plan.OriginStage
	case len(s.Files) > 0 && len(s.Sources) == 0:
		o.Kind = plan.OriginInline
	default:
		o.Kind = plan.OriginDir
	}
	return o
}

// solveStage has the Solver build the earlier stage st, which RUNs
// commands, and returns the image it made: the final stage copies from
// it as from any image.
func (d *dockerBuild) solveStage(ctx context.Context, st *plan.Stage) (*srcImage, error) {
	images, err := d.r.inputs(ctx, d.base, func(ctx context.Context, in plan.ImageRef) (v1.Image, error) {
		si, err := d.pulled(ctx, in.Name, in.Ref, &in.Platform)
		if err != nil {
			return nil, err
		}
		return si.img, nil
	})
	if err != nil {
		return nil, err
	}
	// The target platform is the image's, whatever the stage's own
	// FROM --platform says (BuildKit honours that): TARGETARCH is the
	// same in every stage, as with docker build.
	img, err := d.r.solve(ctx, st.Name, d.pl.Platform, images)
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", st.Name, err)
	}
	t, err := layers.ReadTree(ctx, img, d.treeOpts()...)
	if err != nil {
		return nil, fmt.Errorf("reading the file tree of stage %s, as BuildKit built it: %w", st.Name, err)
	}
	return &srcImage{ref: "stage " + st.Name, img: img, tree: d.keep(t)}, nil
}
