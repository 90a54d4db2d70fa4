package builder

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/plan"
)

// Paths whose small files a build keeps while it reads an image's headers:
// the user and group files --chown names need, and PHP's ini files, which
// the extension check reads.
var capturedPaths = []string{"/etc/passwd", "/etc/group", "/opt/bref/etc", "/var/task/php"}

// scratchImage is the empty image of FROM scratch for platform, with OCI
// media types.
func scratchImage(platform v1.Platform) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf := &v1.ConfigFile{
		Architecture: platform.Architecture,
		OS:           platform.OS,
		Variant:      platform.Variant,
		RootFS:       v1.RootFS{Type: "layers"},
	}
	return mutate.ConfigFile(img, cf)
}

// docker applies the Dockerfile steps of the plan to base, and leaves
// the final file tree in the result for the checks.
func (r *run) docker(ctx context.Context, base v1.Image, cfg *v1.ConfigFile) error {
	d := &dockerBuild{r: r, res: r.res, pl: r.pl, tempDir: r.b.o.tempDir, base: base,
		contexts: map[string]*contextSource{}, images: map[string]*srcImage{}, stages: map[string]*layers.Tree{}, building: map[string]bool{}}
	r.res.OnClose(d.close)
	for _, s := range r.pl.Steps {
		dst, err := d.targetTree(ctx, base)
		if err != nil {
			return err
		}
		as, err := d.step(ctx, dst, s, true)
		if err != nil {
			return err
		}
		r.add(as)
	}
	if r.pl.Handler != "" {
		if _, err := d.targetTree(ctx, base); err != nil {
			return err
		}
	}
	if d.target != nil {
		// A stage BuildKit built may have brought the app's files (a
		// vendor/ composer installed): check the app the image holds.
		r.res.Tree, r.res.AppFromTree = d.target, r.pl.Solve != nil
	}
	d.noteApp()
	return nil
}

// noteApp records, for the app checks, the paths of the build context the
// app step copies (the step the checks take for the app: the last COPY of
// the whole context to /var/task), so that they do not walk the context
// again.
func (d *dockerBuild) noteApp() {
	var app *plan.Step
	for i, s := range d.pl.Steps {
		if s.Dir != "" && strings.TrimSuffix(s.Dest, "/") == plan.AppDest && (len(s.Sources) == 0 || (len(s.Sources) == 1 && (s.Sources[0] == "." || s.Sources[0] == "./"))) {
			app = &d.pl.Steps[i]
		}
	}
	if app == nil {
		return
	}
	c, ok := d.contexts[contextKey(*app)]
	if !ok {
		return
	}
	paths := []string{}
	c.tree.Each(func(e layers.Entry) {
		p := strings.TrimPrefix(e.Path, "/")
		if e.Type == tar.TypeDir {
			p += "/"
		}
		paths = append(paths, p)
	})
	d.res.AppPaths = paths
}

// cacheOpts are the options of the layer step s writes: the cache, when
// there is one, and the step's name in it.
func (d *dockerBuild) cacheOpts(s plan.Step) []layers.Option {
	opts := slices.Clone(d.r.lopts)
	if c := d.r.b.o.cache; c != nil {
		opts = append(opts, layers.WithCache(c), layers.WithCacheGroup(fmt.Sprintf("%s\x00%d\x00%s", d.pl.File, s.Line, s.CreatedBy)))
	}
	return opts
}

// treeOpts are the options of ReadTree: the temporary directory, the
// captured paths and the cache, when there is one.
func (r *run) treeOpts() []layers.Option {
	opts := []layers.Option{layers.WithTempDir(r.b.o.tempDir), layers.WithContents(capturedPaths...)}
	if c := r.b.o.cache; c != nil {
		opts = append(opts, layers.WithCache(c))
	}
	return opts
}

func (d *dockerBuild) treeOpts() []layers.Option { return d.r.treeOpts() }

// dockerBuild applies the Dockerfile steps of a plan.
type dockerBuild struct {
	r       *run
	res     *plan.Result
	pl      plan.Plan
	tempDir string
	base    v1.Image

	trees    []*layers.Tree
	contexts map[string]*contextSource
	images   map[string]*srcImage
	stages   map[string]*layers.Tree
	building map[string]bool

	// target is the final image's tree, read when a step first needs it.
	target *layers.Tree
}

// contextSource is a build context read once.
type contextSource struct {
	tree *layers.Tree
}

// srcImage is an image a step copies from (or a stage starts from); tree
// is nil until image reads it.
type srcImage struct {
	ref    string
	img    v1.Image
	layers []v1.Layer
	tree   *layers.Tree
}

func (d *dockerBuild) close() error {
	var errs []error
	for i := len(d.trees) - 1; i >= 0; i-- {
		errs = append(errs, d.trees[i].Close())
	}
	d.trees = nil
	return errors.Join(errs...)
}

func (d *dockerBuild) keep(t *layers.Tree) *layers.Tree {
	d.trees = append(d.trees, t)
	return t
}

// stepError makes an error about a step name the Dockerfile and line.
func (d *dockerBuild) stepError(s plan.Step, err error, hint string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ENOSPC) {
		return err
	}
	var in *plan.InputError
	if errors.As(err, &in) {
		err = in.Err
	}
	msg := fmt.Sprintf("%s: %v", s.CreatedBy, err)
	if hint != "" {
		msg += ": " + hint
	}
	if d.pl.File != "" && s.Line > 0 {
		msg = fmt.Sprintf("%s:%d: %s", d.pl.File, s.Line, msg)
	}
	return &plan.InputError{Err: errors.New(msg)}
}

// targetTree returns the final image's tree, reading the base's headers
// the first time.
func (d *dockerBuild) targetTree(ctx context.Context, base v1.Image) (*layers.Tree, error) {
	if d.target != nil {
		return d.target, nil
	}
	if d.pl.Base == plan.Scratch {
		d.target = d.keep(layers.NewTree(d.tempDir))
		return d.target, nil
	}
	t, err := layers.ReadTree(ctx, base, d.treeOpts()...)
	if err != nil {
		return nil, fmt.Errorf("reading the file tree of base image %s: %w", d.pl.Base, err)
	}
	d.target = d.keep(t)
	return d.target, nil
}

// step applies s to dst; for the final stage (final set) it returns the
// layers s adds and records findings.
func (d *dockerBuild) step(ctx context.Context, dst *layers.Tree, s plan.Step, final bool) ([]added, error) {
	if s.Kind == plan.StepMkdir {
		return d.mkdirStep(ctx, dst, s, final)
	}
	from, origin, img, err := d.source(ctx, s)
	if err != nil {
		return nil, err
	}
	if final && img != nil {
		if as, ok := d.reuse(dst, img, s); ok {
			return as, nil
		}
	}
	op := layers.CopyOp{
		Sources: s.Sources, Files: s.Files, Dest: s.Dest, Chmod: s.Chmod,
		Unpack: s.Unpack, Parents: s.Parents, Exclude: s.Exclude, Link: s.Link,
	}
	if s.Chown != "" {
		owner, err := dst.LookupOwner(ctx, s.Chown)
		if err != nil {
			return nil, d.stepError(s, err, "")
		}
		op.Owner = &owner
	}
	ch, err := dst.Copy(ctx, from, op)
	if err != nil {
		hint := ""
		if layers.IsNotExist(err) {
			switch {
			case s.Dir != "":
				hint = fmt.Sprintf("check the path: it must be in the build context %s and not excluded by .dockerignore", s.Dir)
			case s.Image != "":
				hint = "check the path: the image " + s.Image + " does not hold it"
			case s.Stage != "":
				hint = "check the path: stage " + s.Stage + " does not hold it"
			}
		}
		return nil, d.stepError(s, err, hint)
	}
	if !final {
		return nil, nil
	}
	d.written(dst, s, img, ch)
	if ch.Empty() {
		return nil, nil // nothing copied (a glob matching nothing): no layer
	}
	l, err := dst.WriteLayer(ctx, ch, d.cacheOpts(s)...)
	if err != nil {
		return nil, d.stepError(s, err, "")
	}
	d.res.OnClose(l.Close)
	return []added{{layer: l, createdBy: s.CreatedBy, origin: origin}}, nil
}

func (d *dockerBuild) mkdirStep(ctx context.Context, dst *layers.Tree, s plan.Step, final bool) ([]added, error) {
	var owner *layers.Owner
	if s.Chown != "" {
		// The USER a WORKDIR directory belongs to: a name the image does
		// not know gives root, as with BuildKit (Lambda ignores USER).
		if o, err := dst.LookupOwner(ctx, s.Chown); err == nil {
			owner = &o
		}
	}
	ch, err := dst.Mkdir(s.Dest, owner)
	if err != nil {
		return nil, d.stepError(s, err, "")
	}
	if !final || ch.Empty() {
		return nil, nil
	}
	d.written(dst, s, nil, ch)
	l, err := dst.WriteLayer(ctx, ch, d.cacheOpts(s)...)
	if err != nil {
		return nil, d.stepError(s, err, "")
	}
	d.res.OnClose(l.Close)
	return []added{{layer: l, createdBy: s.CreatedBy, origin: plan.Origin{Kind: plan.OriginWorkdir, Name: s.Name}}}, nil
}

// source returns the tree a StepCopy copies from, the origin of the layer
// it makes, and the image, when it copies from one.
func (d *dockerBuild) source(ctx context.Context, s plan.Step) (*layers.Tree, plan.Origin, *srcImage, error) {
	n := 0
	for _, set := range []bool{s.Dir != "", s.Image != "", s.Stage != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, plan.Origin{}, nil, d.stepError(s, errors.New("a step copies from one of a directory, an image or a stage"), "")
	}
	switch {
	case s.Dir != "":
		t, err := d.context(ctx, s)
		return t, plan.Origin{Kind: plan.OriginDir, Name: s.Name}, nil, err
	case s.Image != "":
		img, err := d.image(ctx, s.Name, s.Image, s.Platform)
		if err != nil {
			return nil, plan.Origin{}, nil, d.stepError(s, err, "")
		}
		return img.tree, plan.Origin{Kind: plan.OriginImage, Name: s.Name}, img, nil
	case s.Stage != "":
		t, err := d.stage(ctx, s.Stage)
		if err != nil {
			return nil, plan.Origin{}, nil, err
		}
		return t, plan.Origin{Kind: plan.OriginStage, Name: s.Stage}, nil, nil
	}
	return d.keep(layers.NewTree(d.tempDir)), plan.Origin{Kind: plan.OriginInline, Name: s.Name}, nil, nil
}

// context reads a build context once per directory and ignore patterns.
func (d *dockerBuild) context(ctx context.Context, s plan.Step) (*layers.Tree, error) {
	key := contextKey(s)
	if c, ok := d.contexts[key]; ok {
		return c.tree, nil
	}
	t, skipped, err := layers.ContextTree(ctx, s.Dir, layers.WithIgnorePatterns(s.Ignore), layers.WithTempDir(d.tempDir), layers.WithExclude(d.r.excluded()...))
	if err != nil {
		return nil, d.stepError(s, err, "")
	}
	d.keep(t)
	d.contexts[key] = &contextSource{tree: t}
	d.r.skippedFindings(s.Dir, skipped, "left out of the build context: ")
	return t, nil
}

// contextKey is what tells the build contexts of steps apart: the
// directory and the ignore patterns.
func contextKey(s plan.Step) string {
	return s.Dir + "\x00" + strings.Join(s.Ignore, "\x00")
}

// image pulls ref for platform (nil for the plan's) once, and reads its
// tree once.
func (d *dockerBuild) image(ctx context.Context, name, ref string, platform *v1.Platform) (*srcImage, error) {
	si, err := d.pulled(ctx, name, ref, platform)
	if err != nil || si.tree != nil {
		return si, err
	}
	t, err := layers.ReadTree(ctx, si.img, d.treeOpts()...)
	if err != nil {
		return nil, fmt.Errorf("reading the file tree of %s: %w", ref, err)
	}
	si.tree = d.keep(t)
	return si, nil
}

// pulled pulls ref for platform (nil for the plan's) once, without reading
// its tree: what an image BuildKit alone reads needs.
func (d *dockerBuild) pulled(ctx context.Context, name, ref string, platform *v1.Platform) (*srcImage, error) {
	p := d.pl.Platform
	if platform != nil {
		p = *platform
	}
	key := ref + "\x00" + p.String()
	if img, ok := d.images[key]; ok {
		return img, nil
	}
	img, in, err := d.r.pull(ctx, name, ref, p)
	if err != nil {
		return nil, err
	}
	d.res.Inputs = append(d.res.Inputs, in)
	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading layers of %s: %w", ref, err)
	}
	si := &srcImage{ref: ref, img: img, layers: ls}
	d.images[key] = si
	return si, nil
}

// stage builds the tree of the earlier stage name, once.
func (d *dockerBuild) stage(ctx context.Context, name string) (*layers.Tree, error) {
	if t, ok := d.stages[name]; ok {
		return t, nil
	}
	var st *plan.Stage
	for i := range d.pl.Stages {
		if d.pl.Stages[i].Name == name {
			st = &d.pl.Stages[i]
			break
		}
	}
	if st == nil {
		return nil, plan.Inputf(plan.FieldFile, "no stage named %q: name an earlier stage of the Dockerfile", name)
	}
	if d.building[name] {
		return nil, plan.Inputf(plan.FieldFile, "stage %q copies from itself", name)
	}
	d.building[name] = true
	defer delete(d.building, name)
	if st.Solve {
		si, err := d.solveStage(ctx, st)
		if err != nil {
			return nil, err
		}
		d.stages[name] = si.tree
		return si.tree, nil
	}
	var t *layers.Tree
	if st.Base == plan.Scratch {
		t = d.keep(layers.NewTree(d.tempDir))
	} else {
		img, err := d.image(ctx, "stage-"+name, st.Base, st.Platform)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", name, err)
		}
		t = d.keep(img.tree.Clone())
	}
	for _, s := range st.Steps {
		if s.Kind != plan.StepCopy && s.Kind != plan.StepMkdir {
			return nil, plan.Inputf(plan.FieldFile, "stage %s: step %q is not a Dockerfile step", name, s.CreatedBy)
		}
		if _, err := d.step(ctx, t, s, false); err != nil {
			return nil, err
		}
	}
	d.stages[name] = t
	return t, nil
}

// reuse appends the layers of img as they are when that gives the file
// tree COPY --from=img Src Dest would: see reusable.
func (d *dockerBuild) reuse(dst *layers.Tree, img *srcImage, s plan.Step) ([]added, bool) {
	if !d.reusable(dst, img, s) {
		return nil, false
	}
	var out []added
	for i, l := range img.layers {
		ch := dst.OverlayLayer(img.tree, i, l)
		d.written(dst, s, img, ch)
		by := s.CreatedBy
		if len(img.layers) > 1 {
			by = fmt.Sprintf("%s # layer %d of %d", by, i+1, len(img.layers))
		}
		out = append(out, added{layer: l, createdBy: by, origin: plan.Origin{Kind: plan.OriginImage, Name: s.Name, Reused: true}})
	}
	return out, true
}

// reusable reports whether appending img's layers as they are gives the
// same file tree as copying: a plain COPY --from=img SRC SRC (no
// --chown, --chmod, --parents or --exclude; --link only for a top-level
// SRC), where SRC is a directory that no symbolic link leads to in either
// image; every layer is gzip, holds no whiteout, has an entry for SRC and
// for the parent of every entry, all at or under SRC, declared before it
// (so that no symbolic link of dst or of the image's lower layers can take
// an entry out of SRC: see layers.LinkExposed); SRC's entry in each
// layer has the owner and mode the copy gives SRC (those it already has in
// dst, else 0755 and root); and no entry would put a directory over a
// non-directory of dst or the reverse (the copy fails there).
func (d *dockerBuild) reusable(dst *layers.Tree, img *srcImage, s plan.Step) bool {
	if len(s.Sources) != 1 || len(s.Files) > 0 || s.Chown != "" || s.Chmod != "" || s.Parents || len(s.Exclude) > 0 || s.Unpack || len(img.layers) == 0 {
		return false
	}
	src := path.Join("/", s.Sources[0])
	if src == "/" || path.Clean(s.Dest) != src || strings.ContainsAny(src, "*?[\\") {
		return false
	}
	if s.Link && path.Dir(src) != "/" {
		return false
	}
	if rp, err := img.tree.Resolve(src); err != nil || rp != src {
		return false
	}
	if e, ok := img.tree.Lookup(src); !ok || e.Type != tar.TypeDir {
		return false
	}
	if rp, err := dst.Resolve(src); err != nil || rp != src {
		return false
	}
	wantMode, wantUID, wantGID := int64(0o755), 0, 0
	if e, ok := dst.Lookup(src); ok && !s.Link {
		if e.Type != tar.TypeDir {
			return false
		}
		wantMode, wantUID, wantGID = e.Mode, e.UID, e.GID
	}
	for i, l := range img.layers {
		mt, err := l.MediaType()
		if err != nil || (mt != types.DockerLayer && mt != types.OCILayer) {
			return false
		}
		entries := img.tree.LayerEntries(i)
		have := map[string]bool{}
		for _, e := range entries {
			have[e.Path] = true
		}
		if !have[src] {
			return false
		}
		if _, exposed := layers.LinkExposed(entries, src); exposed {
			return false
		}
		for _, e := range entries {
			if !under(e.Path, src) || strings.HasPrefix(path.Base(e.Path), ".wh.") {
				return false
			}
			if e.Path == src {
				if e.Type != tar.TypeDir || e.Mode != wantMode || e.UID != wantUID || e.GID != wantGID {
					return false
				}
				continue
			}
			if !have[path.Dir(e.Path)] {
				return false
			}
			if e.Type == tar.TypeLink && !under(e.Linkname, src) {
				return false
			}
			if old, ok := dst.Lookup(e.Path); ok && (old.Type == tar.TypeDir) != (e.Type == tar.TypeDir) {
				return false
			}
		}
	}
	return true
}

// written records what step s wrote to dst (the paths of ch, as dst now
// has them), and the image it copied from, for the checks.
func (d *dockerBuild) written(dst *layers.Tree, s plan.Step, img *srcImage, ch *layers.Change) {
	paths := ch.Paths()
	w := plan.Written{Step: s, Entries: make([]layers.Entry, 0, len(paths))}
	for _, p := range paths {
		if e, ok := dst.Lookup(p); ok {
			w.Entries = append(w.Entries, e)
		}
	}
	if img != nil {
		w.From, w.FromRef = img.tree, img.ref
	}
	d.res.Written = append(d.res.Written, w)
}
