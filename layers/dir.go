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
	if err := filepath.WalkDir(root, d.visit); err != nil {
		return nil, err
	}
	groups := splitItems(d.items, clean)
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

// splitItems partitions items (in walk order, parents first) into one
// group per split that holds something, then the rest; every group starts
// with the destination's parents and keeps the directories above its split.
func splitItems(items []item, splits []string) [][]item {
	in := func(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }
	owner := func(rel string) int {
		for i, sp := range splits {
			if in(rel, sp) {
				return i
			}
		}
		return -1
	}
	var groups [][]item
	for i, sp := range splits {
		var g []item
		has := false
		for _, it := range items {
			switch {
			case it.rel == "":
				g = append(g, it)
			case owner(it.rel) == i:
				g = append(g, it)
				has = true
			case it.typ == tar.TypeDir && strings.HasPrefix(sp, it.rel+"/"):
				g = append(g, it)
			}
		}
		if has {
			groups = append(groups, g)
		}
	}
	var rest []item
	for _, it := range items {
		if it.rel == "" || owner(it.rel) < 0 {
			rest = append(rest, it)
		}
	}
	return append(groups, rest)
}

// item is an entry found by the walk, written later; kept small, as a big
// app has a hundred thousand of them.
type item struct {
	typ  byte
	mode int64
	size int64
	name string    // the tar name
	link string    // a symbolic link's target
	rel  string    // relative to the app dir, slash-separated; "" for the destination's parents
	file bool      // a regular file, read from root/rel
	st   statEntry // its stat at walk time, for regular files
}

// header is the tar header the item is written with.
func (it item) header() *tar.Header {
	return &tar.Header{Typeflag: it.typ, Name: it.name, Mode: it.mode, Size: it.size, Linkname: it.link}
}

// dirItem is a directory entry at an image path, 0755 and owned by root.
func dirItem(p, rel string) item {
	return item{typ: tar.TypeDir, name: tarName(p, true), mode: 0o755, rel: rel}
}

// writeItems writes one layer of items, or takes it from the cache.
func writeItems(ctx context.Context, d *dirWalker, items []item, skipped []Skipped, o *options) (*Layer, error) {
	c := o.cache
	if c.usable() {
		if l := lookupItems(d, items, skipped, o); l != nil {
			return l, nil
		}
	}
	if !c.usable() {
		l, _, err := writeLayerFile(ctx, d, items, skipped, o, o.tempDir)
		return l, err
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
	c.remember(d.root, items, fresh, true)
	c.store(layerKey(items, fresh, o), l)
	return l, nil
}

// lookupItems returns the cached layer of items, or nil.
func lookupItems(d *dirWalker, items []item, skipped []Skipped, o *options) *Layer {
	// Files whose stat changed are hashed (not compressed) to look the
	// layer up; on a first build of the app everything is, so that is
	// left to the writing.
	sums, known := o.cache.knownSums(d.root, items)
	if !known {
		return nil
	}
	hashed := false
	for _, it := range items {
		if _, ok := sums[it.rel]; !it.file || ok {
			continue
		}
		sum, err := hashFile(filepath.Join(d.root, filepath.FromSlash(it.rel)))
		if err != nil {
			return nil // the write names the file
		}
		sums[it.rel], hashed = sum, true
	}
	l := o.cache.lookup(layerKey(items, sums, o), items, o)
	if l == nil {
		return nil
	}
	o.cache.remember(d.root, items, sums, hashed)
	l.skipped = skipped
	return l
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
	return path.Join(d.dest, rel)
}

// display returns the path of rel as the user gave it, for messages.
func (d *dirWalker) display(rel string) string {
	return filepath.Join(d.dir, filepath.FromSlash(rel))
}

func (d *dirWalker) visit(p string, de fs.DirEntry, walkErr error) error {
	if err := d.ctx.Err(); err != nil {
		return err
	}
	relOS, err := filepath.Rel(d.root, p)
	if err != nil {
		return fmt.Errorf("reading app file %q: %w", p, err)
	}
	rel := filepath.ToSlash(relOS)
	if walkErr != nil {
		if de != nil && de.IsDir() {
			return readError("directory", d.display(rel), walkErr, "a+rx")
		}
		return readError("file", d.display(rel), walkErr, "a+r")
	}
	if rel == "." {
		return nil
	}

	if d.ignore != nil {
		skip, err := d.ignore.excluded(relOS, de.IsDir())
		if err != nil {
			return fmt.Errorf("matching %q against .dockerignore patterns: %w", rel, err)
		}
		if skip {
			if de.IsDir() && !d.ignore.mayReinclude(relOS) {
				return filepath.SkipDir
			}
			return nil
		}
	}

	info, err := de.Info()
	if err != nil {
		return readError("file", d.display(rel), err, "a+r")
	}
	if d.exclude.excludes(info) {
		d.skipped = append(d.skipped, Skipped{Path: rel, Reason: excludedReason, Excluded: true})
		if info.IsDir() {
			return filepath.SkipDir
		}
		return nil
	}
	mode := info.Mode()
	switch {
	case mode.IsDir():
		d.addParents(rel)
		d.written[rel] = true
		d.items = append(d.items, dirItem(d.imagePathOf(rel), rel))
		return nil
	case mode.IsRegular():
		d.addParents(rel)
		fileMode := int64(0o644)
		if mode.Perm()&0o100 != 0 {
			fileMode = 0o755
		}
		d.items = append(d.items, item{typ: tar.TypeReg, name: tarName(d.imagePathOf(rel), false), mode: fileMode,
			size: info.Size(), rel: rel, file: true, st: statOf(info)})
		return nil
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return readError("symbolic link", d.display(rel), err, "a+r")
		}
		d.addParents(rel)
		d.items = append(d.items, item{typ: tar.TypeSymlink, name: tarName(d.imagePathOf(rel), false), link: target, mode: 0o777, rel: rel})
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
