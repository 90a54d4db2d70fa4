package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/checks"
	"github.com/brefimg/brefimg/deploy"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/imagecheck"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
	"github.com/brefimg/brefimg/registry/ecr"
)

// Builder turns a plan into an image. brefimg's own builder (package
// builder) is one; a BuildKit-backed builder for RUN steps is another.
type Builder interface {
	// Build assembles the image the plan describes; the caller closes
	// the result once the image is written.
	Build(ctx context.Context, p plan.Plan) (*plan.Result, error)
}

// Publisher pushes an image to references and returns the digest
// reference of each; *registry.Client is one.
type Publisher interface {
	Push(ctx context.Context, img v1.Image, tags []name.Reference) ([]name.Digest, error)
}

var _ Publisher = (*registry.Client)(nil)

// Deployer points Lambda functions at an image pushed by digest;
// *deploy.Functions is one.
type Deployer interface {
	Deploy(ctx context.Context, ref name.Digest, platform v1.Platform) ([]deploy.Result, error)
}

var _ Deployer = (*deploy.Functions)(nil)

// Observer is told what the pipeline does, for progress display.
type Observer interface {
	// Built is called once the image is built, before it is checked.
	Built(res *plan.Result)
	// Checked is called with the findings after the policy, before
	// anything is written.
	Checked(fs []findings.Finding)
	// Track wraps the image to be written, to watch its layers being read.
	Track(img v1.Image, targets []name.Reference) v1.Image
}

// Report is what a run made and found.
type Report struct {
	// Plan is the plan built.
	Plan plan.Plan
	// Result is the build; nil when the build failed, or when a check-only
	// run could not reach a registry or was given no images (Skipped says
	// why).
	Result *plan.Result
	// Findings are every finding after the policy, in the order found: the
	// front end's, the app's, the builder's, the image's.
	Findings []findings.Finding
	// Digest is the image's digest.
	Digest v1.Hash
	// Pushed are the digest references pushed, one per target.
	Pushed []name.Digest
	// Skipped says which checks did not run and why, "" when every one
	// ran: the image checks, when a check-only run could not read the
	// images (WithoutImages, or the registry cannot be reached); the app
	// checks, when the plan copies no app directory to /var/task or its
	// Bref line is unknown (see checks.AppSkipped). One line per note.
	Skipped string
	// Deployed is what each function runs after WithDeploy.
	Deployed []deploy.Result
}

// Errors returns the findings of severity error: when there are any,
// nothing was written or pushed.
func (r *Report) Errors() []findings.Finding { return findings.Errors(r.Findings) }

// Close releases the result's temporary files.
func (r *Report) Close() error {
	if r.Result == nil {
		return nil
	}
	return r.Result.Close()
}

// WithoutImages makes a check-only run (with CheckOnly) build nothing,
// because the images cannot be read (why says why, e.g. the registry
// cannot be reached): the checks that need no image run (the front end's
// findings, the app checks), and Report.Skipped names the others, with
// why.
func WithoutImages(why string) Option {
	return func(o *options) error {
		if why == "" {
			return errors.New("pipeline: WithoutImages needs a reason")
		}
		o.noImages = why
		return nil
	}
}

// StoppedError is returned when findings of severity error stopped the
// run before anything was written.
type StoppedError struct{ Count int }

func (e *StoppedError) Error() string {
	return fmt.Sprintf("build stopped by %d error(s) above; nothing was written or pushed", e.Count)
}

// IsInput reports that the input (the app, the plan) is at fault.
func (e *StoppedError) IsInput() bool { return true }

// Run runs the pipeline on pl, made by a front end that also found
// planFindings. On error the report holds what was found so far; the
// caller closes the report.
func Run(ctx context.Context, b Builder, pl plan.Plan, planFindings []findings.Finding, opts ...Option) (*Report, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	rep := &Report{Plan: pl, Findings: planFindings}
	if o.noImages != "" && !o.checkOnly {
		return rep, errors.New("pipeline: WithoutImages needs CheckOnly: a build needs its images")
	}
	if err := o.checkLock(pl); err != nil {
		return rep, err
	}
	res, why, err := o.build(ctx, b, pl)
	if err != nil {
		return rep, err
	}
	rep.Result = res
	rep.Skipped = skippedNote(pl, why)
	if res != nil && o.observer != nil {
		o.observer.Built(res)
	}
	fs, err := o.check(ctx, pl, res)
	if err != nil {
		return rep, err
	}
	rep.Findings = o.policy.Apply(append(rep.Findings, fs...))
	if o.observer != nil {
		o.observer.Checked(rep.Findings)
	}
	if res == nil || o.checkOnly {
		return rep, nil
	}
	if errs := rep.Errors(); len(errs) > 0 {
		return rep, &StoppedError{Count: len(errs)}
	}
	if rep.Digest, err = res.Image.Digest(); err != nil {
		return rep, fmt.Errorf("computing the image digest: %w", err)
	}
	if rep.Pushed, err = o.publish(ctx, res.Image); err != nil {
		return rep, err
	}
	rep.Deployed, err = o.deploy(ctx, rep.Pushed, res.Platform)
	return rep, err
}

// build builds the plan with b. A check-only run that cannot read the
// images (WithoutImages, or a registry that cannot be reached or refuses)
// builds nothing: the result is nil, and why says why.
func (o *options) build(ctx context.Context, b Builder, pl plan.Plan) (res *plan.Result, why string, err error) {
	if o.noImages != "" {
		return nil, o.noImages, nil
	}
	res, err = b.Build(ctx, pl)
	var rerr *registry.Error
	switch {
	case err == nil:
		return res, "", nil
	case o.checkOnly && errors.As(err, &rerr) && !errors.Is(err, registry.ErrBrokenImage):
		// The registry cannot be reached or refuses: the app checks still run.
		return nil, err.Error(), nil
	}
	return nil, "", err
}

// skippedNote says which checks of pl do not run: the image checks when
// the image was not built (imageWhy says why), the app checks when
// checks.AppSkipped says so; "" when every check runs.
func skippedNote(pl plan.Plan, imageWhy string) string {
	var notes []string
	if imageWhy != "" {
		notes = append(notes, fmt.Sprintf("image checks skipped (%s): %s", strings.Join(imageChecks(pl), ", "), imageWhy))
	}
	if why := checks.AppSkipped(pl); why != "" {
		notes = append(notes, why)
	}
	return strings.Join(notes, "\n")
}

// imageChecks are the checks of pl that need the built image.
func imageChecks(pl plan.Plan) []string {
	ids := []string{findings.IDTmp, findings.IDOutsideCopy, findings.IDUnpinned, findings.IDLockStale, "lambda-*"}
	if pl.File != "" {
		ids = append([]string{findings.IDHandlerMissing, findings.IDExtNotLoaded, findings.IDUnreadable}, ids...)
	}
	return ids
}

// deploy deploys the first reference pushed to Amazon ECR (Lambda runs
// images from there only) with the Deployer of WithDeploy.
func (o *options) deploy(ctx context.Context, pushed []name.Digest, platform v1.Platform) ([]deploy.Result, error) {
	if o.deployer == nil {
		return nil, nil
	}
	for _, ref := range pushed {
		if _, ok := ecr.ParseHost(ref.RegistryStr()); ok {
			return o.deployer.Deploy(ctx, ref, platform)
		}
	}
	return nil, plan.Inputf(plan.FieldFunction, "deploying needs the image in Amazon ECR: push it there with -t <account>.dkr.ecr.<region>.amazonaws.com/REPO:TAG")
}

// checkLock refuses a strictly locked build whose lock was made for
// another Bref line or PHP version than the catalog base of the plan.
func (o *options) checkLock(pl plan.Plan) error {
	l := o.lock
	if !o.locked || l == nil || !pl.Catalog || (l.Bref == pl.Line && l.PHP == pl.PHP) {
		return nil
	}
	return plan.Inputf(plan.FieldLocked, "%s was made for Bref %d and PHP %s, this build is Bref %d and PHP %s: run brefimg lock --update with these flags",
		lockfile.Name, l.Bref, l.PHP, pl.Line, pl.PHP)
}

// check runs every check on the plan and its build (res may be nil when a
// check-only run could not build): the app's, the build's, the image's.
func (o *options) check(ctx context.Context, pl plan.Plan, res *plan.Result) ([]findings.Finding, error) {
	out, err := checks.RunPlan(pl, res)
	if err != nil {
		return nil, plan.AsInput(plan.FieldAppDir, err)
	}
	if res == nil {
		return out, nil
	}
	out = append(out, res.Findings...)
	cf, err := res.Image.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the image config: %w", err)
	}
	out = append(out, checks.Build(ctx, pl, res, cf.Config)...)
	out = append(out, checks.Unpinned(res.Unpinned)...)
	out = append(out, checks.LockStale(res.Stale)...)
	m, err := res.Image.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	var size int64
	for _, l := range m.Layers {
		size += l.Size
	}
	fs, err := imagecheck.Manifest(res.Image, size)
	if err != nil {
		return nil, err
	}
	out = append(out, fs...)
	if o.fileChecks {
		fs, err := fileChecks(res.Image)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// fileChecks reads every layer of img, the base's included, and checks
// that every path has a parent directory entry and that Lambda's non-root
// user can read every file. It downloads the base layers.
func fileChecks(img v1.Image) ([]findings.Finding, error) {
	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading the layers: %w", err)
	}
	all := make([][]layers.Entry, 0, len(ls))
	for i, l := range ls {
		es, err := layers.List(l)
		if err != nil {
			return nil, fmt.Errorf("reading layer %d: %w", i+1, err)
		}
		all = append(all, es)
	}
	return imagecheck.Files(all, 10), nil
}

// publish writes every output, then pushes to every target.
func (o *options) publish(ctx context.Context, img v1.Image) ([]name.Digest, error) {
	if o.observer != nil {
		img = o.observer.Track(img, o.targets)
	}
	tags := make([]string, len(o.targets))
	for i, t := range o.targets {
		tags[i] = t.Name()
	}
	for _, out := range o.outputs {
		if err := out.Write(img, tags); err != nil {
			return nil, err
		}
		o.note("wrote %s", out)
	}
	if len(o.targets) == 0 {
		return nil, nil
	}
	if o.publisher == nil {
		return nil, errors.New("pushing: no publisher")
	}
	return o.publisher.Push(ctx, img, o.targets)
}
