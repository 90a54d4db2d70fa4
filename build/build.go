package build

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/lockfile"
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

// TmpMessage is what a finding says about a file under /tmp.
const TmpMessage = "/tmp is empty at every cold start on Lambda; this file will not be there"

type options struct {
	tempDir string
	cache   *layers.Cache
}

// WithCache keeps and reuses the app layers in c: a layer whose files did
// not change is not compressed again.
func WithCache(c *layers.Cache) Option {
	return func(o *options) error {
		o.cache = c
		return nil
	}
}

// Option configures Build.
type Option func(*options) error

// WithTempDir sets where the app layer is written while the build runs.
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

// Origin says what added a layer of the result.
type Origin struct {
	// Kind is "base", "image" (copied from another image) or "dir" (a local directory).
	Kind string `json:"kind"`
	// Name is the step's name (e.g. "redis"), empty for the base.
	Name string `json:"name,omitempty"`
	// Reused is true when the layer is another image's blob appended as it is.
	Reused bool `json:"reused,omitempty"`
}

// Input is an image the build read, with the digest it resolved to.
type Input struct {
	// Name is the step's name ("base" for the base image).
	Name string `json:"name"`
	registry.Resolved
	// Pinned is true when the digest came from brefimg.lock.
	Pinned bool `json:"pinned"`
}

// Result is a built image and what the build found.
type Result struct {
	// Image is the image; reading its added layers needs the Result to be open.
	Image v1.Image
	// Platform is the image's platform, e.g. "linux/amd64".
	Platform string
	// Base is the base image as resolved.
	Base Input
	// Inputs are the other images read (extensions, COPY --from), in step order.
	Inputs []Input
	// Origins has one entry per layer of Image, in order.
	Origins []Origin
	// Findings are the warnings and errors, in the order found.
	Findings []Finding

	closers  []func() error
	unpinned []string
	cache    *layers.Cache
	appPaths []string // of the layers a flag build made of the app dir
}

// Close removes the temporary files behind the added layers.
func (r *Result) Close() error {
	var errs []error
	for _, c := range r.closers {
		errs = append(errs, c())
	}
	r.closers = nil
	return errors.Join(errs...)
}

// Build assembles the image the plan describes. On error nothing is left
// behind. The caller must Close the result once the image is written.
func Build(ctx context.Context, src Source, plan Plan, opts ...Option) (_ *Result, err error) {
	o := options{tempDir: os.TempDir()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	platform, err := v1.ParsePlatform(plan.Platform)
	if err != nil || platform.OS == "" || platform.Architecture == "" {
		return nil, inputf("--platform %q is not OS/ARCH (e.g. linux/amd64)", plan.Platform)
	}
	if plan.Epoch.IsZero() {
		plan.Epoch = time.Unix(0, 0)
	}
	res := &Result{Platform: plan.Platform, cache: o.cache}
	defer func() {
		if err != nil {
			res.Close()
		}
	}()

	if plan.Locked && plan.Lock == nil {
		return nil, inputf("--locked: there is no %s: run brefimg lock first", lockfile.Name)
	}
	docker, err := plan.dockerSteps()
	if err != nil {
		return nil, err
	}
	var base v1.Image
	var baseIn Input
	if plan.Base == Scratch {
		if base, err = scratchImage(*platform); err != nil {
			return nil, fmt.Errorf("making an empty base image: %w", err)
		}
		baseIn = Input{Name: "base", Resolved: registry.Resolved{Ref: Scratch}}
	} else if base, baseIn, err = res.pull(ctx, src, plan, "base", plan.Base, *platform); err != nil {
		return nil, err
	}
	res.Base = baseIn
	resolved := baseIn.Resolved
	baseMT, err := base.MediaType()
	if err != nil {
		return nil, fmt.Errorf("reading base image %s: %w", plan.Base, err)
	}
	layerMT := types.DockerLayer
	if baseMT == types.OCIManifestSchema1 {
		layerMT = types.OCILayer
	}
	baseCfg, err := base.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading base image config %s: %w", plan.Base, err)
	}
	baseLayers, err := base.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading base image %s: %w", plan.Base, err)
	}
	for range baseLayers {
		res.Origins = append(res.Origins, Origin{Kind: "base"})
	}
	workdir := baseCfg.Config.WorkingDir
	if workdir == "" {
		workdir = "/"
	}

	lopts := []layers.Option{layers.WithEpoch(plan.Epoch), layers.WithMediaType(layerMT), layers.WithTempDir(o.tempDir)}
	created := v1.Time{Time: plan.Epoch.UTC()}
	var adds []mutate.Addendum
	var appEntries []layers.Entry
	var d *dockerBuild
	if docker {
		d = &dockerBuild{res: res, src: src, plan: plan, platform: *platform, lopts: lopts, tempDir: o.tempDir,
			contexts: map[string]*contextSource{}, images: map[string]*srcImage{}, stages: map[string]*layers.Tree{}, building: map[string]bool{}}
		defer d.close()
		as, err := d.run(ctx, base)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			adds = append(adds, mutate.Addendum{
				Layer:     a.layer,
				MediaType: layerMT,
				History:   v1.History{Created: created, CreatedBy: a.createdBy, Comment: "brefimg"},
			})
			res.Origins = append(res.Origins, a.origin)
		}
		d.extensionFindings(ctx, mergeEnv(baseCfg.Config.Env, plan.Config.Env))
	}
	for _, step := range plan.Steps {
		if docker {
			break
		}
		var added []added
		if step.Image != "" {
			added, err = res.imageStep(ctx, src, plan, step, *platform, lopts)
		} else {
			added, err = res.dirStep(ctx, step, lopts, o)
			for _, a := range added {
				appEntries = append(appEntries, a.entries...)
			}
		}
		if err != nil {
			return nil, err
		}
		for _, a := range added {
			res.tmpFindings(a.entries)
			adds = append(adds, mutate.Addendum{
				Layer:     a.layer,
				MediaType: layerMT,
				History:   v1.History{Created: created, CreatedBy: a.createdBy, Comment: "brefimg"},
			})
			res.Origins = append(res.Origins, a.origin)
		}
	}
	if plan.Config.WorkingDir != "" {
		workdir = plan.Config.WorkingDir
	}
	if plan.Handler != "" && docker {
		t, err := d.targetTree(ctx, base)
		if err != nil {
			return nil, err
		}
		if want := path.Join(workdir, plan.Handler); !handlerInTree(t, want) {
			res.handlerMissing(plan, want)
		}
	} else if plan.Handler != "" {
		res.handlerFinding(plan.Handler, workdir, appEntries)
	}
	res.unpinnedFinding()
	for _, e := range appEntries {
		if rel, ok := strings.CutPrefix(e.Path, AppDest+"/"); ok {
			if e.Type == tar.TypeDir {
				rel += "/"
			}
			res.appPaths = append(res.appPaths, rel)
		}
	}

	img, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, fmt.Errorf("appending layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading assembled config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = created
	if plan.Config.Cmd != nil {
		cf.Config.Cmd = plan.Config.Cmd
	}
	cf.Config.Env = mergeEnv(cf.Config.Env, plan.Config.Env)
	applyConfig(cf, plan.Config)
	anns := map[string]string{}
	if plan.Base != Scratch {
		anns[AnnotationBaseName] = baseNameOf(plan.Base)
		anns[AnnotationBaseDigest] = resolved.Digest.String()
	}
	for _, in := range res.Inputs {
		anns[AnnotationInputPrefix+in.Name] = in.Ref + "@" + in.Digest.String()
	}
	if layerMT == types.DockerLayer {
		// Docker schema 2 manifests have no annotations: record the base in labels.
		if cf.Config.Labels == nil {
			cf.Config.Labels = map[string]string{}
		}
		for k, v := range anns {
			cf.Config.Labels[k] = v
		}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("writing config: %w", err)
	}
	if layerMT == types.OCILayer && len(anns) > 0 {
		img = mutate.Annotations(img, anns).(v1.Image)
	}
	res.Image = img
	return res, nil
}

// added is one layer a step adds.
type added struct {
	layer     v1.Layer
	entries   []layers.Entry
	createdBy string
	origin    Origin
}

func (r *Result) imageStep(ctx context.Context, src Source, plan Plan, step Step, platform v1.Platform, lopts []layers.Option) ([]added, error) {
	if step.Src != step.Dest {
		return nil, inputf("copying %s from %s to %s: copying to another path is not supported yet", step.Src, step.Image, step.Dest)
	}
	img, in, err := r.pull(ctx, src, plan, step.Name, step.Image, platform)
	if err != nil {
		return nil, err
	}
	r.Inputs = append(r.Inputs, in)
	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading layers of %s: %w", step.Image, err)
	}
	// Append the image's own blobs when every entry lies under Src and the
	// layer is gzip; otherwise copy the Src subtree into a new layer.
	var out []added
	reuse := true
	for i, l := range ls {
		mt, err := l.MediaType()
		if err != nil {
			return nil, fmt.Errorf("reading layer %d of %s: %w", i+1, step.Image, err)
		}
		if mt != types.DockerLayer && mt != types.OCILayer {
			reuse = false
			break
		}
		entries, err := r.cache.List(l)
		if err != nil {
			return nil, fmt.Errorf("reading layer %d of %s: %w", i+1, step.Image, err)
		}
		for _, e := range entries {
			if !reusable(e, step.Src) {
				reuse = false
				break
			}
		}
		if !reuse {
			break
		}
		by := step.CreatedBy
		if len(ls) > 1 {
			by = fmt.Sprintf("%s # layer %d of %d", by, i+1, len(ls))
		}
		out = append(out, added{layer: l, entries: entries, createdBy: by, origin: Origin{Kind: "image", Name: step.Name, Reused: true}})
	}
	if reuse {
		return out, nil
	}
	sub, left, err := layers.Subtree(ctx, img, step.Src, append(lopts, layers.WithExistingPrefix())...)
	if err != nil {
		return nil, fmt.Errorf("copying %s from %s: %w", step.Src, step.Image, err)
	}
	r.closers = append(r.closers, sub.Close)
	if len(left) > 0 {
		paths := make([]string, 0, len(left))
		for _, e := range left {
			if e.Path != "/" {
				paths = append(paths, e.Path)
			}
		}
		if len(paths) > 0 {
			r.Findings = append(r.Findings, Finding{
				ID: FindingOutsideCopy, Severity: Warning, Path: step.Image,
				Message: fmt.Sprintf("holds files outside %s; only %s was copied (as COPY --from=%s %s %s does), so these are not in the image: %s",
					step.Src, step.Src, step.Image, step.Src, step.Dest, summarize(paths, 10)),
			})
		}
	}
	return []added{{layer: sub, entries: sub.Entries(), createdBy: step.CreatedBy, origin: Origin{Kind: "image", Name: step.Name}}}, nil
}

func (r *Result) dirStep(ctx context.Context, step Step, lopts []layers.Option, o options) ([]added, error) {
	opts := append(append([]layers.Option(nil), lopts...), layers.WithIgnorePatterns(step.Ignore))
	if o.cache != nil {
		opts = append(opts, layers.WithCache(o.cache))
	}
	ls, err := layers.FromDirSplit(ctx, step.Dir, step.Dest, step.Split, opts...)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ENOSPC) {
			return nil, err
		}
		return nil, &InputError{Err: err}
	}
	var out []added
	for i, l := range ls {
		r.closers = append(r.closers, l.Close)
		for _, s := range l.Skipped() {
			r.Findings = append(r.Findings, Finding{ID: FindingSkipped, Severity: Warning, Path: path.Join(step.Dir, s.Path),
				Message: "left out of the image: " + s.Reason})
		}
		by, name := step.CreatedBy, step.Name
		if i < len(ls)-1 {
			// The split layers come first, in the order of step.Split, less those the app lacks.
			split := splitOf(l, step)
			by, name = fmt.Sprintf("%s # %s/ (a layer of its own)", step.CreatedBy, split), step.Name+" "+split+"/"
		}
		out = append(out, added{layer: l, entries: l.Entries(), createdBy: by, origin: Origin{Kind: "dir", Name: name}})
	}
	return out, nil
}

// splitOf names the split directory a layer of FromDirSplit holds.
func splitOf(l *layers.Layer, step Step) string {
	for _, e := range l.Entries() {
		for _, sp := range step.Split {
			if under(e.Path, path.Join(step.Dest, sp)) {
				return sp
			}
		}
	}
	return "?"
}

// pull reads ref for platform: by the digest brefimg.lock pins it to, or by
// its tag (noted, to warn once that the build is not reproducible).
func (r *Result) pull(ctx context.Context, src Source, plan Plan, stepName, ref string, platform v1.Platform) (v1.Image, Input, error) {
	what := stepName + " image"
	if stepName == "base" {
		what = "base image"
	}
	in := Input{Name: stepName}
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return nil, in, inputf("reading %s: %q is not an image reference: %v", what, ref, err)
	}
	if _, byDigest := parsed.(name.Digest); byDigest {
		img, resolved, err := src.Image(ctx, ref, platform)
		in.Resolved, in.Pinned = resolved, true
		if err != nil {
			return nil, in, classify(fmt.Errorf("reading %s: %w", what, err))
		}
		return img, in, nil
	}
	pin, ok := plan.Lock.Lookup(ref, plan.Platform)
	if !ok {
		if plan.Locked {
			return nil, in, inputf("--locked: %s does not pin %s for %s: run brefimg lock to add it", lockfile.Name, ref, plan.Platform)
		}
		r.unpinned = append(r.unpinned, ref)
		img, resolved, err := src.Image(ctx, ref, platform)
		in.Resolved = resolved
		if err != nil {
			return nil, in, classify(fmt.Errorf("reading %s: %w", what, err))
		}
		return img, in, nil
	}
	if plan.Locked {
		_, now, err := src.Image(ctx, ref, platform)
		if err != nil {
			return nil, in, classify(fmt.Errorf("checking %s against %s: %w", ref, lockfile.Name, err))
		}
		if now.Digest.String() != pin.Digest {
			return nil, in, inputf("--locked: %s pins %s (%s) to %s, but the registry now has %s: run brefimg lock --update to take the new image",
				lockfile.Name, ref, plan.Platform, pin.Digest, now.Digest)
		}
	}
	img, resolved, err := src.Image(ctx, parsed.Context().Digest(pin.Digest).String(), platform)
	if err != nil {
		return nil, in, classify(fmt.Errorf("reading %s %s pinned by %s: %w", what, ref, lockfile.Name, err))
	}
	resolved.Ref = ref
	in.Resolved, in.Pinned = resolved, true
	return img, in, nil
}

func (r *Result) unpinnedFinding() {
	if len(r.unpinned) == 0 {
		return
	}
	r.Findings = append(r.Findings, Finding{ID: FindingUnpinned, Severity: Warning,
		Message: fmt.Sprintf("built from tags, not digests (%s): the same build gives another image when a tag moves; run brefimg lock to pin them in %s",
			strings.Join(r.unpinned, ", "), lockfile.Name)})
}

func (r *Result) tmpFindings(entries []layers.Entry) {
	for _, e := range entries {
		if strings.HasPrefix(e.Path, "/tmp/") {
			r.Findings = append(r.Findings, Finding{ID: FindingTmp, Severity: Warning, Path: e.Path, Message: TmpMessage})
		}
	}
}

func (r *Result) handlerFinding(handler, workdir string, entries []layers.Entry) {
	want := handler
	if !path.IsAbs(want) {
		want = path.Join(workdir, handler)
	}
	for _, e := range entries {
		if e.Path == want && e.Type != '5' { // any non-directory entry: file or symlink
			return
		}
	}
	r.Findings = append(r.Findings, Finding{ID: FindingHandler, Severity: Error, Path: want,
		Message: fmt.Sprintf("the CMD handler %q is not in the app: Lambda would fail at the first request; check --cmd, that the file exists in the app dir, and that .dockerignore does not exclude it", handler)})
}

// handlerMissing reports the CMD handler of a Dockerfile build missing
// from the image at want.
func (r *Result) handlerMissing(plan Plan, want string) {
	f := Finding{ID: FindingHandler, Severity: Error, Path: want,
		Message: fmt.Sprintf("the CMD handler %q is not in the image at %s: Lambda would fail at the first request; check the CMD, the WORKDIR, that a COPY puts the file there, and that .dockerignore does not exclude it", plan.Handler, want)}
	if plan.File != "" {
		f.Path, f.Line = plan.File, plan.HandlerLine
	}
	r.Findings = append(r.Findings, f)
}

// applyConfig sets the Dockerfile's config changes (other than Cmd and Env).
func applyConfig(cf *v1.ConfigFile, c Config) {
	if c.Entrypoint != nil {
		cf.Config.Entrypoint = c.Entrypoint
	}
	if c.WorkingDir != "" {
		cf.Config.WorkingDir = c.WorkingDir
	}
	if c.User != "" {
		cf.Config.User = c.User
	}
	if len(c.Labels) > 0 {
		if cf.Config.Labels == nil {
			cf.Config.Labels = map[string]string{}
		}
		for k, v := range c.Labels {
			cf.Config.Labels[k] = v
		}
	}
	if len(c.ExposedPorts) > 0 {
		if cf.Config.ExposedPorts == nil {
			cf.Config.ExposedPorts = map[string]struct{}{}
		}
		for k := range c.ExposedPorts {
			cf.Config.ExposedPorts[k] = struct{}{}
		}
	}
	if len(c.Volumes) > 0 {
		if cf.Config.Volumes == nil {
			cf.Config.Volumes = map[string]struct{}{}
		}
		for k := range c.Volumes {
			cf.Config.Volumes[k] = struct{}{}
		}
	}
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		cf.Config.Healthcheck = &h
	}
	if c.StopSignal != "" {
		cf.Config.StopSignal = c.StopSignal
	}
	if c.Shell != nil {
		cf.Config.Shell = c.Shell
	}
	if c.Author != "" {
		cf.Author = c.Author
	}
}

// reusable reports whether an entry of an extension layer can be appended as
// it is, giving what COPY --from=<image> src src gives: it lies under src,
// it is no whiteout (which would delete the base's files; COPY applies
// whiteouts instead), a hard link points inside src, and src itself is a
// plain 0755 root directory like the base's.
func reusable(e layers.Entry, src string) bool {
	switch {
	case !under(e.Path, src):
		return false
	case strings.HasPrefix(path.Base(e.Path), ".wh."):
		return false
	case e.Type == tar.TypeLink && !under(e.Linkname, src):
		return false
	case e.Path == src && (e.Type != tar.TypeDir || e.Mode != 0o755 || e.UID != 0 || e.GID != 0):
		return false
	}
	return true
}

// under reports whether p is dir or lies under it.
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

func summarize(paths []string, n int) string {
	if len(paths) <= n {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:n], ", "), len(paths)-n)
}

// mergeEnv sets each KEY=VALUE of add on top of env, keeping env's order.
func mergeEnv(env, add []string) []string {
	out := append([]string(nil), env...)
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, e := range out {
			if ek, _, _ := strings.Cut(e, "="); ek == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// baseNameOf returns the fully qualified name of a base reference
// ("docker.io/bref/php-80-fpm:1"), as the OCI annotation wants.
func baseNameOf(ref string) string {
	if r, err := name.ParseReference(ref); err == nil {
		return r.Name()
	}
	return ref
}

// classify marks registry errors that are the user's to fix as input errors.
func classify(err error) error {
	if registry.IsInput(err) {
		return &InputError{Err: err}
	}
	return err
}

// Lock resolves every reference of plan for its platform and returns the
// lock file to write: entries of prev for other platforms are kept, and so
// are this platform's entries for references still used, unless update.
func Lock(ctx context.Context, src Source, plan Plan, prev *lockfile.File, update bool) (*lockfile.File, error) {
	platform, err := v1.ParsePlatform(plan.Platform)
	if err != nil {
		return nil, inputf("--platform %q is not OS/ARCH (e.g. linux/amd64)", plan.Platform)
	}
	out := &lockfile.File{Bref: plan.Line, PHP: plan.PHP}
	if prev != nil {
		for _, e := range prev.Images {
			if e.Platform != plan.Platform {
				out.Set(e)
			}
		}
	}
	for _, ref := range plan.Refs() {
		if e, ok := prev.Lookup(ref, plan.Platform); ok && !update {
			out.Set(e)
			continue
		}
		_, resolved, err := src.Image(ctx, ref, *platform)
		if err != nil {
			return nil, classify(fmt.Errorf("resolving %s: %w", ref, err))
		}
		e := lockfile.Entry{Ref: ref, Platform: plan.Platform, Digest: resolved.Digest.String()}
		if resolved.Index != nil {
			e.Index = resolved.Index.String()
		}
		out.Set(e)
	}
	return out, nil
}
