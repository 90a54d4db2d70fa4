package layers

import (
	"archive/tar"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/patternmatcher"
)

// InlineFile is a file whose content a Dockerfile gives, such as a heredoc
// (COPY <<EOF /etc/app.ini).
type InlineFile struct {
	// Name is the file's name (the heredoc's word, e.g. "EOF").
	Name string
	// Data is its content.
	Data []byte
}

// CopyOp is a Dockerfile COPY or ADD for [Tree.Copy], already expanded:
// every path is final.
type CopyOp struct {
	// Sources are paths or globs (path.Match syntax, as BuildKit uses it)
	// in the tree copied from, absolute or relative to its root: "." and
	// "/" name the root, e.g. the whole build context.
	Sources []string
	// Files are heredoc files, copied after Sources.
	Files []InlineFile
	// Dest is the absolute destination; a trailing "/" makes it a
	// directory. Several sources need one.
	Dest string
	// Owner, when set, owns every copied entry and every directory the
	// copy creates (--chown); otherwise copied entries keep their source
	// owner (root for the build context and heredocs).
	Owner *Owner
	// Chmod is --chmod: an octal mode or a symbolic one ([ParseChmod]),
	// applied to copied files and directories alike; "" keeps the source
	// modes.
	Chmod string
	// Unpack extracts local tar archives (gzip, bzip2 or uncompressed)
	// into Dest instead of copying them, as ADD does.
	Unpack bool
	// Parents keeps the source paths under Dest (--parents); a "/./" in
	// a source marks where the kept part starts.
	Parents bool
	// Exclude holds --exclude patterns, matched against the paths inside
	// each copied directory.
	Exclude []string
	// Link copies onto an empty tree and stacks the result on top, as
	// --link does (ignored with Chmod, as BuildKit ignores it).
	Link bool
}

// Change is what [Tree.Copy], [Tree.Mkdir] or [Tree.Overlay] wrote: the
// paths of the entries created or changed, for [Tree.WriteLayer].
type Change struct {
	// order holds the paths in the order they were first recorded; sorted
	// says that is depth-first order (see comparePaths), as a copy of one
	// source records them, so that they need no sorting.
	order  []string
	sorted bool
	// set holds the paths once one came out of order (until then, a path
	// after every other is new).
	set map[string]bool
}

// newChange returns an empty Change.
func newChange() *Change { return &Change{sorted: true} }

// add records p as changed; the root is never recorded.
func (c *Change) add(p string) {
	if p == "/" {
		return
	}
	n := len(c.order)
	if c.set == nil {
		if n == 0 || comparePaths(c.order[n-1], p) < 0 {
			c.order = append(c.order, p)
			return
		}
		if c.order[n-1] == p {
			return
		}
		c.set = make(map[string]bool, n+1)
		for _, q := range c.order {
			c.set[q] = true
		}
	}
	if c.set[p] {
		return
	}
	c.set[p] = true
	if comparePaths(c.order[n-1], p) >= 0 {
		c.sorted = false
	}
	c.order = append(c.order, p)
}

// Paths returns the changed paths, depth-first, siblings in byte order.
func (c *Change) Paths() []string {
	out := slices.Clone(c.order)
	if !c.sorted {
		slices.SortFunc(out, comparePaths)
	}
	return out
}

// Empty reports whether nothing changed.
func (c *Change) Empty() bool { return len(c.order) == 0 }

// copier applies one CopyOp, mirroring BuildKit's file copier
// (tonistiigi/fsutil/copy) step by step.
type copier struct {
	ctx        context.Context
	dst        *Tree
	owner      *Owner
	chmod      *chmod
	include    *patternmatcher.PatternMatcher
	exclude    *patternmatcher.PatternMatcher
	change     *Change
	parentDirs []parentDir
}

// copyOf returns the copy this copier made of a source file's content,
// making it the first time: hard links copied together stay hard links,
// and nothing else is one. (The source remembers its copy, and by which
// copier: no map of every file copied.)
func (c *copier) copyOf(src *fileData) *fileData {
	if src == nil {
		return nil
	}
	if src.copiedBy != c || src.copy == nil {
		src.copiedBy, src.copy = c, &fileData{size: src.size, content: src.content}
	}
	return src.copy
}

// parentDir is a directory above the entry being copied, and whether it
// was copied yet (--parents holds back excluded ones).
type parentDir struct {
	src    *Tree
	srcP   string
	dstP   string
	copied bool
}

// Copy applies a COPY or ADD to t, copying from the tree from, with
// BuildKit's semantics:
//
//   - a source directory copies its contents; a source file named by a
//     glob or a path goes into Dest when Dest is an existing directory or
//     ends with "/", else becomes Dest;
//   - symbolic links in the source paths and in Dest are followed inside
//     their trees; a glob matching nothing copies nothing;
//   - missing parent directories of Dest are created 0755, owned by
//     Owner or root; existing ones keep their owner and mode, except the
//     directories a copied directory merges into, which take the copied
//     directory's owner and mode;
//   - copied entries keep their modes (Chmod aside) and owners (Owner
//     aside); a file replaces a file or link but never a directory, and a
//     directory never replaces a file or link.
//
// The error names the source or destination at fault. On error t may hold
// part of the copy.
func (t *Tree) Copy(ctx context.Context, from *Tree, op CopyOp) (*Change, error) {
	if !path.IsAbs(op.Dest) {
		return nil, fmt.Errorf("destination %q is not absolute", op.Dest)
	}
	c, err := newCopier(ctx, t, op)
	if err != nil {
		return nil, err
	}
	jobs, err := copyJobs(t, from, op)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c.include = j.include
		if err := c.copyOne(j.src, j.p, j.display, op.Dest, op.Unpack && j.src == from); err != nil {
			return nil, err
		}
	}
	if !linkCopy(op) {
		return c.change, nil
	}
	ch := newChange()
	t.overlayTree(c.dst, ch)
	return ch, nil
}

// linkCopy reports whether op copies onto an empty tree stacked on top
// afterwards (--link, which BuildKit ignores with --chmod).
func linkCopy(op CopyOp) bool { return op.Link && op.Chmod == "" }

// newCopier prepares the copier of op into t: its --chmod and --exclude
// parsed, and an empty destination tree for --link.
func newCopier(ctx context.Context, t *Tree, op CopyOp) (*copier, error) {
	c := &copier{ctx: ctx, dst: t, owner: op.Owner, change: newChange()}
	if op.Chmod != "" {
		cm, err := parseChmod(op.Chmod)
		if err != nil {
			return nil, err
		}
		c.chmod = cm
	}
	if len(op.Exclude) > 0 {
		pm, err := patternmatcher.New(op.Exclude)
		if err != nil {
			return nil, fmt.Errorf("parsing --exclude patterns: %w", err)
		}
		c.exclude = pm
	}
	if linkCopy(op) {
		c.dst = &Tree{root: newDir("/", 0o755, 0, 0), spool: t.spool}
	}
	return c, nil
}

// copyJob is one source of a copy, resolved.
type copyJob struct {
	src     *Tree
	p       string
	display string // the source as the Dockerfile names it, for errors
	include *patternmatcher.PatternMatcher
}

// copyJobs lists what op copies from the tree from into t: its sources
// (globs expanded), then its heredoc files. Several sources need a
// destination ending with "/".
func copyJobs(t, from *Tree, op CopyOp) ([]copyJob, error) {
	var jobs []copyJob
	for _, s := range op.Sources {
		js, err := sourceJobs(from, s, op.Parents)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
	}
	for _, f := range op.Files {
		j, err := heredocJob(t, f)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	if len(jobs) > 1 && !strings.HasSuffix(op.Dest, "/") {
		return nil, fmt.Errorf("%d sources are copied to %s: end the destination with \"/\" to copy them into a directory", len(jobs), op.Dest)
	}
	return jobs, nil
}

// sourceJobs lists what the source s of from copies: with parents
// (--parents) one job with its include pattern, otherwise one job per
// path the glob s matches.
func sourceJobs(from *Tree, s string, parents bool) ([]copyJob, error) {
	if parents {
		j, err := parentsJob(from, s)
		if err != nil {
			return nil, err
		}
		return []copyJob{{src: from, p: j.src, display: s, include: j.include}}, nil
	}
	matches, err := from.glob(s)
	if err != nil {
		return nil, err
	}
	var jobs []copyJob
	for _, m := range matches {
		display := m
		if len(matches) == 1 && !containsWildcards(s) {
			display = s
		}
		jobs = append(jobs, copyJob{src: from, p: m, display: display})
	}
	return jobs, nil
}

// heredocJob makes the heredoc file f a job: a tree of its own holding
// only f, 0644 and owned by root, spooled like t.
func heredocJob(t *Tree, f InlineFile) (copyJob, error) {
	name := path.Join("/", f.Name)
	if name == "/" {
		return copyJob{}, fmt.Errorf("heredoc %q has no file name", f.Name)
	}
	src := &Tree{root: newDir("/", 0o755, 0, 0), spool: t.spool}
	src.ensureParents(name)
	n := &node{path: name, typ: tar.TypeReg, mode: 0o644, file: &fileData{size: int64(len(f.Data)), content: inlineContent(f.Data)}}
	if err := src.put(n); err != nil {
		return copyJob{}, err
	}
	return copyJob{src: src, p: name, display: "<<" + f.Name}, nil
}

// parentsSource is what a --parents source copies: a directory, and the
// include pattern for the paths kept under it.
type parentsSource struct {
	src     string
	include *patternmatcher.PatternMatcher
}

// parentsJob resolves the --parents source s of from: the directory
// before its "/./" (the root when it has none) and the pattern after it.
func parentsJob(from *Tree, s string) (parentsSource, error) {
	src, pattern, ok := strings.Cut(s, "/./")
	if !ok {
		pattern, src = s, "/"
	}
	pattern = strings.TrimPrefix(path.Join("/", pattern), "/")
	src = path.Join("/", src)
	if !containsWildcards(src) && !containsWildcards(pattern) {
		if _, err := from.Lstat(path.Join(src, pattern)); err != nil {
			return parentsSource{}, fmt.Errorf("%s: %w", path.Join(src, pattern), errNotExist)
		}
	}
	pm, err := patternmatcher.New([]string{pattern})
	if err != nil {
		return parentsSource{}, fmt.Errorf("source %q: %w", s, err)
	}
	return parentsSource{src: src, include: pm}, nil
}

// Lstat returns the entry at p (symbolic links in parent directories are
// followed) or an error wrapping the not-exist error.
func (t *Tree) Lstat(p string) (Entry, error) {
	e, ok := t.Lookup(p)
	if !ok {
		return Entry{}, fmt.Errorf("%s: %w", p, errNotExist)
	}
	return e, nil
}

// containsWildcards reports whether a path holds glob characters, a
// backslash escaping the next one.
func containsWildcards(name string) bool {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// splitWildcards splits p at the first component holding a glob
// character: the literal directory before it, and the pattern from it on.
func splitWildcards(p string) (dir, pattern string) {
	var d, pat []string
	found := false
	for _, c := range strings.Split(p, "/") {
		if !found && containsWildcards(c) {
			found = true
		}
		if found {
			pat = append(pat, c)
		} else {
			d = append(d, c)
		}
	}
	return path.Join("/", path.Join(d...)), path.Join(pat...)
}

// glob returns the paths p names in t: p itself when it holds no glob
// character; otherwise every path under the literal part whose relative
// path matches the pattern, a matching directory not being searched
// further, in walk order. A glob matching nothing returns nothing.
func (t *Tree) glob(p string) ([]string, error) {
	p = path.Join("/", p)
	dir, pattern := splitWildcards(p)
	if pattern == "" {
		return []string{p}, nil
	}
	base, err := t.Resolve(dir)
	if err != nil {
		return nil, err
	}
	n := t.get(base)
	if n == nil {
		return nil, fmt.Errorf("%s: %w", dir, errNotExist)
	}
	var out []string
	var walk func(n *node, rel string)
	walk = func(n *node, rel string) {
		for _, k := range n.sortedKids() {
			c := n.kids[k]
			r := path.Join(rel, k)
			if ok, _ := path.Match(pattern, r); ok {
				out = append(out, c.path)
				continue
			}
			if c.isDir() {
				walk(c, r)
			}
		}
	}
	if n.isDir() {
		walk(n, "")
	}
	return out, nil
}

// copyOne copies the source s of src to dest, as fsutil's Copy does;
// display names s in errors.
func (c *copier) copyOne(src *Tree, s, display, dest string, unpack bool) error {
	if unpack {
		done, err := c.tryUnpack(src, s, dest)
		if err != nil || done {
			return err
		}
	}
	ensure := dest
	if d, f := path.Split(dest); f != "" && f != "." {
		ensure = d
	}
	if ensure != "" {
		p, err := c.dst.Resolve(ensure)
		if err != nil {
			return err
		}
		if err := c.mkdirAll(p); err != nil {
			return err
		}
	}
	dst, err := c.dst.Resolve(path.Clean(dest))
	if err != nil {
		return err
	}
	srcFollowed, err := src.Resolve(path.Join("/", s))
	if err != nil {
		return err
	}
	fi := src.get(srcFollowed)
	if fi == nil {
		return fmt.Errorf("%s: %w", display, errNotExist)
	}
	fiDest := c.dst.get(dst)
	dstPath := dst
	if !fi.isDir() && fiDest != nil && fiDest.isDir() {
		dstPath = path.Join(dst, path.Base(path.Join("/", s)))
	}
	targetDir := path.Dir(dstPath)
	if fi.isDir() && fiDest == nil {
		targetDir = dstPath
	}
	if err := c.mkdirAll(targetDir); err != nil {
		return err
	}
	return c.copy(src, nil, srcFollowed, "", dstPath, nil, false, patternmatcher.MatchInfo{}, patternmatcher.MatchInfo{})
}

// mkdirAll creates the missing directories of p (already resolved), 0755
// and owned by the copy's owner or root, as fsutil's MkdirAll does.
func (c *copier) mkdirAll(p string) error {
	cur := c.dst.root
	for _, comp := range components(p) {
		np := path.Join(cur.path, comp)
		next := cur.kids[comp]
		switch {
		case next == nil:
			uid, gid := 0, 0
			if c.owner != nil {
				uid, gid = c.owner.UID, c.owner.GID
			}
			next = newDir(np, 0o755, uid, gid)
			cur.kids[comp] = next
			c.change.add(np)
		case next.typ == tar.TypeSymlink:
			rp, err := c.dst.Resolve(np)
			if err != nil {
				return err
			}
			if n := c.dst.get(rp); n != nil && n.isDir() {
				next = n
				break
			}
			return fmt.Errorf("cannot create directory %s: %s is a symbolic link to %s, which is not a directory", p, np, rp)
		case !next.isDir():
			return fmt.Errorf("cannot create directory %s: %s is not a directory", p, np)
		}
		cur = next
	}
	return nil
}

// copy copies the entry sp of src (fi, when the caller has it) to target,
// and a directory's contents after it; dir is the destination directory
// holding target, when the caller has it (else it is looked up). overwrite
// says whether an existing directory at target takes the source's metadata
// (true for everything below the top level).
func (c *copier) copy(src *Tree, fi *node, sp, comps, target string, dir *node, overwrite bool, parentInc, parentExc patternmatcher.MatchInfo) error {
	if fi == nil {
		if fi = src.get(sp); fi == nil {
			return fmt.Errorf("%s: %w", sp, errNotExist)
		}
	}
	include := true
	var incInfo, excInfo patternmatcher.MatchInfo
	if comps != "" {
		if c.include != nil {
			m, info, err := c.include.MatchesUsingParentResults(comps, parentInc)
			if err != nil {
				return fmt.Errorf("matching %s: %w", comps, err)
			}
			include, incInfo = m, info
		}
		if c.exclude != nil {
			m, info, err := c.exclude.MatchesUsingParentResults(comps, parentExc)
			if err != nil {
				return fmt.Errorf("matching %s: %w", comps, err)
			}
			excInfo = info
			if m {
				include = false
			}
		}
	}
	if include {
		if err := c.createParentDirs(overwrite); err != nil {
			return err
		}
	}
	if !fi.isDir() {
		if !include {
			return nil
		}
		if tn := c.dstChild(dir, target); tn != nil {
			if tn.isDir() {
				return fmt.Errorf("cannot replace the directory %s with a file", target)
			}
			c.removeChild(dir, target)
		}
	}
	copyInfo := include
	if include && fi.isDir() {
		// Before its entries, so that the change stays in depth-first order.
		c.change.add(target)
	}
	var n *node
	switch {
	case fi.isDir():
		created, err := c.copyDirectory(src, sp, comps, target, fi, dir, overwrite, include, incInfo, excInfo)
		if err != nil {
			return err
		}
		if !overwrite {
			copyInfo = created
		}
		if copyInfo {
			n = c.dstChild(dir, target)
		}
	case fi.typ == tar.TypeReg:
		fd := c.copyOf(fi.file)
		n = &node{path: target, typ: tar.TypeReg, mode: fi.mode, file: fd}
	case fi.typ == tar.TypeSymlink:
		n = &node{path: target, typ: tar.TypeSymlink, mode: 0o777, linkname: fi.linkname}
	default:
		n = &node{path: target, typ: fi.typ, mode: fi.mode, devmajor: fi.devmajor, devminor: fi.devminor}
	}
	if !fi.isDir() {
		if err := c.putChild(dir, n); err != nil {
			return err
		}
	}
	if copyInfo {
		c.applyInfo(fi, n)
	}
	if include && !fi.isDir() {
		c.change.add(target) // a directory was, before its entries
	}
	return nil
}

// dstChild returns the destination's entry at target; dir, when not nil,
// is the directory holding it.
func (c *copier) dstChild(dir *node, target string) *node {
	if dir != nil {
		return dir.kids[path.Base(target)]
	}
	return c.dst.get(target)
}

// putChild sets n in the destination; dir, when not nil, is the directory
// holding it.
func (c *copier) putChild(dir *node, n *node) error {
	if dir != nil {
		dir.kids[path.Base(n.path)] = n
		return nil
	}
	return c.dst.put(n)
}

// removeChild removes the destination's entry at target; dir, when not
// nil, is the directory holding it.
func (c *copier) removeChild(dir *node, target string) {
	if dir != nil {
		delete(dir.kids, path.Base(target))
		return
	}
	c.dst.remove(target)
}

// copyDirectory copies the directory fi (sp in src) to dst (in the
// directory above, when not nil), when include is set, then its entries in
// byte order; it reports whether it created dst.
func (c *copier) copyDirectory(src *Tree, sp, comps, dst string, fi, above *node, overwrite, include bool, incInfo, excInfo patternmatcher.MatchInfo) (bool, error) {
	created := false
	pd := parentDir{src: src, srcP: sp, dstP: dst}
	var dir *node
	if include {
		var err error
		created, dir, err = c.copyDirectoryOnly(dst, fi, above, overwrite)
		if err != nil {
			return false, err
		}
		pd.copied = true
	}
	c.parentDirs = append(c.parentDirs, pd)
	defer func() { c.parentDirs = c.parentDirs[:len(c.parentDirs)-1] }()
	patterns := c.include != nil || c.exclude != nil
	for _, name := range fi.sortedKids() {
		if err := c.ctx.Err(); err != nil {
			return false, err
		}
		kid := fi.kids[name]
		// The source path is needed for directories only, and the path
		// matched against patterns only with patterns (else its being set
		// is all that counts).
		kidSP, kidComps := "", name
		if kid.isDir() {
			kidSP = path.Join(sp, name)
		}
		if patterns {
			kidComps = path.Join(comps, name)
		}
		if err := c.copy(src, kid, kidSP, kidComps, joinName(dst, name), dir, true, incInfo, excInfo); err != nil {
			return false, err
		}
	}
	return created, nil
}

// joinName is path.Join(dir, name) for a clean absolute dir and a name
// of a directory entry (no slash, not "." or ".."), without cleaning.
func joinName(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// copyDirectoryOnly makes dst (in the directory above, when not nil) a
// directory: a new one (the source's mode, fixed by copyFileInfo) or an
// existing one, which takes the source's mode when overwrite is set. It
// returns the directory, and whether it created it.
func (c *copier) copyDirectoryOnly(dst string, fi, above *node, overwrite bool) (bool, *node, error) {
	n := c.dstChild(above, dst)
	if n == nil {
		n = newDir(dst, fi.mode, 0, 0)
		if err := c.putChild(above, n); err != nil {
			return false, nil, err
		}
		return true, n, nil
	}
	if !n.isDir() {
		return false, nil, fmt.Errorf("cannot copy a directory to %s: it exists and is not a directory", dst)
	}
	if overwrite {
		n.mode = fi.mode
	}
	return false, n, nil
}

// createParentDirs creates the directories above an included entry that
// include patterns held back (--parents).
func (c *copier) createParentDirs(overwrite bool) error {
	for i := range c.parentDirs {
		pd := &c.parentDirs[i]
		if pd.copied {
			continue
		}
		fi := pd.src.get(pd.srcP)
		created, _, err := c.copyDirectoryOnly(pd.dstP, fi, nil, overwrite)
		if err != nil {
			return err
		}
		if created {
			c.copyFileInfo(fi, pd.dstP)
		}
		pd.copied = true
		c.change.add(pd.dstP)
	}
	return nil
}

// copyFileInfo gives target the owner and mode of its source fi, with
// --chown and --chmod applied. Links keep mode 0777.
func (c *copier) copyFileInfo(fi *node, target string) {
	c.applyInfo(fi, c.dst.get(target))
}

// applyInfo gives n (nil: nothing) the owner and mode of its source fi, as
// copyFileInfo does.
func (c *copier) applyInfo(fi, n *node) {
	if n == nil {
		return
	}
	n.uid, n.gid = fi.uid, fi.gid
	if c.owner != nil {
		n.uid, n.gid = c.owner.UID, c.owner.GID
	}
	if n.typ == tar.TypeSymlink {
		return
	}
	m := fi.mode
	if c.chmod != nil {
		m = c.chmod.apply(m, fi.isDir())
	}
	n.mode = m
}

// overlayTree stacks up on top of t, as a layer holding every entry of up
// would be: directories over directories take the new metadata and keep
// their contents; anything else replaces what was there.
func (t *Tree) overlayTree(up *Tree, ch *Change) {
	var walk func(n *node)
	walk = func(n *node) {
		for _, k := range n.sortedKids() {
			u := n.kids[k]
			old := t.get(u.path)
			if u.isDir() {
				if old != nil && old.isDir() {
					old.mode, old.uid, old.gid = u.mode, u.uid, u.gid
				} else {
					t.ensureParents(u.path)
					t.get(path.Dir(u.path)).kids[k] = newDir(u.path, u.mode, u.uid, u.gid)
				}
				ch.add(u.path)
				walk(u)
				continue
			}
			t.ensureParents(u.path)
			m := *u
			t.get(path.Dir(u.path)).kids[k] = &m
			ch.add(u.path)
		}
	}
	walk(up.root)
}

// Mkdir creates the directory p and its missing parents, as WORKDIR does:
// 0755, owned by owner (nil: root). Symbolic links in p are followed.
// Nothing changes when p is a directory already.
func (t *Tree) Mkdir(p string, owner *Owner) (*Change, error) {
	rp, err := t.Resolve(path.Join("/", p))
	if err != nil {
		return nil, err
	}
	c := &copier{dst: t, owner: owner, change: newChange()}
	if err := c.mkdirAll(rp); err != nil {
		return nil, err
	}
	return c.change, nil
}

// OverlayLayer applies layer i (l) of the image the tree from was read
// from ([ReadTree]) to t, as a container runtime stacks the layer on top
// of it (whiteouts included), and returns what changed. Contents come from
// what ReadTree kept of the layer, else from l when a layer holding them
// is written.
func (t *Tree) OverlayLayer(from *Tree, i int, l v1.Layer) *Change {
	ch := newChange()
	if i < 0 || i >= len(from.layerEntries) {
		return ch
	}
	var whiteouts, opaques []string
	var kept []int
	for j, e := range from.layerEntries[i] {
		var wh bool
		if opaques, whiteouts, wh = collectWhiteout(e.Path, opaques, whiteouts); !wh {
			kept = append(kept, j)
		}
	}
	t.applyWhiteouts(opaques, whiteouts)
	for _, j := range kept {
		e := from.layerEntries[i][j]
		hdr := &tar.Header{Typeflag: e.Type, Mode: e.Mode, Uid: e.UID, Gid: e.GID, Size: e.Size, Linkname: e.Linkname}
		var c content = &layerContent{layer: l, name: e.Path}
		if kc, ok := from.captured[i][j]; ok {
			c = kc
		}
		ch.add(t.applyHeader(e.Path, hdr, c))
	}
	return ch
}
