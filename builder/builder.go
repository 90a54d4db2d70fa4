package builder

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// Source reads images by reference; *registry.Client is one.
type Source interface {
	Image(ctx context.Context, ref string, platform v1.Platform) (v1.Image, registry.Resolved, error)
}

var _ Source = (*registry.Client)(nil)

// Annotation keys recording the base image (OCI image spec, annotations.md).
const (
	AnnotationBaseName   = "org.opencontainers.image.base.name"
	AnnotationBaseDigest = "org.opencontainers.image.base.digest"
	// AnnotationInputPrefix + a step's name records the image it copied
	// from and the digest used, e.g. "dev.brefimg.input.redis".
	AnnotationInputPrefix = "dev.brefimg.input."
)

// Option configures a [Builder].
type Option func(*options) error

type options struct {
	tempDir string
	cache   *layers.Cache
	epoch   time.Time
	lock    *lockfile.File
	locked  bool
	solver  Solver
}

// WithCache keeps and reuses the app layers in c: a layer whose files did
// not change is not compressed again.
func WithCache(c *layers.Cache) Option {
	return func(o *options) error {
		o.cache = c
		return nil
	}
}

// WithTempDir sets where the added layers are written while the build runs.
func WithTempDir(dir string) Option {
	return func(o *options) error {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() {
			return fmt.Errorf("temporary directory %q is not a directory", dir)
		}
		o.tempDir = dir
		return nil
	}
}

// WithEpoch sets the time written into every added entry, the config and
// the history (default: the Unix epoch).
func WithEpoch(t time.Time) Option {
	return func(o *options) error {
		o.epoch = t.UTC()
		return nil
	}
}

// WithLock pulls every reference lock pins by its digest. With locked, a
// reference the lock does not pin is an error; lock must not be nil then.
func WithLock(lock *lockfile.File, locked bool) Option {
	return func(o *options) error {
		if locked && lock == nil {
			return plan.Inputf(plan.FieldLocked, "there is no %s: run brefimg lock first", lockfile.Name)
		}
		o.lock, o.locked = lock, locked
		return nil
	}
}

// Builder is brefimg's own builder: it never runs a container. Base layers
// are referenced, not read (but for Dockerfile builds, which read their
// headers); extension blobs are appended as they are when that gives the
// same files; the app is packed into deterministic, cached layers.
type Builder struct {
	src Source
	o   options
}

// New returns a Builder that reads images from src. It removes the
// temporary files that killed builds left in its temporary directory (see
// layers.RemoveStaleTemp; the cache cleans its own when opened).
func New(src Source, opts ...Option) (*Builder, error) {
	o := options{tempDir: os.TempDir(), epoch: time.Unix(0, 0).UTC()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	layers.RemoveStaleTemp(o.tempDir)
	return &Builder{src: src, o: o}, nil
}

// run is one build: the plan, the result so far, and the layers to append.
type run struct {
	b       *Builder
	pl      plan.Plan
	res     *plan.Result
	layerMT types.MediaType
	lopts   []layers.Option
	adds    []mutate.Addendum
}

// Build assembles the image the plan describes. On error nothing is left
// behind. The caller must Close the result once the image is written.
func (b *Builder) Build(ctx context.Context, pl plan.Plan) (_ *plan.Result, err error) {
	docker, err := pl.DockerSteps()
	if err != nil {
		return nil, plan.AsInput(plan.FieldFile, err)
	}
	r := &run{b: b, pl: pl, res: &plan.Result{Platform: pl.Platform}}
	defer func() {
		if err != nil {
			r.res.Close()
		}
	}()
	base, baseCfg, err := r.base(ctx)
	if err != nil {
		return nil, err
	}
	if pl.Solve != nil && pl.Solve.Whole {
		img, err := r.solveWhole(ctx, base)
		if err != nil {
			return nil, err
		}
		if r.res.Image, err = r.record(img); err != nil {
			return nil, err
		}
		return r.res, nil
	}
	r.lopts = []layers.Option{layers.WithEpoch(b.o.epoch), layers.WithMediaType(r.layerMT), layers.WithTempDir(b.o.tempDir)}
	if docker {
		err = r.docker(ctx, base, baseCfg)
	} else {
		err = r.flagSteps(ctx)
	}
	if err != nil {
		return nil, err
	}
	if r.res.Image, err = r.finish(base); err != nil {
		return nil, err
	}
	return r.res, nil
}

// base reads the base image (or makes FROM scratch's), notes it in the
// result, and chooses the media type of the added layers to match it.
func (r *run) base(ctx context.Context) (v1.Image, *v1.ConfigFile, error) {
	var base v1.Image
	var err error
	if r.pl.Base == plan.Scratch {
		if base, err = scratchImage(r.pl.Platform); err != nil {
			return nil, nil, fmt.Errorf("making an empty base image: %w", err)
		}
		r.res.Base = plan.Input{Name: "base", Resolved: registry.Resolved{Ref: plan.Scratch}}
	} else if base, r.res.Base, err = r.pull(ctx, "base", r.pl.Base, r.pl.Platform); err != nil {
		return nil, nil, err
	}
	mt, err := base.MediaType()
	if err != nil {
		return nil, nil, fmt.Errorf("reading base image %s: %w", r.pl.Base, err)
	}
	r.layerMT = types.DockerLayer
	if mt == types.OCIManifestSchema1 {
		r.layerMT = types.OCILayer
	}
	cfg, err := base.ConfigFile()
	if err != nil {
		return nil, nil, fmt.Errorf("reading base image config %s: %w", r.pl.Base, err)
	}
	ls, err := base.Layers()
	if err != nil {
		return nil, nil, fmt.Errorf("reading base image %s: %w", r.pl.Base, err)
	}
	for range ls {
		r.res.Origins = append(r.res.Origins, plan.Origin{Kind: plan.OriginBase})
	}
	return base, cfg, nil
}

// add queues the layers a step added, and records what they wrote.
func (r *run) add(as []added) {
	for _, a := range as {
		r.adds = append(r.adds, mutate.Addendum{
			Layer:     a.layer,
			MediaType: r.layerMT,
			History:   v1.History{Created: v1.Time{Time: r.b.o.epoch}, CreatedBy: a.createdBy, Comment: "brefimg"},
		})
		r.res.Origins = append(r.res.Origins, a.origin)
	}
}

// flagSteps applies the StepLayer steps of a flag build.
func (r *run) flagSteps(ctx context.Context) error {
	for _, step := range r.pl.Steps {
		var as []added
		var err error
		if step.Image != "" {
			as, err = r.imageStep(ctx, step)
		} else {
			as, err = r.dirStep(ctx, step)
		}
		if err != nil {
			return err
		}
		w := plan.Written{Step: step}
		n := 0
		for _, a := range as {
			n += len(a.entries)
		}
		w.Entries = make([]layers.Entry, 0, n)
		if step.Image == "" {
			r.res.AppPaths = slices.Grow(r.res.AppPaths, n)
		}
		for _, a := range as {
			w.Entries = append(w.Entries, a.entries...)
			if step.Image == "" {
				r.noteApp(a.entries)
			}
		}
		r.res.Written = append(r.res.Written, w)
		r.add(as)
	}
	if r.res.AppPaths == nil {
		r.res.AppPaths = []string{}
	}
	return nil
}

// noteApp records the app's paths, relative to /var/task, for the app checks.
func (r *run) noteApp(entries []layers.Entry) {
	for _, e := range entries {
		if rel, ok := strings.CutPrefix(e.Path, plan.AppDest+"/"); ok {
			if e.Type == '5' {
				rel += "/"
			}
			r.res.AppPaths = append(r.res.AppPaths, rel)
		}
	}
}

// finish appends the added layers to base and writes the config: CMD,
// environment, the Dockerfile's changes, the creation time, and the
// images read (annotations for OCI images, labels for Docker's).
func (r *run) finish(base v1.Image) (v1.Image, error) {
	img, err := mutate.Append(base, r.adds...)
	if err != nil {
		return nil, fmt.Errorf("appending layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading assembled config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: r.b.o.epoch}
	if r.pl.Config.Cmd != nil {
		cf.Config.Cmd = r.pl.Config.Cmd
	}
	cf.Config.Env = mergeEnv(cf.Config.Env, r.pl.Config.Env)
	applyConfig(cf, r.pl.Config)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("writing config: %w", err)
	}
	return r.record(img)
}

// record notes in img the images the build read: the base and every
// input, as annotations of an OCI image and as labels of a Docker one
// (whose manifests have no annotations).
func (r *run) record(img v1.Image) (v1.Image, error) {
	anns := map[string]string{}
	if r.pl.Base != plan.Scratch {
		anns[AnnotationBaseName] = baseNameOf(r.pl.Base)
		anns[AnnotationBaseDigest] = r.res.Base.Digest.String()
	}
	for _, in := range r.res.Inputs {
		anns[AnnotationInputPrefix+in.Name] = in.Ref + "@" + in.Digest.String()
	}
	if len(anns) == 0 {
		return img, nil
	}
	if r.layerMT == types.DockerLayer {
		// Docker schema 2 manifests have no annotations: record the base in labels.
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading assembled config: %w", err)
		}
		cf = cf.DeepCopy()
		if cf.Config.Labels == nil {
			cf.Config.Labels = map[string]string{}
		}
		for k, v := range anns {
			cf.Config.Labels[k] = v
		}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return nil, fmt.Errorf("writing config: %w", err)
		}
	} else {
		img = mutate.Annotations(img, anns).(v1.Image)
	}
	return img, nil
}
