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
	w := &contextWalker{ctx: ctx, dir: dir, root: root, t: t, pending: map[string]fs.FileInfo{}, inodes: map[inodeKey]*fileData{}, exclude: newExcluder(o.exclude)}
	if o.matcher != nil {
		w.ignore = &ignorer{pm: o.matcher}
	}
	if err := filepath.WalkDir(root, w.visit); err != nil {
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
	// pending holds the directories walked although excluded, in case an
	// exception pattern re-includes something inside them.
	pending map[string]fs.FileInfo
	inodes  map[inodeKey]*fileData
	skipped []Skipped
}

func (w *contextWalker) display(rel string) string {
	return filepath.Join(w.dir, filepath.FromSlash(rel))
}

func (w *contextWalker) visit(p string, de fs.DirEntry, walkErr error) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	relOS, err := filepath.Rel(w.root, p)
	if err != nil {
		return fmt.Errorf("reading build context file %q: %w", p, err)
	}
	rel := filepath.ToSlash(relOS)
	if walkErr != nil {
		if de != nil && de.IsDir() {
			return readError("directory", w.display(rel), walkErr, "a+rx")
		}
		return readError("file", w.display(rel), walkErr, "a+r")
	}
	if rel == "." {
		return nil
	}
	info, err := de.Info()
	if err != nil {
		return readError("file", w.display(rel), err, "a+r")
	}
	if w.ignore != nil {
		skip, err := w.ignore.excluded(relOS, de.IsDir())
		if err != nil {
			return fmt.Errorf("matching %q against .dockerignore patterns: %w", rel, err)
		}
		if skip {
			if de.IsDir() {
				if !w.ignore.mayReinclude(relOS) {
					return filepath.SkipDir
				}
				w.pending[rel] = info
			}
			return nil
		}
	}
	if w.exclude.excludes(info) {
		w.skipped = append(w.skipped, Skipped{Path: rel, Reason: excludedReason, Excluded: true})
		if info.IsDir() {
			return filepath.SkipDir
		}
		return nil
	}
	if err := w.addParents(rel); err != nil {
		return err
	}
	ip := "/" + rel
	mode := info.Mode()
	n := &node{path: ip, mode: fileModeBits(mode)}
	switch {
	case mode.IsDir():
		n.typ, n.kids = tar.TypeDir, map[string]*node{}
	case mode.IsRegular():
		n.typ = tar.TypeReg
		if key, ok := inodeOf(info); ok {
			if fd := w.inodes[key]; fd != nil {
				n.file = fd
				break
			}
			n.file = &fileData{size: info.Size(), content: hostContent(p)}
			w.inodes[key] = n.file
			break
		}
		n.file = &fileData{size: info.Size(), content: hostContent(p)}
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return readError("symbolic link", w.display(rel), err, "a+r")
		}
		n.typ, n.linkname, n.mode = tar.TypeSymlink, target, 0o777
	default:
		w.skipped = append(w.skipped, Skipped{Path: rel, Reason: skipReason(mode)})
		return nil
	}
	return w.t.put(n)
}

// addParents adds the directories above rel that were walked but left out
// because ignore patterns excluded them, with their own modes.
func (w *contextWalker) addParents(rel string) error {
	var missing []string
	for p := path.Dir(rel); p != "."; p = path.Dir(p) {
		if w.t.get("/"+p) != nil {
			break
		}
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		info, ok := w.pending[missing[i]]
		if !ok {
			return errors.New("reading build context: directory " + missing[i] + " was not walked")
		}
		if err := w.t.put(newDir("/"+missing[i], fileModeBits(info.Mode()), 0, 0)); err != nil {
			return err
		}
	}
	return nil
}
