package layers

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// ContextTree reads dir, the build context of a Dockerfile, as BuildKit
// hands it to COPY and ADD: the files .dockerignore patterns
// ([WithIgnorePatterns], Docker's semantics as in [FromDir]) leave in, with
// their modes as on disk (setuid, setgid and sticky bits included), owned
// by root (uid and gid 0, as `docker build` sends them), symbolic links as
// they are, and hard links kept as links. A directory the patterns exclude
// is still there when a file inside it is re-included ("!"), with its own
// mode. Sockets, named pipes and devices are left out and returned as
// skipped, as are the paths [WithExclude] names. Contents are read from the disk when a layer is written.
//
// The tree's root is dir itself (its mode as on disk). Any file or
// directory that cannot be read is an error naming it. [WithTempDir] sets
// where contents are spooled.
func ContextTree(ctx context.Context, dir string, opts ...Option) (*Tree, []Skipped, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	root, err := appRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	info, err := os.Stat(root)
	if err != nil {
		return nil, nil, readError("directory", dir, err, "a+rx")
	}
	t := NewTree(o.tempDir)
	t.root.mode = fileModeBits(info.Mode())
	w := &contextWalker{ctx: ctx, dir: dir, root: root, t: t, pending: map[string]fs.FileMode{}, inodes: map[inodeKey]*fileData{},
		exclude: newExcluder(o.exclude), dirs: map[string]*node{".": t.root}}
	if o.matcher != nil {
		w.ignore = &ignorer{pm: o.matcher}
	}
	if err := w.walk(); err != nil {
		return nil, nil, err
	}
	return t, w.skipped, nil
}

// fileModeBits returns the permission, setuid, setgid and sticky bits of m
// as a tar header holds them.
func fileModeBits(m fs.FileMode) int64 {
	bits := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		bits |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		bits |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		bits |= 0o1000
	}
	return bits
}

type contextWalker struct {
	ctx     context.Context
	dir     string
	root    string
	t       *Tree
	ignore  *ignorer
	exclude excluder
	// pending holds the modes of the directories walked although
	// excluded, in case an exception pattern re-includes something inside
	// them.
	pending map[string]fs.FileMode
	inodes  map[inodeKey]*fileData
	skipped []Skipped
	// dirs holds the directories of the tree, by relative path ("." for
	// the root).
	dirs map[string]*node
}

func (w *contextWalker) display(rel string) string {
	return filepath.Join(w.dir, filepath.FromSlash(rel))
}

// walk walks the context into the tree.
func (w *contextWalker) walk() error {
	var match walkMatch
	if w.ignore != nil {
		match = w.ignore.match
	}
	entries, _, readErr, err := walkTree(w.ctx, w.root, match, w.exclude)
	if err == nil && readErr != nil {
		err = readError("directory", w.display("."), readErr, "a+rx")
	}
	if err == nil {
		err = visitWalk(entries, w.visit)
	}
	return err
}

// visit adds an entry the walk found (readErr: a directory that could not
// be read) to the tree.
func (w *contextWalker) visit(e *walkEntry, readErr error) error {
	rel := e.rel
	switch {
	case readErr != nil:
		return readError("directory", w.display(rel), readErr, "a+rx")
	case e.matchErr != nil:
		return fmt.Errorf("matching %q against .dockerignore patterns: %w", rel, e.matchErr)
	case e.ignored:
		if e.statErr == nil && e.st.mode.IsDir() {
			w.pending[rel] = e.st.mode
		}
		return nil
	case e.statErr != nil:
		return readError("file", w.display(rel), e.statErr, "a+r")
	}
	if w.exclude.excludesStat(e.st) {
		w.skipped = append(w.skipped, Skipped{Path: rel, Reason: excludedReason, Excluded: true})
		return nil
	}
	if err := w.addParents(rel); err != nil {
		return err
	}
	ip := "/" + rel
	mode := e.st.mode
	n := &node{path: ip, mode: fileModeBits(mode)}
	switch {
	case mode.IsDir():
		n.typ, n.kids = tar.TypeDir, map[string]*node{}
	case mode.IsRegular():
		n.typ = tar.TypeReg
		n.file = w.fileData(e)
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(filepath.Join(w.root, filepath.FromSlash(rel)))
		if err != nil {
			return readError("symbolic link", w.display(rel), err, "a+r")
		}
		n.typ, n.linkname, n.mode = tar.TypeSymlink, target, 0o777
	default:
		w.skipped = append(w.skipped, Skipped{Path: rel, Reason: skipReason(mode)})
		return nil
	}
	return w.put(rel, n)
}

// fileData is the content of a regular file the walk found; hard links to
// one inode share it.
func (w *contextWalker) fileData(e *walkEntry) *fileData {
	if e.st.hard {
		if fd := w.inodes[e.st.key]; fd != nil {
			return fd
		}
	}
	// One allocation for both.
	hf := &struct {
		fileData
		hostContent
	}{hostContent: hostContent{root: w.root, rel: e.rel, st: e.st.st}}
	hf.fileData = fileData{size: e.st.st.Size, content: &hf.hostContent}
	fd := &hf.fileData
	if e.st.hard {
		w.inodes[e.st.key] = fd
	}
	return fd
}

// addParents adds the directories above rel that were walked but left out
// because ignore patterns excluded them, with their own modes.
func (w *contextWalker) addParents(rel string) error {
	var missing []string
	for p := path.Dir(rel); p != "." && w.dirs[p] == nil; p = path.Dir(p) {
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		mode, ok := w.pending[missing[i]]
		if !ok {
			return errors.New("reading build context: directory " + missing[i] + " was not walked")
		}
		if err := w.put(missing[i], newDir("/"+missing[i], fileModeBits(mode), 0, 0)); err != nil {
			return err
		}
	}
	return nil
}

// put sets n, the entry at rel, in its directory, which the walk added
// before (see addParents).
func (w *contextWalker) put(rel string, n *node) error {
	dir := w.dirs[path.Dir(rel)]
	if dir == nil {
		return fmt.Errorf("%s: parent directory does not exist", n.path)
	}
	dir.kids[path.Base(rel)] = n
	if n.isDir() {
		w.dirs[rel] = n
	}
	return nil
}
