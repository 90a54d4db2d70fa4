package builder

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/plan"
)

// added is one layer a step adds. entries, what the layer holds, are set
// by the steps of flag builds (a Dockerfile's steps record what they wrote
// in the result themselves: see dockerBuild.written).
type added struct {
	layer     v1.Layer
	entries   []layers.Entry
	createdBy string
	origin    plan.Origin
}

// imageStep adds the subtree Src of an image (a flag build's --ext): the
// image's own blobs when every entry lies under Src, no symbolic link can
// take one elsewhere (see layers.LinkExposed) and the layer is gzip, else
// the Src subtree copied into a new layer. An image that adds no file is
// refused.
func (r *run) imageStep(ctx context.Context, step plan.Step) ([]added, error) {
	if step.Src != step.Dest {
		return nil, plan.Inputf(plan.FieldImage, "copying %s from %s to %s: copying to another path is not supported yet", step.Src, step.Image, step.Dest)
	}
	img, in, err := r.pull(ctx, step.Name, step.Image, r.pl.Platform)
	if err != nil {
		return nil, err
	}
	r.res.Inputs = append(r.res.Inputs, in)
	out, reused, err := r.reuseLayers(img, step)
	if err != nil {
		return nil, err
	}
	if !reused {
		if out, err = r.copySubtree(ctx, img, step); err != nil {
			return nil, err
		}
	}
	if !addsFiles(out, step.Src) {
		return nil, emptyImageError(step)
	}
	return out, nil
}

// copySubtree copies the Src subtree of img into a new layer, as
// COPY --from=img Src Src does, and reports what it left out.
func (r *run) copySubtree(ctx context.Context, img v1.Image, step plan.Step) ([]added, error) {
	sub, left, err := layers.Subtree(ctx, img, step.Src, append(r.lopts, layers.WithExistingPrefix())...)
	if layers.IsNotExist(err) {
		return nil, emptyImageError(step)
	}
	if err != nil {
		return nil, fmt.Errorf("copying %s from %s: %w", step.Src, step.Image, err)
	}
	r.res.OnClose(sub.Close)
	r.outsideFinding(step, left)
	return []added{{layer: sub, entries: sub.Entries(), createdBy: step.CreatedBy, origin: plan.Origin{Kind: plan.OriginImage, Name: step.Name}}}, nil
}

// addsFiles reports whether the layers of an image step hold anything but
// directories at or under src.
func addsFiles(as []added, src string) bool {
	for _, a := range as {
		for _, e := range a.entries {
			if e.Type != tar.TypeDir && under(e.Path, src) {
				return true
			}
		}
	}
	return false
}

// emptyImageError refuses an image step that would add nothing: an
// extension image with no layer, only empty layers, or nothing but
// directories under Src is not the extension the user asked for.
func emptyImageError(step plan.Step) error {
	field := plan.FieldImage
	if step.Extension != "" {
		field = plan.FieldExt
	}
	return plan.Inputf(field, "image %s holds no file under %s (no layer, only empty layers, or only directories): it would add nothing to the image, and no extension; check the image (a tampered mirror?), or do not add it", step.Image, step.Src)
}

// reuseLayers returns img's layers as they are when every entry of every
// layer is reusable for step; reused is false otherwise.
func (r *run) reuseLayers(img v1.Image, step plan.Step) (out []added, reused bool, err error) {
	ls, err := img.Layers()
	if err != nil {
		return nil, false, fmt.Errorf("reading layers of %s: %w", step.Image, err)
	}
	for i, l := range ls {
		mt, err := l.MediaType()
		if err != nil {
			return nil, false, fmt.Errorf("reading layer %d of %s: %w", i+1, step.Image, err)
		}
		if mt != types.DockerLayer && mt != types.OCILayer {
			return nil, false, nil
		}
		entries, err := r.b.o.cache.List(l)
		if err != nil {
			return nil, false, fmt.Errorf("reading layer %d of %s: %w", i+1, step.Image, err)
		}
		for _, e := range entries {
			if !reusable(e, step.Src) {
				return nil, false, nil
			}
		}
		if _, exposed := layers.LinkExposed(entries, step.Src); exposed {
			return nil, false, nil // a symbolic link could take an entry out of Src
		}
		by := step.CreatedBy
		if len(ls) > 1 {
			by = fmt.Sprintf("%s # layer %d of %d", by, i+1, len(ls))
		}
		out = append(out, added{layer: l, entries: entries, createdBy: by, origin: plan.Origin{Kind: plan.OriginImage, Name: step.Name, Reused: true}})
	}
	return out, true, nil
}

// outsideFinding reports the files of an extension image that a copy of
// its Src subtree left out.
func (r *run) outsideFinding(step plan.Step, left []layers.Entry) {
	paths := make([]string, 0, len(left))
	for _, e := range left {
		if e.Path != "/" {
			paths = append(paths, e.Path)
		}
	}
	if len(paths) == 0 {
		return
	}
	r.res.Findings = append(r.res.Findings, findings.Finding{
		ID: findings.IDOutsideCopy, Severity: findings.Warning, Path: step.Image,
		Message: fmt.Sprintf("holds files outside %s; only %s was copied (as COPY --from=%s %s %s does), so these are not in the image: %s",
			step.Src, step.Src, step.Image, step.Src, step.Dest, findings.Summarize(paths, 10)),
	})
}

// dirStep packs a local directory (the app) into layers: one per split
// directory, then the rest.
func (r *run) dirStep(ctx context.Context, step plan.Step) ([]added, error) {
	opts := append(append([]layers.Option(nil), r.lopts...), layers.WithIgnorePatterns(step.Ignore), layers.WithExclude(r.excluded()...))
	if r.b.o.cache != nil {
		opts = append(opts, layers.WithCache(r.b.o.cache))
	}
	ls, err := layers.FromDirSplit(ctx, step.Dir, step.Dest, step.Split, opts...)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ENOSPC) {
			return nil, err
		}
		return nil, plan.AsInput(plan.FieldAppDir, err)
	}
	var out []added
	for i, l := range ls {
		r.res.OnClose(l.Close)
		r.skippedFindings(step.Dir, l.Skipped(), "left out of the image: ")
		by, name := step.CreatedBy, step.Name
		if i < len(ls)-1 {
			// The split layers come first, in the order of step.Split, less those the app lacks.
			split := splitOf(l, step)
			by, name = fmt.Sprintf("%s # %s/ (a layer of its own)", step.CreatedBy, split), step.Name+" "+split+"/"
		}
		out = append(out, added{layer: l, entries: l.Entries(), createdBy: by, origin: plan.Origin{Kind: plan.OriginDir, Name: name}})
	}
	return out, nil
}

// excluded lists the paths no local directory step copies: the plan's
// (the build's own outputs) and the layer cache.
func (r *run) excluded() []string {
	ex := append([]string(nil), r.pl.Exclude...)
	if r.b.o.cache != nil {
		ex = append(ex, r.b.o.cache.Dir())
	}
	return ex
}

// skippedFindings reports the special files (sockets, devices, pipes) of
// dir that were left out, and brefimg's own files (see excluded).
func (r *run) skippedFindings(dir string, skipped []layers.Skipped, what string) {
	for _, s := range skipped {
		f := findings.Finding{ID: findings.IDSkipped, Severity: findings.Warning, Path: path.Join(dir, s.Path), Message: what + s.Reason}
		if s.Excluded {
			f.ID = findings.IDOwnFile
			f.Message = fmt.Sprintf("%s%s; add %s to .dockerignore, or write it outside the app directory", what, s.Reason, s.Path)
		}
		r.res.Findings = append(r.res.Findings, f)
	}
}

// splitOf names the split directory a layer of FromDirSplit holds.
func splitOf(l *layers.Layer, step plan.Step) string {
	for _, e := range l.Entries() {
		for _, sp := range step.Split {
			if under(e.Path, path.Join(step.Dest, sp)) {
				return sp
			}
		}
	}
	return "?"
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
