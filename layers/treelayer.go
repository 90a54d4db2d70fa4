package layers

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
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
//
// With [WithCache], a layer whose entries and contents are those of a
// cached one is taken from the cache, nothing read but the stat of the
// build context's files: contents are told apart by the sha256 of a build
// context file (remembered with its stat, as for [FromDirSplit]), by the
// digest of the image layer and the path for a file of an image, and by
// their sha256 for the others. [WithCacheGroup] names the layer from one
// build to the next.
func (t *Tree) WriteLayer(ctx context.Context, ch *Change, opts ...Option) (*Layer, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	planned := t.planLayer(ch)
	c := o.cache
	if !c.usable() {
		l, _, err := t.writePlanned(ctx, planned, o, o.tempDir)
		return l, err
	}
	lk, err := t.layerKeys(ctx, planned, o)
	if err != nil {
		return nil, err
	}
	if l := lk.lookup(planned, o); l != nil {
		return l, nil
	}
	l, fresh, err := t.writePlanned(ctx, planned, o, c.tempDir())
	if isDiskError(err) {
		// The cache cannot be written: that costs speed only.
		c.disable(err)
		l, _, err = t.writePlanned(ctx, planned, o, o.tempDir)
		return l, err
	}
	if err != nil {
		return nil, err
	}
	lk.store(planned, l, fresh, o)
	return l, nil
}

// plannedEntry is an entry of a layer WriteLayer writes: the Entry it is
// and, for a regular file written with its bytes, its content.
type plannedEntry struct {
	e                  Entry
	devmajor, devminor int64
	content            content
}

// header is the tar header the entry is written with.
func (pe *plannedEntry) header() *tar.Header {
	hdr := &tar.Header{Typeflag: pe.e.Type, Name: tarName(pe.e.Path, pe.e.Type == tar.TypeDir), Mode: pe.e.Mode,
		Uid: pe.e.UID, Gid: pe.e.GID, Size: pe.e.Size, Linkname: pe.e.Linkname, Devmajor: pe.devmajor, Devminor: pe.devminor}
	if pe.e.Type == tar.TypeLink {
		hdr.Linkname = tarName(pe.e.Linkname, false)
	}
	return hdr
}

// planLayer lists the entries of the layer of ch: the paths it changed and
// the directories above them that t still holds, in the package's order,
// a regular file sharing the content of one written before it being a
// hard link to that one.
func (t *Tree) planLayer(ch *Change) []plannedEntry {
	nodes := t.layerNodes(ch)
	planned := make([]plannedEntry, len(nodes))
	first := make(map[*fileData]string, len(nodes))
	for i, n := range nodes {
		pe := &planned[i]
		pe.e = Entry{Path: n.path, Type: n.typ, Mode: n.mode & 0o7777, UID: n.uid, GID: n.gid}
		switch n.typ {
		case tar.TypeSymlink:
			pe.e.Linkname = n.linkname
		case tar.TypeChar, tar.TypeBlock:
			pe.devmajor, pe.devminor = n.devmajor, n.devminor
		case tar.TypeReg:
			if n.file == nil {
				break
			}
			if fp, ok := first[n.file]; ok {
				pe.e.Type, pe.e.Linkname = tar.TypeLink, fp
				break
			}
			first[n.file] = n.path
			pe.e.Size, pe.content = n.file.size, n.file.content
		}
	}
	return planned
}

// layerNodes lists the entries t holds at the paths of ch and the
// directories above them, depth-first, siblings in byte order.
func (t *Tree) layerNodes(ch *Change) []*node {
	if !ch.sorted {
		set := make(map[string]bool, len(ch.order))
		for _, p := range ch.order {
			for q := p; q != "/"; q = path.Dir(q) {
				if set[q] {
					break
				}
				set[q] = true
			}
		}
		paths := make([]string, 0, len(set))
		for p := range set {
			paths = append(paths, p)
		}
		slices.SortFunc(paths, comparePaths)
		nodes := make([]*node, 0, len(paths))
		for _, p := range paths {
			if n := t.get(p); n != nil {
				nodes = append(nodes, n)
			}
		}
		return nodes
	}
	// In order already: each path comes after the directories above it
	// not listed yet, which sort after every path before it. Those listed
	// are the directories above the path before it (or it), as nothing
	// between a directory and a path under it lies outside the directory;
	// their nodes are kept on a stack, so that each node is found from its
	// parent's.
	nodes := make([]*node, 0, len(ch.order))
	type dirNode struct {
		path string
		n    *node // nil when t does not hold it
	}
	stack := []dirNode{{"/", t.root}}
	var above []string
	for _, p := range ch.order {
		for top := stack[len(stack)-1].path; top != "/" && !inside(p, top); top = stack[len(stack)-1].path {
			stack = stack[:len(stack)-1]
		}
		above = above[:0]
		for q := path.Dir(p); q != stack[len(stack)-1].path; q = path.Dir(q) {
			above = append(above, q)
		}
		for i := len(above) - 1; i >= 0; i-- {
			n := child(stack[len(stack)-1].n, above[i])
			if n != nil {
				nodes = append(nodes, n)
			}
			stack = append(stack, dirNode{above[i], n})
		}
		n := child(stack[len(stack)-1].n, p)
		if n != nil {
			nodes = append(nodes, n)
		}
		stack = append(stack, dirNode{p, n})
	}
	return nodes
}

// child returns the entry of the directory dir (nil: none) named by the
// last component of p, or nil.
func child(dir *node, p string) *node {
	if dir == nil || dir.kids == nil {
		return nil
	}
	return dir.kids[path.Base(p)]
}

// inside reports whether p lies under the directory dir (both clean and
// absolute, dir not "/").
func inside(p, dir string) bool {
	return len(p) > len(dir) && p[len(dir)] == '/' && p[:len(dir)] == dir
}

// writePlanned writes the planned entries as a layer file in dir, reading
// the contents from image layers first (each such layer once). fresh holds
// the sha256 of each build context file it read, by index in planned.
func (t *Tree) writePlanned(ctx context.Context, planned []plannedEntry, o *options, dir string) (_ *Layer, fresh map[int]string, _ error) {
	var files []*fileData
	for _, pe := range planned {
		if pe.content != nil {
			files = append(files, &fileData{content: pe.content})
		}
	}
	if err := t.fetch(ctx, files); err != nil {
		return nil, nil, err
	}
	w, err := newLayerWriter(o, dir)
	if err != nil {
		return nil, nil, err
	}
	fresh = map[int]string{}
	for i, pe := range planned {
		if err := ctx.Err(); err != nil {
			w.abort()
			return nil, nil, err
		}
		if err := writePlannedEntry(ctx, w, pe, i, fresh); err != nil {
			w.abort()
			return nil, nil, err
		}
	}
	l, err := w.finish()
	return l, fresh, err
}

// writePlannedEntry writes one planned entry, hashing a build context
// file's content into fresh.
func writePlannedEntry(ctx context.Context, w *layerWriter, pe plannedEntry, i int, fresh map[int]string) error {
	if pe.content == nil {
		return w.add(pe.header(), nil)
	}
	rc, err := pe.content.open(ctx)
	if err != nil {
		return fmt.Errorf("writing %s: %w", pe.e.Path, err)
	}
	defer rc.Close()
	var r io.Reader = rc
	var h hash.Hash
	if _, ok := pe.content.(*hostContent); ok {
		h = sha256.New()
		r = &hashingReader{r: rc, h: h}
	}
	err = w.add(pe.header(), r)
	if ce := (*contentError)(nil); errors.As(err, &ce) {
		return fmt.Errorf("reading the content of %s: %w", pe.e.Path, ce.err)
	}
	if err == nil && h != nil {
		fresh[i] = hex.EncodeToString(h.Sum(nil))
	}
	return err
}

// hashingReader hashes what is read; it keeps the Stat of a file it reads,
// for add's check that the file did not grow.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}

// Stat is the file's, when hr reads one.
func (hr *hashingReader) Stat() (fs.FileInfo, error) {
	if f, ok := hr.r.(fileReader); ok {
		return f.Stat()
	}
	return nil, errors.New("not a file")
}

// treeLayerKeys is how the cache finds the layer WriteLayer writes: what
// identifies each content, and the build context files with their group.
type treeLayerKeys struct {
	c *Cache
	// ids identifies each planned entry's content ("" for none); those of
	// build context files are their sha256, once known.
	ids []string
	// files are the build context files, at fileIdx in planned, under
	// root; group is theirs (nil when they lie under several roots).
	files   []hostFile
	fileIdx []int
	root    string
	group   *statGroup
	// stat is the stat key of the layer.
	stat string
	// uncacheable is set when a content cannot be identified.
	uncacheable bool
}

// layerKeys identifies the contents of planned for the cache.
func (t *Tree) layerKeys(ctx context.Context, planned []plannedEntry, o *options) (*treeLayerKeys, error) {
	lk := &treeLayerKeys{c: o.cache, ids: make([]string, len(planned))}
	n := 0
	for i := range planned {
		if _, ok := planned[i].content.(*hostContent); ok {
			n++
		}
	}
	lk.files, lk.fileIdx = make([]hostFile, 0, n), make([]int, 0, n)
	roots := 0
	for i, pe := range planned {
		switch c := pe.content.(type) {
		case nil:
		case *hostContent:
			if len(lk.files) == 0 || c.root != lk.root {
				roots++
				lk.root = c.root
			}
			lk.files = append(lk.files, hostFile{rel: c.rel, st: c.st})
			lk.fileIdx = append(lk.fileIdx, i)
		case *layerContent:
			d, err := c.layer.Digest()
			if err != nil {
				lk.uncacheable = true
				continue
			}
			lk.ids[i] = "layer " + d.String() + " " + c.name
		default:
			sum, err := contentSum(ctx, c)
			if err != nil {
				return nil, fmt.Errorf("reading the content of %s: %w", pe.e.Path, err)
			}
			lk.ids[i] = "sha256:" + sum
		}
	}
	if len(lk.files) > 0 && roots == 1 {
		name := o.cacheGroup
		if name == "" {
			name = planned[0].e.Path
		}
		lk.group = lk.c.group(lk.root, "tree\x00"+name)
		lk.stat = lk.statKey(planned, o)
	}
	return lk, nil
}

// contentSum is the hex sha256 of a content held in memory or spooled.
func contentSum(ctx context.Context, c content) (string, error) {
	rc, err := c.open(ctx)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// addKey adds the entry's header and content identity id to a key.
func (pe *plannedEntry) addKey(k *keyHash, id string) {
	k.num(int64(pe.e.Type))
	k.str(pe.e.Path)
	k.num(pe.e.Mode)
	k.num(int64(pe.e.UID))
	k.num(int64(pe.e.GID))
	k.str(pe.e.Linkname)
	k.num(pe.devmajor)
	k.num(pe.devminor)
	k.num(pe.e.Size)
	k.str(id)
}

// key is the cache key of the layer: its format, options, headers and
// contents (every build context file's sha256 must be in ids).
func (lk *treeLayerKeys) key(planned []plannedEntry, o *options) string {
	k := newKeyHash()
	o.keyHeader(k, "tree")
	for i := range planned {
		planned[i].addKey(k, lk.ids[i])
	}
	return k.sum()
}

// statKey is the stat key of the layer: as key, with the stat of each
// build context file for its sha256.
func (lk *treeLayerKeys) statKey(planned []plannedEntry, o *options) string {
	k := newKeyHash()
	o.keyHeader(k, "tree-stat")
	j := 0
	for i := range planned {
		planned[i].addKey(k, lk.ids[i])
		if j < len(lk.fileIdx) && lk.fileIdx[j] == i {
			addStat(k, lk.files[j].st)
			j++
		}
	}
	return k.sum()
}

// lookup returns the cached layer of planned, or nil: by its stat key
// when no build context file changed, else by its key, the files whose
// stat changed hashed (on a first build of the group nothing is: the
// write hashes them).
func (lk *treeLayerKeys) lookup(planned []plannedEntry, o *options) *Layer {
	if lk.uncacheable {
		return nil
	}
	entries := func() []Entry {
		out := make([]Entry, len(planned))
		for i, pe := range planned {
			out[i] = pe.e
		}
		return out
	}
	if len(lk.files) == 0 {
		return lk.c.lookup(lk.key(planned, o), o, entries)
	}
	if lk.group != nil {
		if key, hit := lk.group.keyFor(lk.stat, lk.files); hit {
			if l := lk.c.lookup(key, o, entries); l != nil {
				return l
			}
		}
	}
	sums, known := make([]string, len(lk.files)), false
	if lk.group != nil {
		sums, known = lk.group.knownSums(lk.files)
	}
	if !known {
		return nil
	}
	hashed, err := hashMissing(lk.root, lk.files, sums)
	if err != nil {
		return nil // the write names the file
	}
	lk.setSums(sums)
	key := lk.key(planned, o)
	l := lk.c.lookup(key, o, entries)
	if l == nil {
		return nil
	}
	lk.group.remember(lk.files, sums, hashed)
	lk.group.saveKey(lk.stat, key, lk.files, sums)
	return l
}

// setSums records the sha256 of the build context files as their ids.
func (lk *treeLayerKeys) setSums(sums []string) {
	for j, i := range lk.fileIdx {
		lk.ids[i] = "sha256:" + sums[j]
	}
}

// store keeps the layer just written in the cache; fresh holds the sha256
// of the build context files it read, by index in planned.
func (lk *treeLayerKeys) store(planned []plannedEntry, l *Layer, fresh map[int]string, o *options) {
	if lk.uncacheable {
		return
	}
	sums := make([]string, len(lk.files))
	for j, i := range lk.fileIdx {
		if sums[j] = fresh[i]; sums[j] == "" {
			return
		}
	}
	lk.setSums(sums)
	key := lk.key(planned, o)
	lk.c.store(key, l)
	if lk.group != nil {
		lk.group.remember(lk.files, sums, true)
		lk.group.saveKey(lk.stat, key, lk.files, sums)
	}
}
