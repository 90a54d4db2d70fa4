package layers

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
)

// WriteLayer writes a layer holding the entries at the paths ch lists, as
// t holds them now, and every directory above them (with the owner and
// mode t gives it, so that directories the step did not create keep
// theirs): the layer a Dockerfile step adds. Regular files that share
// their content (hard links) are written once and linked to afterwards.
// Entries follow the order and header rules of the package documentation,
// contents are read from the build context, the spool or their image
// layer (each such layer read once). Paths that t no longer holds are
// left out.
func (t *Tree) WriteLayer(ctx context.Context, ch *Change, opts ...Option) (*Layer, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for p := range ch.paths {
		for q := p; q != "/"; q = path.Dir(q) {
			if set[q] {
				break
			}
			set[q] = true
		}
	}
	paths := make([]string, 0, len(set))
	for p := range set {
		if t.get(p) != nil {
			paths = append(paths, p)
		}
	}
	slices.SortFunc(paths, comparePaths)
	var files []*fileData
	for _, p := range paths {
		if n := t.get(p); n.typ == tar.TypeReg && n.file != nil {
			files = append(files, n.file)
		}
	}
	if err := t.fetch(ctx, files); err != nil {
		return nil, err
	}
	w, err := newLayerWriter(o, o.tempDir)
	if err != nil {
		return nil, err
	}
	first := map[*fileData]string{}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			w.abort()
			return nil, err
		}
		if err := t.writeEntry(ctx, w, t.get(p), first); err != nil {
			w.abort()
			return nil, err
		}
	}
	return w.finish()
}

func (t *Tree) writeEntry(ctx context.Context, w *layerWriter, n *node, first map[*fileData]string) error {
	hdr := &tar.Header{
		Typeflag: n.typ,
		Name:     tarName(n.path, n.isDir()),
		Mode:     n.mode,
		Uid:      n.uid,
		Gid:      n.gid,
	}
	switch n.typ {
	case tar.TypeSymlink:
		hdr.Linkname = n.linkname
	case tar.TypeChar, tar.TypeBlock:
		hdr.Devmajor, hdr.Devminor = n.devmajor, n.devminor
	case tar.TypeReg:
		if n.file == nil {
			return w.add(hdr, nil)
		}
		if fp, ok := first[n.file]; ok {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, tarName(fp, false)
			return w.add(hdr, nil)
		}
		first[n.file] = n.path
		hdr.Size = n.file.size
		rc, err := n.file.content.open(ctx)
		if err != nil {
			return fmt.Errorf("writing %s: %w", n.path, err)
		}
		defer rc.Close()
		err = w.add(hdr, rc)
		if ce := (*contentError)(nil); errors.As(err, &ce) {
			return fmt.Errorf("reading the content of %s: %w", n.path, ce.err)
		}
		return err
	}
	return w.add(hdr, nil)
}
