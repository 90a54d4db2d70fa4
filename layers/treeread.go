package layers

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"strings"
	"sync"

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
	listings, err := readListings(ctx, ls, o)
	if err != nil {
		return nil, err
	}
	t := NewTree(o.tempDir)
	for i, l := range ls {
		t.applyListing(l, listings[i])
	}
	return t, nil
}

// readListings reads the listings of layers (see Cache.listing), several
// at once: a base image read for the first time is downloaded in parallel.
func readListings(ctx context.Context, ls []v1.Layer, o *options) ([]*layerListing, error) {
	out := make([]*layerListing, len(ls))
	errs := make([]error, len(ls))
	sem := make(chan struct{}, min(max(runtime.GOMAXPROCS(0), 2), 4))
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = o.cache.listing(ctx, l, o.capture)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("reading layer %d of %d: %w", i+1, len(ls), err)
		}
	}
	return out, nil
}

// layerListing is what ReadTree keeps of a layer: its entries as stored,
// in order, and the contents of the small files it captures. The cache
// keeps it by the layer's digest (see Cache.listing), so that a rebuild
// does not read the layer again.
type layerListing struct {
	Entries []listedEntry
	// Captured holds the contents of the regular files under the capture
	// prefixes (up to maxCaptured bytes each), by index in Entries.
	Captured map[int][]byte
}

// listedEntry is an entry of a layer with the device numbers Entry lacks.
type listedEntry struct {
	Entry
	Devmajor, Devminor int64
}

// header is the tar header the entry was read from, as applyHeader uses it.
func (e listedEntry) header() *tar.Header {
	return &tar.Header{Typeflag: e.Type, Mode: e.Mode, Uid: e.UID, Gid: e.GID, Size: e.Size,
		Linkname: e.Linkname, Devmajor: e.Devmajor, Devminor: e.Devminor}
}

// readListing reads the headers of l, and the contents of its regular
// files under capture, to the end of the layer (so that a layer read from a
// registry is checked against its digest before it is trusted).
func readListing(ctx context.Context, l v1.Layer, capture []string) (*layerListing, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	ls := &layerListing{Captured: map[int][]byte{}}
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", len(ls.Entries)+1, err)
		}
		e := listedEntry{Entry: entryFromHeader(hdr), Devmajor: hdr.Devmajor, Devminor: hdr.Devminor}
		ls.Entries = append(ls.Entries, e)
		if hdr.Typeflag == tar.TypeReg && hdr.Size <= maxCaptured && underAny(e.Path, capture) && !isWhiteout(e.Path) {
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", e.Path, err)
			}
			ls.Captured[len(ls.Entries)-1] = data
		}
	}
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, err
	}
	return ls, nil
}

// isWhiteout reports whether p names a whiteout entry.
func isWhiteout(p string) bool {
	return strings.HasPrefix(path.Base(p), whiteoutPrefix)
}

// applyListing stacks a layer's listing on the tree: its whiteouts
// applied to what is below, then its entries, as a container runtime
// does. Contents not captured are read from l when a layer holding them
// is written.
// collectWhiteout adds what the layer entry p whites out to opaques (the
// directory an opaque marker empties) or whiteouts (the path a whiteout
// removes); ok is false, and nothing is added, for any other entry.
func collectWhiteout(p string, opaques, whiteouts []string) (_, _ []string, ok bool) {
	base := path.Base(p)
	switch {
	case base == whiteoutOpaque:
		return append(opaques, path.Dir(p)), whiteouts, true
	case strings.HasPrefix(base, whiteoutPrefix):
		return opaques, append(whiteouts, path.Join(path.Dir(p), strings.TrimPrefix(base, whiteoutPrefix))), true
	}
	return opaques, whiteouts, false
}

func (t *Tree) applyListing(l v1.Layer, ls *layerListing) {
	var whiteouts, opaques []string
	listed := make([]Entry, len(ls.Entries))
	for i, e := range ls.Entries {
		listed[i] = e.Entry
		opaques, whiteouts, _ = collectWhiteout(e.Path, opaques, whiteouts)
	}
	t.applyWhiteouts(opaques, whiteouts)
	captured := map[int]content{}
	for i, e := range ls.Entries {
		if isWhiteout(e.Path) {
			continue
		}
		var c content
		if data, ok := ls.Captured[i]; ok && e.Type == tar.TypeReg {
			c = inlineContent(data)
			captured[i] = c
		} else {
			c = &layerContent{layer: l, name: e.Path}
		}
		t.applyHeader(e.Path, e.header(), c)
	}
	t.layerEntries = append(t.layerEntries, listed)
	t.captured = append(t.captured, captured)
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
	if n := t.get(path.Dir(p)); n != nil && n.isDir() {
		return // all there
	}
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
