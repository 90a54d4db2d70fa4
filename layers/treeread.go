package layers

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxCaptured bounds the size of a file whose content [ReadTree] keeps in
// memory because [WithContents] asked for it.
const maxCaptured = 1 << 20

// whiteout markers of the OCI image layer format.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// ReadTree reads the flattened file tree of img: the tar headers of every
// layer, bottom layer first, one layer at a time and streaming, with the
// whiteouts of each layer applied to the layers below it, as a container
// runtime stacks them; symbolic links in the parent directories of an
// entry are followed, inside the root, as a runtime follows them.
// Contents are not read: a file's content is fetched
// from its layer when a layer holding it is written. The regular files
// under the prefixes given with [WithContents] (up to 1 MiB each) are the
// exception: their contents are kept, so that small files such as
// /etc/passwd can be read without reading their layer again.
//
// Entries whose parent directory no layer holds get one (0755, owned by
// root); a hard link to a path the image does not hold becomes an empty
// file. Use [WithTempDir] to choose where contents read later are spooled.
// [WithIgnorePatterns] is refused.
func ReadTree(ctx context.Context, img v1.Image, opts ...Option) (*Tree, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.matcher != nil {
		return nil, errors.New("ignore patterns apply to directories, not to images: drop WithIgnorePatterns")
	}
	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading the image's layers: %w", err)
	}
	t := NewTree(o.tempDir)
	for i, l := range ls {
		if err := t.readLayer(ctx, l, o.capture); err != nil {
			return nil, fmt.Errorf("reading layer %d of %d: %w", i+1, len(ls), err)
		}
	}
	return t, nil
}

// pendingEntry is an entry of a layer being read, applied once the
// layer's whiteouts are.
type pendingEntry struct {
	p    string
	hdr  *tar.Header
	data []byte
	kept bool
}

func (t *Tree) readLayer(ctx context.Context, l v1.Layer, capture []string) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	var (
		listed    []Entry
		entries   []pendingEntry
		whiteouts []string
		opaques   []string
	)
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("entry %d: %w", len(listed)+1, err)
		}
		p := imagePath(hdr.Name)
		listed = append(listed, entryFromHeader(hdr))
		base := path.Base(p)
		switch {
		case base == whiteoutOpaque:
			opaques = append(opaques, path.Dir(p))
			continue
		case strings.HasPrefix(base, whiteoutPrefix):
			whiteouts = append(whiteouts, path.Join(path.Dir(p), strings.TrimPrefix(base, whiteoutPrefix)))
			continue
		}
		pe := pendingEntry{p: p, hdr: hdr}
		if hdr.Typeflag == tar.TypeReg && hdr.Size <= maxCaptured && underAny(p, capture) {
			data, err := io.ReadAll(tr)
			if err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			pe.data, pe.kept = data, true
		}
		entries = append(entries, pe)
	}
	t.applyWhiteouts(opaques, whiteouts)
	captured := map[string]content{}
	for _, pe := range entries {
		var c content
		if pe.kept {
			c = inlineContent(pe.data)
			captured[pe.p] = c
		} else {
			c = &layerContent{layer: l, name: pe.p}
		}
		t.applyHeader(pe.p, pe.hdr, c)
	}
	t.layerEntries = append(t.layerEntries, listed)
	t.captured = append(t.captured, captured)
	return nil
}

// applyWhiteouts empties the opaque directories and removes the whited-out
// paths of a layer, following symbolic links in their parent directories
// as a runtime does.
func (t *Tree) applyWhiteouts(opaques, whiteouts []string) {
	for _, d := range opaques {
		if rd, err := t.Resolve(d); err == nil {
			d = rd
		}
		if n := t.get(d); n != nil && n.isDir() {
			n.kids = map[string]*node{}
		}
	}
	for _, p := range whiteouts {
		t.remove(t.resolveParent(p))
	}
}

// underAny reports whether p is one of prefixes or lies under one.
func underAny(p string, prefixes []string) bool {
	for _, pre := range prefixes {
		if within(p, pre) {
			return true
		}
	}
	return false
}

// ensureParents makes every ancestor of p a directory, as a layer applied
// on top of the tree would: missing ones are added (0755, owned by root)
// and a file or link standing where a directory is needed is replaced.
func (t *Tree) ensureParents(p string) {
	cur := t.root
	for _, c := range components(path.Dir(p)) {
		n := cur.kids[c]
		if n == nil || !n.isDir() {
			n = newDir(path.Join(cur.path, c), 0o755, 0, 0)
			cur.kids[c] = n
		}
		cur = n
	}
}

// applyHeader sets the entry hdr describes at p, as extracting a layer
// over the tree does: a directory over a directory changes its metadata
// and keeps its contents; anything else replaces what was there. Symbolic
// links in the parent directories of p are followed, inside the root, as
// containerd and Docker follow them: an entry "opt/etc/passwd" under a
// link opt/etc -> /etc lands at /etc/passwd. It returns where the entry
// landed.
func (t *Tree) applyHeader(p string, hdr *tar.Header, c content) string {
	p = t.resolveParent(p)
	if p == "/" {
		if hdr.Typeflag == tar.TypeDir {
			t.root.mode, t.root.uid, t.root.gid = hdr.Mode&0o7777, hdr.Uid, hdr.Gid
		}
		return p
	}
	t.ensureParents(p)
	n := &node{path: p, typ: hdr.Typeflag, mode: hdr.Mode & 0o7777, uid: hdr.Uid, gid: hdr.Gid}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if old := t.get(p); old != nil && old.isDir() {
			old.mode, old.uid, old.gid = n.mode, n.uid, n.gid
			return p
		}
		n.kids = map[string]*node{}
	case tar.TypeReg:
		n.file = &fileData{size: hdr.Size, content: c}
	case tar.TypeLink:
		target := t.get(t.resolveParent(imagePath(hdr.Linkname)))
		if target == nil || target.typ != tar.TypeReg {
			n.typ = tar.TypeReg
			n.file = &fileData{content: inlineContent(nil)}
			break
		}
		n.typ, n.mode, n.uid, n.gid, n.file = tar.TypeReg, target.mode, target.uid, target.gid, target.file
	case tar.TypeSymlink:
		n.linkname = hdr.Linkname
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		n.devmajor, n.devminor = hdr.Devmajor, hdr.Devminor
	default:
		return p // PAX global headers and other records hold no file
	}
	t.get(path.Dir(p)).kids[path.Base(p)] = n
	return p
}

// fetch reads the contents of files that live in image layers and were not
// read yet: each layer holding at least one of them is read once, and the
// contents are kept in the tree's spool.
func (t *Tree) fetch(ctx context.Context, files []*fileData) error {
	type want struct {
		layer v1.Layer
		names map[string][]*layerContent
	}
	var order []*want
	byLayer := map[v1.Layer]*want{}
	for _, f := range files {
		lc, ok := f.content.(*layerContent)
		if !ok || lc.read != nil {
			continue
		}
		w := byLayer[lc.layer]
		if w == nil {
			w = &want{layer: lc.layer, names: map[string][]*layerContent{}}
			byLayer[lc.layer] = w
			order = append(order, w)
		}
		w.names[lc.name] = append(w.names[lc.name], lc)
	}
	for _, w := range order {
		if err := t.fetchLayer(ctx, w.layer, w.names); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tree) fetchLayer(ctx context.Context, l v1.Layer, names map[string][]*layerContent) error {
	what := "layer"
	if d, err := l.Digest(); err == nil {
		what = "layer " + d.String()
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return fmt.Errorf("reading %s: %w", what, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", what, err)
		}
		lcs := names[imagePath(hdr.Name)]
		if len(lcs) == 0 || hdr.Typeflag != tar.TypeReg {
			continue
		}
		// A later entry with the same name wins, as when extracting.
		span, err := t.spool.write(tr)
		if err != nil {
			return err
		}
		for _, lc := range lcs {
			lc.read = span
		}
	}
	for name, lcs := range names {
		for _, lc := range lcs {
			if lc.read == nil {
				return fmt.Errorf("reading %s: %s is not in the layer any more", what, name)
			}
		}
	}
	return nil
}
