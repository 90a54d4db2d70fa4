package layers

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// ReadIgnoreFile reads the patterns of dir/.dockerignore, for
// [WithIgnorePatterns]. Comments and blank lines are dropped, patterns are
// cleaned and leading slashes removed, as Docker does. A missing file gives
// no patterns and no error.
func ReadIgnoreFile(dir string) ([]string, error) {
	name := filepath.Join(dir, ".dockerignore")
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", name, err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", name, err)
	}
	return patterns, nil
}

// FromDir makes a layer holding the contents of dir under dest, an absolute
// image path such as "/var/task". See the package documentation for the
// order, headers and modes of its entries; the explicit parent directories of
// dest come first ("var/", then "var/task/").
//
// Symbolic links are stored as they are and never followed, wherever they
// point. Hard links are stored as independent regular files. Sockets, named
// pipes and devices are left out and reported by [Layer.Skipped], as are
// the paths [WithExclude] names.
//
// Ignore patterns ([WithIgnorePatterns]) are matched as Docker does: a
// directory they exclude is not even read, unless an exception ("!") pattern
// names a path inside it; a file re-included that way still gets its parent
// directories (0755). Exception patterns starting with a wildcard, such as
// "!**/keep", do not reach into excluded directories, as with Docker.
//
// Any file or directory that cannot be read is an error naming it. ctx is
// checked between files. On error no file is left behind.
func FromDir(ctx context.Context, dir, dest string, opts ...Option) (*Layer, error) {
	ls, err := FromDirSplit(ctx, dir, dest, nil, opts...)
	if err != nil {
		return nil, err
	}
	return ls[0], nil
}

// FromDirSplit is FromDir making several layers whose union is the one
// FromDir makes: first one layer per directory of splits (relative,
// slash-separated, e.g. "vendor"; a directory the app lacks, or ignores,
// gets no layer), then one layer with the rest. Each holds the explicit
// parents of its entries. A dependency directory that rarely changes thus
// gets a layer of its own, which registries and caches keep while the rest
// of the app changes. A path in several splits goes to the first. Skipped
// files are reported by the last layer.
//
// With [WithCache], a layer whose entries and contents are those of a
// cached one is not written again: the cached blob is used, after its
// digest is checked.
func FromDirSplit(ctx context.Context, dir, dest string, splits []string, opts ...Option) ([]*Layer, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	if !path.IsAbs(dest) {
		return nil, fmt.Errorf("layer destination %q is not absolute: use an image path such as \"/var/task\"", dest)
	}
	dest = path.Clean(dest)
	clean := make([]string, 0, len(splits))
	for _, sp := range splits {
		c := path.Clean(strings.TrimPrefix(filepath.ToSlash(sp), "/"))
		if c == "." || strings.HasPrefix(c, "../") || c == ".." {
			return nil, fmt.Errorf("layer split %q is not a directory inside the app: name one such as \"vendor\"", sp)
		}
		clean = append(clean, c)
	}
	root, err := appRoot(dir)
	if err != nil {
		return nil, err
	}
	d := &dirWalker{ctx: ctx, dir: dir, root: root, dest: dest, written: map[string]bool{".": true}, exclude: newExcluder(o.exclude)}
	if o.matcher != nil {
		d.ignore = &ignorer{pm: o.matcher}
	}
	d.writeDestParents()
	if err := d.walk(); err != nil {
		return nil, err
	}
	groups := splitItems(d.items, dest, clean)
	out := make([]*Layer, 0, len(groups))
	for i, g := range groups {
		var skipped []Skipped
		if i == len(groups)-1 {
			skipped = d.skipped
		}
		l, err := writeItems(ctx, d, g, skipped, o)
		if err != nil {
			for _, done := range out {
				done.Close()
			}
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// itemGroup is the items of one layer of FromDirSplit, and a name that
// identifies the group from one build to the next, for the cache.
type itemGroup struct {
	name  string
	items []item
}

// splitItems partitions items (in walk order, parents first) into one
// group per split that holds something, then the rest; every group starts
// with the destination's parents and keeps the directories above its split.
func splitItems(items []item, dest string, splits []string) []itemGroup {
	in := func(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }
	// group[i] is the group of items[i]: the split that owns it, or
	// len(splits) for the rest (the destination's parents are in every group).
	group := make([]int, len(items))
	sizes := make([]int, len(splits)+1)
	for i, it := range items {
		group[i] = len(splits)
		for j, sp := range splits {
			if it.rel != "" && in(it.rel, sp) {
				group[i] = j
				break
			}
		}
		sizes[group[i]]++
	}
	var groups []itemGroup
	for j, sp := range splits {
		if sizes[j] == 0 {
			continue
		}
		g := make([]item, 0, sizes[j]+strings.Count(dest, "/")+strings.Count(sp, "/")+1)
		for i, it := range items {
			switch {
			case it.rel == "" || group[i] == j:
				g = append(g, it)
			case it.typ == tar.TypeDir && strings.HasPrefix(sp, it.rel+"/"):
				g = append(g, it)
			}
		}
		groups = append(groups, itemGroup{name: "dir\x00" + dest + "\x00split\x00" + sp, items: g})
	}
	rest := make([]item, 0, sizes[len(splits)])
	for i, it := range items {
		if group[i] == len(splits) {
			rest = append(rest, it)
		}
	}
	return append(groups, itemGroup{name: "dir\x00" + dest + "\x00rest\x00" + strings.Join(splits, "\x00"), items: rest})
}

// item is an entry found by the walk, written later; kept small, as a big
// app has a hundred thousand of them.
type item struct {
	typ  byte
	mode int64
	size int64
	path string    // the image path, absolute and clean: "/var/task/x"
	link string    // a symbolic link's target
	rel  string    // relative to the app dir, slash-separated (the end of path); "" for the destination's parents
	file bool      // a regular file, read from root/rel
	st   statEntry // its stat at walk time, for regular files
}

// header is the tar header the item is written with.
func (it item) header() *tar.Header {
	return &tar.Header{Typeflag: it.typ, Name: tarName(it.path, it.typ == tar.TypeDir), Mode: it.mode, Size: it.size, Linkname: it.link}
}

// entry is the Entry the item is written as (see entryFromHeader).
func (it item) entry() Entry {
	return Entry{Path: it.path, Type: it.typ, Mode: it.mode, Size: it.size, Linkname: it.link}
}

// dirItem is a directory entry at an image path, 0755 and owned by root.
func dirItem(p, rel string) item {
	return item{typ: tar.TypeDir, path: p, mode: 0o755, rel: rel}
}

// newItem is an item of type typ at rel, its path and rel sharing one
// string.
func (d *dirWalker) newItem(typ byte, rel string) item {
	p := d.imagePathOf(rel)
	return item{typ: typ, path: p, rel: p[len(p)-len(rel):]}
}

// writeItems writes one layer of items, or takes it from the cache.
func writeItems(ctx context.Context, d *dirWalker, grp itemGroup, skipped []Skipped, o *options) (*Layer, error) {
	c, items := o.cache, grp.items
	if !c.usable() {
		l, _, err := writeLayerFile(ctx, d, items, skipped, o, o.tempDir)
		return l, err
	}
	g := c.group(d.root, grp.name)
	files := groupFiles(items)
	sk := statKey(items, o)
	if key, hit := g.keyFor(sk, files); hit {
		if l := c.lookup(key, o, itemEntries(items)); l != nil {
			l.skipped = skipped
			return l, nil
		}
	}
	if l := lookupItems(d, g, items, files, sk, o); l != nil {
		l.skipped = skipped
		return l, nil
	}
	l, fresh, err := writeLayerFile(ctx, d, items, skipped, o, c.tempDir())
	if isDiskError(err) {
		// The cache cannot be written (full, read-only): that costs speed
		// only. Build on without it, in the temporary directory.
		c.disable(err)
		l, _, err = writeLayerFile(ctx, d, items, skipped, o, o.tempDir)
		return l, err
	}
	if err != nil {
		return nil, err
	}
	sums := make([]string, len(files))
	for i, f := range files {
		sums[i] = fresh[f.rel]
	}
	g.remember(files, sums, true)
	key := layerKey(items, sums, o)
	c.store(key, l)
	g.saveKey(sk, key, files, sums)
	return l, nil
}

// itemEntries returns a function listing the entries of items.
func itemEntries(items []item) func() []Entry {
	return func() []Entry {
		entries := make([]Entry, len(items))
		for i, it := range items {
			entries[i] = it.entry()
		}
		return entries
	}
}

// groupFiles lists the regular files of items, in order, for the cache.
func groupFiles(items []item) []hostFile {
	n := 0
	for _, it := range items {
		if it.file {
			n++
		}
	}
	files := make([]hostFile, 0, n)
	for _, it := range items {
		if it.file {
			files = append(files, hostFile{rel: it.rel, st: it.st})
		}
	}
	return files
}

// lookupItems returns the cached layer of items, or nil, hashing the files
// whose stat changed; sk is the items' stat key.
func lookupItems(d *dirWalker, g *statGroup, items []item, files []hostFile, sk string, o *options) *Layer {
	// Files whose stat changed are hashed (not compressed) to look the
	// layer up; on a first build of the app everything is, so that is
	// left to the writing.
	sums, known := g.knownSums(files)
	if !known {
		return nil
	}
	hashed, err := hashMissing(d.root, files, sums)
	if err != nil {
		return nil // the write names the file
	}
	key := layerKey(items, sums, o)
	l := o.cache.lookup(key, o, itemEntries(items))
	if l == nil {
		return nil
	}
	g.remember(files, sums, hashed)
	g.saveKey(sk, key, files, sums)
	return l
}

// layerKey is the cache key of a layer of items: a hash of its format,
// options, entries and contents (sums: the content hash of each regular
// file, in order).
func layerKey(items []item, sums []string, o *options) string {
	k := newKeyHash()
	o.keyHeader(k, "dir")
	j := 0
	for _, it := range items {
		it.addKey(k)
		if it.file {
			k.str(sums[j])
			j++
		}
	}
	return k.sum()
}

// statKey is the stat key of a layer of items: a hash of its format,
// options, entries and the stat of each regular file.
func statKey(items []item, o *options) string {
	k := newKeyHash()
	o.keyHeader(k, "dir-stat")
	for _, it := range items {
		it.addKey(k)
		if it.file {
			addStat(k, it.st)
		}
	}
	return k.sum()
}

// addKey adds the item's entry to a key.
func (it item) addKey(k *keyHash) {
	k.num(int64(it.typ))
	k.str(it.path)
	k.num(it.mode)
	k.num(it.size)
	k.str(it.link)
}

// writeLayerFile writes one layer of items in dir, and returns the content
// hash of each regular file, by relative path. A failure to create or write
// the file in dir is a *diskError.
func writeLayerFile(ctx context.Context, d *dirWalker, items []item, skipped []Skipped, o *options, dir string) (*Layer, map[string]string, error) {
	w, err := newLayerWriter(o, dir)
	if err != nil {
		return nil, nil, err
	}
	fresh := map[string]string{}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			w.abort()
			return nil, nil, err
		}
		if !it.file {
			err = w.add(it.header(), nil)
		} else {
			err = d.addFile(w, it, fresh)
		}
		if err != nil {
			w.abort()
			return nil, nil, err
		}
	}
	w.skipped = skipped
	l, err := w.finish()
	return l, fresh, err
}

// appRoot checks that dir is a readable directory and returns the path to
// walk: dir itself, or its target when dir is a symbolic link.
func appRoot(dir string) (string, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("reading app directory %q: it does not exist: check the path", dir)
	case err != nil:
		return "", fmt.Errorf("reading app directory %q: %w", dir, unwrapPathError(err))
	case !info.IsDir():
		return "", fmt.Errorf("reading app directory %q: it is not a directory: give the directory holding the app", dir)
	}
	linfo, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("reading app directory %q: %w", dir, unwrapPathError(err))
	}
	if linfo.Mode()&fs.ModeSymlink == 0 {
		return dir, nil
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("resolving app directory %q: %w", dir, unwrapPathError(err))
	}
	return root, nil
}

type dirWalker struct {
	ctx     context.Context
	dir     string // as given, for messages
	root    string // what is walked
	dest    string
	items   []item
	skipped []Skipped
	ignore  *ignorer
	exclude excluder
	// written holds the directories (relative, slash-separated) already
	// written, so that the parents of a re-included file can be added.
	written map[string]bool
}

func (d *dirWalker) writeDestParents() {
	if d.dest == "/" {
		return
	}
	parts := strings.Split(strings.TrimPrefix(d.dest, "/"), "/")
	for i := range parts {
		d.items = append(d.items, dirItem("/"+strings.Join(parts[:i+1], "/"), ""))
	}
}

// imagePathOf returns the image path of rel, a slash-separated path
// relative to the directory.
func (d *dirWalker) imagePathOf(rel string) string {
	if d.dest == "/" {
		return "/" + rel
	}
	return d.dest + "/" + rel
}

// display returns the path of rel as the user gave it, for messages.
func (d *dirWalker) display(rel string) string {
	return filepath.Join(d.dir, filepath.FromSlash(rel))
}

// walk walks the directory, adding its entries to d.items in walk order.
func (d *dirWalker) walk() error {
	var match walkMatch
	if d.ignore != nil {
		match = d.ignore.match
	}
	entries, count, readErr, err := walkTree(d.ctx, d.root, match, d.exclude)
	d.items = slices.Grow(d.items, count)
	if err == nil && readErr != nil {
		err = readError("directory", d.display("."), readErr, "a+rx")
	}
	if err == nil {
		err = visitWalk(entries, d.visit)
	}
	return err
}

// visit adds an entry the walk found (readErr: a directory that could not
// be read).
func (d *dirWalker) visit(e *walkEntry, readErr error) error {
	rel := e.rel
	switch {
	case readErr != nil:
		return readError("directory", d.display(rel), readErr, "a+rx")
	case e.matchErr != nil:
		return fmt.Errorf("matching %q against .dockerignore patterns: %w", rel, e.matchErr)
	case e.ignored:
		return nil
	case e.statErr != nil:
		return readError("file", d.display(rel), e.statErr, "a+r")
	}
	if d.exclude.excludesStat(e.st) {
		d.skipped = append(d.skipped, Skipped{Path: rel, Reason: excludedReason, Excluded: true})
		return nil
	}
	mode := e.st.mode
	switch {
	case mode.IsDir():
		d.addParents(rel)
		d.written[rel] = true
		it := d.newItem(tar.TypeDir, rel)
		it.mode = 0o755
		d.items = append(d.items, it)
		return nil
	case mode.IsRegular():
		d.addParents(rel)
		fileMode := int64(0o644)
		if mode.Perm()&0o100 != 0 {
			fileMode = 0o755
		}
		it := d.newItem(tar.TypeReg, rel)
		it.mode, it.size, it.file, it.st = fileMode, e.st.st.Size, true, e.st.st
		d.items = append(d.items, it)
		return nil
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(filepath.Join(d.root, filepath.FromSlash(rel)))
		if err != nil {
			return readError("symbolic link", d.display(rel), err, "a+r")
		}
		d.addParents(rel)
		it := d.newItem(tar.TypeSymlink, rel)
		it.link, it.mode = target, 0o777
		d.items = append(d.items, it)
		return nil
	}
	d.skipped = append(d.skipped, Skipped{Path: rel, Reason: skipReason(mode)})
	return nil
}

// addParents writes the directories above rel that were not written because
// ignore patterns excluded them, top-down.
func (d *dirWalker) addParents(rel string) {
	var missing []string
	for p := path.Dir(rel); !d.written[p]; p = path.Dir(p) {
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d.items = append(d.items, dirItem(d.imagePathOf(missing[i]), missing[i]))
		d.written[missing[i]] = true
	}
}

// addFile writes a regular file found by the walk, hashing its content into
// sums (by relative path) for the cache. A file that is no longer the one
// the walk saw (another type, another size) fails the layer, naming it.
func (d *dirWalker) addFile(w *layerWriter, it item, sums map[string]string) error {
	f, err := os.Open(filepath.Join(d.root, filepath.FromSlash(it.rel)))
	if err != nil {
		return readError("file", d.display(it.rel), err, "a+r")
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return readError("file", d.display(it.rel), err, "a+r")
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("reading app file %q: it changed while being read: build again", d.display(it.rel))
	}
	h := sha256.New()
	err = w.add(it.header(), &teeFile{File: f, h: h})
	if ce := (*contentError)(nil); errors.As(err, &ce) {
		return readError("file", d.display(it.rel), ce.err, "a+r")
	}
	if err == nil {
		sums[it.rel] = hex.EncodeToString(h.Sum(nil))
	}
	return err
}

// teeFile hashes what is read from a file; it stays an *os.File for add's
// check that the file did not grow.
type teeFile struct {
	*os.File
	h hash.Hash
}

func (t *teeFile) Read(p []byte) (int, error) {
	n, err := t.File.Read(p)
	t.h.Write(p[:n])
	return n, err
}

func skipReason(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeSocket != 0:
		return "socket: cannot be stored in an image"
	case mode&fs.ModeNamedPipe != 0:
		return "named pipe: cannot be stored in an image"
	case mode&fs.ModeCharDevice != 0:
		return "character device: cannot be stored in an image"
	case mode&fs.ModeDevice != 0:
		return "device: cannot be stored in an image"
	}
	return fmt.Sprintf("file of type %s: cannot be stored in an image", mode.Type())
}

// readError says which file could not be read and, for a permission
// problem, what to do.
func readError(kind, name string, err error, chmod string) error {
	err = unwrapPathError(err)
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("reading app %s %q: %w: make it readable (chmod %s) or list it in .dockerignore", kind, name, err, chmod)
	}
	return fmt.Errorf("reading app %s %q: %w", kind, name, err)
}

// unwrapPathError drops the *fs.PathError around err: the callers name the
// path themselves, relative to what the user gave.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ignorer applies .dockerignore patterns during a walk, as Docker's
// pkg/archive TarWithOptions does: the match results of the enclosing
// directories are kept on a stack and passed to MatchesUsingParentResults.
type ignorer struct {
	pm         *patternmatcher.PatternMatcher
	parentDirs []string
	parentInfo []patternmatcher.MatchInfo
}

// excluded reports whether rel (relative to the directory, OS separators)
// is excluded. Paths must come in walk order.
func (ig *ignorer) excluded(rel string, isDir bool) (bool, error) {
	for len(ig.parentDirs) > 0 {
		last := ig.parentDirs[len(ig.parentDirs)-1]
		if strings.HasPrefix(rel, last+string(filepath.Separator)) {
			break
		}
		ig.parentDirs = ig.parentDirs[:len(ig.parentDirs)-1]
		ig.parentInfo = ig.parentInfo[:len(ig.parentInfo)-1]
	}
	var parent patternmatcher.MatchInfo
	if n := len(ig.parentInfo); n > 0 {
		parent = ig.parentInfo[n-1]
	}
	skip, info, err := ig.pm.MatchesUsingParentResults(rel, parent)
	if err != nil {
		return false, err
	}
	if isDir {
		ig.parentDirs = append(ig.parentDirs, rel)
		ig.parentInfo = append(ig.parentInfo, info)
	}
	return skip, nil
}

// match is excluded as a walk asks it (see walkMatch): an excluded
// directory is walked into when an exception pattern may re-include
// something inside it.
func (ig *ignorer) match(rel string, isDir bool) (ignored, walkInside bool, err error) {
	skip, err := ig.excluded(rel, isDir)
	if err != nil {
		return false, false, err
	}
	return skip, isDir && (!skip || ig.mayReinclude(rel)), nil
}

// mayReinclude reports whether an exception pattern could match inside the
// excluded directory rel, so that it must be walked: Docker's check, an
// exception pattern that starts with rel + "/".
func (ig *ignorer) mayReinclude(rel string) bool {
	if !ig.pm.Exclusions() {
		return false
	}
	dirSlash := rel + string(filepath.Separator)
	for _, p := range ig.pm.Patterns() {
		if p.Exclusion() && strings.HasPrefix(p.String()+string(filepath.Separator), dirSlash) {
			return true
		}
	}
	return false
}
