package build

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/layers"
)

// Paths whose small files a build keeps while it reads an image's headers:
// the user and group files --chown names need, and PHP's ini files, which
// the extension check reads.
var capturedPaths = []string{"/etc/passwd", "/etc/group", "/opt/bref/etc", "/var/task/php"}

// dockerSteps reports whether the plan holds Dockerfile steps, and checks
// that it does not mix them with flag steps.
func (p Plan) dockerSteps() (bool, error) {
	var flag, docker bool
	for _, s := range p.Steps {
		switch s.Kind {
		case StepLayer:
			flag = true
		case StepCopy, StepMkdir:
			docker = true
		default:
			return false, inputf("step %q: unknown step kind %d", s.CreatedBy, s.Kind)
		}
	}
	if flag && docker {
		return false, inputf("a plan cannot mix flag steps and Dockerfile steps")
	}
	return docker || len(p.Stages) > 0, nil
}

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

// dockerBuild applies the Dockerfile steps of a plan.
type dockerBuild struct {
	res      *Result
	src      Source
	plan     Plan
	platform v1.Platform
	lopts    []layers.Option
	tempDir  string

	trees    []*layers.Tree
	contexts map[string]*contextSource
	images   map[string]*srcImage
	stages   map[string]*layers.Tree
	building map[string]bool

	// target is the final image's tree, read when a step first needs it.
	target *layers.Tree
	// copied lists the extension files the steps copied, for the check
	// that an ini file loads each of them.
	copied []copiedExt
}

// contextSource is a build context read once.
type contextSource struct {
	tree *layers.Tree
}

// srcImage is an image a step copies from (or a stage starts from).
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
func (d *dockerBuild) stepError(s Step, err error, hint string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ENOSPC) {
		return err
	}
	var in *InputError
	if errors.As(err, &in) {
		err = in.Err
	}
	msg := fmt.Sprintf("%s: %v", s.CreatedBy, err)
	if hint != "" {
		msg += ": " + hint
	}
	if d.plan.File != "" && s.Line > 0 {
		msg = fmt.Sprintf("%s:%d: %s", d.plan.File, s.Line, msg)
	}
	return &InputError{Err: errors.New(msg)}
}

// targetTree returns the final image's tree, reading the base's headers
// the first time.
func (d *dockerBuild) targetTree(ctx context.Context, base v1.Image) (*layers.Tree, error) {
	if d.target != nil {
		return d.target, nil
	}
	if d.plan.Base == Scratch {
		d.target = d.keep(layers.NewTree(d.tempDir))
		return d.target, nil
	}
	t, err := layers.ReadTree(ctx, base, layers.WithTempDir(d.tempDir), layers.WithContents(capturedPaths...))
	if err != nil {
		return nil, fmt.Errorf("reading the file tree of base image %s: %w", d.plan.Base, err)
	}
	d.target = d.keep(t)
	return d.target, nil
}

// run applies the plan's steps to the base and returns the layers they add.
func (d *dockerBuild) run(ctx context.Context, base v1.Image) ([]added, error) {
	var out []added
	for _, s := range d.plan.Steps {
		dst, err := d.targetTree(ctx, base)
		if err != nil {
			return nil, err
		}
		as, err := d.step(ctx, dst, s, true)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	return out, nil
}

// step applies s to dst; for the final stage (final set) it returns the
// layers s adds and records findings.
func (d *dockerBuild) step(ctx context.Context, dst *layers.Tree, s Step, final bool) ([]added, error) {
	if s.Kind == StepMkdir {
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
	d.stepFindings(dst, s, ch)
	d.recordExtensions(dst, s, img, ch)
	if ch.Empty() {
		return nil, nil // nothing copied (a glob matching nothing): no layer
	}
	l, err := dst.WriteLayer(ctx, ch, d.lopts...)
	if err != nil {
		return nil, d.stepError(s, err, "")
	}
	d.res.closers = append(d.res.closers, l.Close)
	return []added{{layer: l, entries: l.Entries(), createdBy: s.CreatedBy, origin: origin}}, nil
}

func (d *dockerBuild) mkdirStep(ctx context.Context, dst *layers.Tree, s Step, final bool) ([]added, error) {
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
	d.stepFindings(dst, s, ch)
	l, err := dst.WriteLayer(ctx, ch, d.lopts...)
	if err != nil {
		return nil, d.stepError(s, err, "")
	}
	d.res.closers = append(d.res.closers, l.Close)
	return []added{{layer: l, entries: l.Entries(), createdBy: s.CreatedBy, origin: Origin{Kind: "workdir", Name: s.Name}}}, nil
}

// source returns the tree a StepCopy copies from, the origin of the layer
// it makes, and the image, when it copies from one.
func (d *dockerBuild) source(ctx context.Context, s Step) (*layers.Tree, Origin, *srcImage, error) {
	n := 0
	for _, set := range []bool{s.Dir != "", s.Image != "", s.Stage != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, Origin{}, nil, d.stepError(s, errors.New("a step copies from one of a directory, an image or a stage"), "")
	}
	switch {
	case s.Dir != "":
		t, err := d.context(ctx, s)
		return t, Origin{Kind: "dir", Name: s.Name}, nil, err
	case s.Image != "":
		img, err := d.image(ctx, s.Name, s.Image, s.Platform)
		if err != nil {
			return nil, Origin{}, nil, d.stepError(s, err, "")
		}
		return img.tree, Origin{Kind: "image", Name: s.Name}, img, nil
	case s.Stage != "":
		t, err := d.stage(ctx, s.Stage)
		if err != nil {
			return nil, Origin{}, nil, err
		}
		return t, Origin{Kind: "stage", Name: s.Stage}, nil, nil
	}
	return d.keep(layers.NewTree(d.tempDir)), Origin{Kind: "inline", Name: s.Name}, nil, nil
}

// context reads a build context once per directory and ignore patterns.
func (d *dockerBuild) context(ctx context.Context, s Step) (*layers.Tree, error) {
	key := s.Dir + "\x00" + strings.Join(s.Ignore, "\x00")
	if c, ok := d.contexts[key]; ok {
		return c.tree, nil
	}
	t, skipped, err := layers.ContextTree(ctx, s.Dir, layers.WithIgnorePatterns(s.Ignore), layers.WithTempDir(d.tempDir))
	if err != nil {
		return nil, d.stepError(s, err, "")
	}
	d.keep(t)
	d.contexts[key] = &contextSource{tree: t}
	for _, sk := range skipped {
		d.res.Findings = append(d.res.Findings, Finding{ID: FindingSkipped, Severity: Warning, Path: path.Join(s.Dir, sk.Path),
			Message: "left out of the build context: " + sk.Reason})
	}
	return t, nil
}

// image pulls ref for platform ("" for the plan's) once, and reads its tree.
func (d *dockerBuild) image(ctx context.Context, name, ref, platform string) (*srcImage, error) {
	p := d.platform
	if platform != "" {
		pp, err := v1.ParsePlatform(platform)
		if err != nil || pp.OS == "" || pp.Architecture == "" {
			return nil, inputf("platform %q is not OS/ARCH (e.g. linux/amd64)", platform)
		}
		p = *pp
	}
	key := ref + "\x00" + p.String()
	if img, ok := d.images[key]; ok {
		return img, nil
	}
	img, in, err := d.res.pull(ctx, d.src, d.plan, name, ref, p)
	if err != nil {
		return nil, err
	}
	d.res.Inputs = append(d.res.Inputs, in)
	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading layers of %s: %w", ref, err)
	}
	t, err := layers.ReadTree(ctx, img, layers.WithTempDir(d.tempDir), layers.WithContents(capturedPaths...))
	if err != nil {
		return nil, fmt.Errorf("reading the file tree of %s: %w", ref, err)
	}
	si := &srcImage{ref: ref, img: img, layers: ls, tree: d.keep(t)}
	d.images[key] = si
	return si, nil
}

// stage builds the tree of the earlier stage name, once.
func (d *dockerBuild) stage(ctx context.Context, name string) (*layers.Tree, error) {
	if t, ok := d.stages[name]; ok {
		return t, nil
	}
	var st *Stage
	for i := range d.plan.Stages {
		if d.plan.Stages[i].Name == name {
			st = &d.plan.Stages[i]
			break
		}
	}
	if st == nil {
		return nil, inputf("no stage named %q: name an earlier stage of the Dockerfile", name)
	}
	if d.building[name] {
		return nil, inputf("stage %q copies from itself", name)
	}
	d.building[name] = true
	defer delete(d.building, name)
	var t *layers.Tree
	if st.Base == Scratch {
		t = d.keep(layers.NewTree(d.tempDir))
	} else {
		img, err := d.image(ctx, "stage-"+name, st.Base, st.Platform)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", name, err)
		}
		t = d.keep(img.tree.Clone())
	}
	for _, s := range st.Steps {
		if s.Kind != StepCopy && s.Kind != StepMkdir {
			return nil, inputf("stage %s: step %q is not a Dockerfile step", name, s.CreatedBy)
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
func (d *dockerBuild) reuse(dst *layers.Tree, img *srcImage, s Step) ([]added, bool) {
	if !d.reusable(dst, img, s) {
		return nil, false
	}
	var out []added
	for i, l := range img.layers {
		entries := img.tree.LayerEntries(i)
		ch := dst.OverlayLayer(img.tree, i, l)
		d.stepFindings(dst, s, ch)
		d.recordExtensions(dst, s, img, ch)
		by := s.CreatedBy
		if len(img.layers) > 1 {
			by = fmt.Sprintf("%s # layer %d of %d", by, i+1, len(img.layers))
		}
		out = append(out, added{layer: l, entries: entries, createdBy: by, origin: Origin{Kind: "image", Name: s.Name, Reused: true}})
	}
	return out, true
}

// reusable reports whether appending img's layers as they are gives the
// same file tree as copying: a plain COPY --from=img SRC SRC (no
// --chown, --chmod, --parents or --exclude; --link only for a top-level
// SRC), where SRC is a directory that no symbolic link leads to in either
// image; every layer is gzip, holds no whiteout, has an entry for SRC and
// for the parent of every entry, all at or under SRC; SRC's entry in each
// layer has the owner and mode the copy gives SRC (those it already has in
// dst, else 0755 and root); and no entry would put a directory over a
// non-directory of dst or the reverse (the copy fails there).
func (d *dockerBuild) reusable(dst *layers.Tree, img *srcImage, s Step) bool {
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
