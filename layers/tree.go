package layers

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Tree is a file tree as a container image holds it: the flattened
// filesystem of an image ([ReadTree]), a build context ([ContextTree]) or an
// empty one ([NewTree], for FROM scratch), changed by Dockerfile steps
// ([Tree.Copy], [Tree.Mkdir], [Tree.Overlay]) and turned into layers
// ([Tree.WriteLayer]).
//
// A Tree holds headers and references to contents, not the contents: a file
// of an image is read from its layer only when a layer that holds it is
// written, a file of the build context from the disk. Contents read from
// image layers and archives are kept in a temporary spool file until
// [Tree.Close]. A Tree is not safe for concurrent use.
type Tree struct {
	root  *node
	spool *spool
	// layerEntries holds, for a tree read from an image, the entries of
	// each of its layers as stored; captured the contents ReadTree kept
	// of each layer's files, by path.
	layerEntries [][]Entry
	captured     []map[int]content // by index in layerEntries
}

// node is one entry of a tree.
type node struct {
	path     string
	typ      byte
	mode     int64 // permission, setuid, setgid and sticky bits (07777)
	uid, gid int
	linkname string // symbolic link target, as stored
	devmajor int64
	devminor int64
	// file is the content of a regular file; hard links share it.
	file *fileData
	kids map[string]*node // directories only
}

// fileData is the content of a regular file (an inode: hard links share it).
type fileData struct {
	size    int64
	content content
	// copy is the copy copiedBy made of this file (see copier.copyOf).
	copiedBy *copier
	copy     *fileData
}

// content is where the bytes of a regular file are.
type content interface {
	open(ctx context.Context) (io.ReadCloser, error)
}

func newDir(p string, mode int64, uid, gid int) *node {
	return &node{path: p, typ: tar.TypeDir, mode: mode, uid: uid, gid: gid, kids: map[string]*node{}}
}

// NewTree returns a tree holding only the root directory (0755, owned by
// root): the filesystem of FROM scratch. Its spool is created in tempDir
// ("" for [os.TempDir]) when first needed.
func NewTree(tempDir string) *Tree {
	return &Tree{root: newDir("/", 0o755, 0, 0), spool: &spool{dir: tempDir}}
}

// Close removes the tree's spool file. Contents other trees copied from
// this one can no longer be read afterwards.
func (t *Tree) Close() error {
	return t.spool.close()
}

// Clone returns a copy of t that can be changed independently, with a
// spool of its own. Contents already read are shared: the copy stays valid
// only while t is open.
func (t *Tree) Clone() *Tree {
	c := &Tree{spool: &spool{dir: t.spool.dir}, layerEntries: t.layerEntries, captured: t.captured}
	var clone func(n *node) *node
	clone = func(n *node) *node {
		m := *n
		if n.kids != nil {
			m.kids = make(map[string]*node, len(n.kids))
			for k, v := range n.kids {
				m.kids[k] = clone(v)
			}
		}
		return &m
	}
	c.root = clone(t.root)
	return c
}

// LayerEntries returns the entries of layer i of the image the tree was
// read from, as stored (whiteouts included); nil for other trees.
func (t *Tree) LayerEntries(i int) []Entry {
	if i < 0 || i >= len(t.layerEntries) {
		return nil
	}
	return slices.Clone(t.layerEntries[i])
}

// components splits an absolute path into its names, dropping empty ones
// and ".".
func components(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// get returns the node at the exact path p (absolute, clean), following no
// symbolic link, or nil.
func (t *Tree) get(p string) *node {
	n := t.root
	for rest := p; rest != ""; {
		var c string
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			c, rest = rest[:i], rest[i+1:]
		} else {
			c, rest = rest, ""
		}
		if c == "" || c == "." {
			continue
		}
		if n.kids == nil {
			return nil
		}
		n = n.kids[c]
		if n == nil {
			return nil
		}
	}
	return n
}

// parentOf returns the directory node holding p, or nil.
func (t *Tree) parentOf(p string) *node {
	if p == "/" {
		return nil
	}
	d := t.get(path.Dir(p))
	if d == nil || d.kids == nil {
		return nil
	}
	return d
}

// put sets n at n.path, whose parent directory must exist.
func (t *Tree) put(n *node) error {
	d := t.parentOf(n.path)
	if d == nil {
		return fmt.Errorf("%s: parent directory does not exist", n.path)
	}
	d.kids[path.Base(n.path)] = n
	return nil
}

// remove deletes the node at p, and everything under it.
func (t *Tree) remove(p string) {
	if d := t.parentOf(p); d != nil {
		delete(d.kids, path.Base(p))
	}
}

// maxLinks bounds how many symbolic links a path resolution follows.
const maxLinks = 255

// Resolve returns p (an absolute path) with every symbolic link in it
// followed, the last component included, as a container runtime resolves
// it inside the root: absolute targets start again at the root and ".."
// never leaves it. Components that do not exist are kept as they are.
func (t *Tree) Resolve(p string) (string, error) {
	return resolvePath(p, func(q string) (byte, string, bool) {
		n := t.get(q)
		if n == nil {
			return 0, "", false
		}
		return n.typ, n.linkname, true
	})
}

// resolveParent returns p (absolute, clean) with the symbolic links of its
// parent directories followed, the last component kept: where a runtime
// unpacking an entry named p writes it. It returns p when that fails (a
// loop, a file standing for a directory).
func (t *Tree) resolveParent(p string) string {
	if p == "/" {
		return p
	}
	if n := t.get(path.Dir(p)); n != nil && n.isDir() {
		return p // every component of the parent is a directory: no link
	}
	dir, err := t.Resolve(path.Dir(p))
	if err != nil {
		return p
	}
	return path.Join(dir, path.Base(p))
}

// resolvePath resolves p as [Tree.Resolve] does, in a tree that lookup
// describes: the type and link target of the entry at an exact path, and
// whether there is one.
func resolvePath(p string, lookup func(string) (typ byte, linkname string, ok bool)) (string, error) {
	rest := components(p)
	cur := "/"
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		if c == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		typ, linkname, ok := lookup(next)
		switch {
		case !ok:
			cur = next
		case typ == tar.TypeSymlink:
			links++
			if links > maxLinks {
				return "", fmt.Errorf("resolving %s: more than %d symbolic links", p, maxLinks)
			}
			if path.IsAbs(linkname) {
				cur = "/"
			}
			// A relative target is relative to the link's directory, cur.
			rest = append(components(linkname), rest...)
		case typ != tar.TypeDir && len(rest) > 0:
			return "", fmt.Errorf("resolving %s: %s is not a directory", p, next)
		default:
			cur = next
		}
	}
	return cur, nil
}

// Lookup returns the entry at p (absolute; symbolic links in its parent
// directories are followed, the last component is not).
func (t *Tree) Lookup(p string) (Entry, bool) {
	if n := t.get(p); n != nil && path.IsAbs(p) && !strings.Contains(p, "..") {
		// Every component of p is a directory of the tree: no symbolic
		// link to follow.
		return n.entry(), true
	}
	p = path.Clean("/" + p)
	if p != "/" {
		dir, err := t.Resolve(path.Dir(p))
		if err != nil {
			return Entry{}, false
		}
		p = path.Join(dir, path.Base(p))
	}
	n := t.get(p)
	if n == nil {
		return Entry{}, false
	}
	return n.entry(), true
}

func (n *node) entry() Entry {
	e := Entry{Path: n.path, Type: n.typ, Mode: n.mode, Linkname: n.linkname, UID: n.uid, GID: n.gid}
	if n.file != nil {
		e.Size = n.file.size
	}
	return e
}

func (n *node) isDir() bool { return n.typ == tar.TypeDir }

// sortedKids returns the names of a directory's entries in byte order.
func (n *node) sortedKids() []string {
	names := make([]string, 0, len(n.kids))
	for k := range n.kids {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Walk calls fn with every entry of the tree but the root, depth-first, the
// entries of each directory in byte order of their names.
func (t *Tree) Walk(fn func(Entry) error) error {
	var walk func(n *node) error
	walk = func(n *node) error {
		for _, k := range n.sortedKids() {
			c := n.kids[k]
			if err := fn(c.entry()); err != nil {
				return err
			}
			if c.isDir() {
				if err := walk(c); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(t.root)
}

// Each calls fn with every entry of the tree but the root, in no
// particular order: Walk without the sorting.
func (t *Tree) Each(fn func(Entry)) {
	var each func(n *node)
	each = func(n *node) {
		for _, c := range n.kids {
			fn(c.entry())
			if c.isDir() {
				each(c)
			}
		}
	}
	each(t.root)
}

// ReadFile returns the content of the regular file at p, symbolic links
// followed, reading at most max bytes (an error beyond).
func (t *Tree) ReadFile(ctx context.Context, p string, max int64) ([]byte, error) {
	rp, err := t.Resolve(path.Clean("/" + p))
	if err != nil {
		return nil, err
	}
	n := t.get(rp)
	switch {
	case n == nil:
		return nil, fmt.Errorf("reading %s: %w", p, errNotExist)
	case n.typ != tar.TypeReg || n.file == nil:
		return nil, fmt.Errorf("reading %s: not a regular file", p)
	case n.file.size > max:
		return nil, fmt.Errorf("reading %s: larger than %d bytes", p, max)
	}
	if err := t.fetch(ctx, []*fileData{n.file}); err != nil {
		return nil, err
	}
	rc, err := n.file.content.open(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return b, nil
}

// errNotExist is wrapped by errors about missing paths.
var errNotExist = errors.New("no such file or directory")

// IsNotExist reports whether err says that a path does not exist.
func IsNotExist(err error) bool { return errors.Is(err, errNotExist) }

// inlineContent is content held in memory.
type inlineContent []byte

func (c inlineContent) open(context.Context) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(string(c))), nil
}

// layerContent is a file of an image layer, read when first needed.
type layerContent struct {
	layer v1.Layer
	name  string // the entry's path in the layer, normalised
	read  content
}

func (c *layerContent) open(ctx context.Context) (io.ReadCloser, error) {
	if c.read == nil {
		return nil, fmt.Errorf("reading %s from a layer: its content was not fetched", c.name)
	}
	return c.read.open(ctx)
}

// ReadDir returns the entries of the directory p (symbolic links in p
// followed), in byte order of their names; nil when p is not a directory.
func (t *Tree) ReadDir(p string) []Entry {
	rp, err := t.Resolve(path.Clean("/" + p))
	if err != nil {
		return nil
	}
	n := t.get(rp)
	if n == nil || !n.isDir() {
		return nil
	}
	out := make([]Entry, 0, len(n.kids))
	for _, k := range n.sortedKids() {
		out = append(out, n.kids[k].entry())
	}
	return out
}
