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
// pipes and devices are left out and reported by [Layer.Skipped].
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
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	if !path.IsAbs(dest) {
		return nil, fmt.Errorf("layer destination %q is not absolute: use an image path such as \"/var/task\"", dest)
	}
	dest = path.Clean(dest)
	root, err := appRoot(dir)
	if err != nil {
		return nil, err
	}

	w, err := newLayerWriter(o)
	if err != nil {
		return nil, err
	}
	d := &dirWalker{ctx: ctx, dir: dir, root: root, dest: dest, w: w, written: map[string]bool{".": true}}
	if o.matcher != nil {
		d.ignore = &ignorer{pm: o.matcher}
	}
	if err := d.writeDestParents(); err != nil {
		w.abort()
		return nil, err
	}
	if err := filepath.WalkDir(root, d.visit); err != nil {
		w.abort()
		return nil, err
	}
	return w.finish()
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
	ctx    context.Context
	dir    string // as given, for messages
	root   string // what is walked
	dest   string
	w      *layerWriter
	ignore *ignorer
	// written holds the directories (relative, slash-separated) already
	// written, so that the parents of a re-included file can be added.
	written map[string]bool
}

func (d *dirWalker) writeDestParents() error {
	if d.dest == "/" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(d.dest, "/"), "/")
	for i := range parts {
		p := "/" + strings.Join(parts[:i+1], "/")
		if err := d.w.add(dirHeader(p, 0o755, 0, 0), nil); err != nil {
			return err
		}
	}
	return nil
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
	mode := info.Mode()
	switch {
	case mode.IsDir():
		if err := d.addParents(rel); err != nil {
			return err
		}
		d.written[rel] = true
		return d.w.add(dirHeader(d.imagePathOf(rel), 0o755, 0, 0), nil)
	case mode.IsRegular():
		if err := d.addParents(rel); err != nil {
			return err
		}
		return d.addFile(p, rel)
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return readError("symbolic link", d.display(rel), err, "a+r")
		}
		if err := d.addParents(rel); err != nil {
			return err
		}
		return d.w.add(&tar.Header{
			Typeflag: tar.TypeSymlink,
			Name:     tarName(d.imagePathOf(rel), false),
			Linkname: target,
			Mode:     0o777,
		}, nil)
	}
	d.w.skipped = append(d.w.skipped, Skipped{Path: rel, Reason: skipReason(mode)})
	return nil
}

// addParents writes the directories above rel that were not written because
// ignore patterns excluded them, top-down.
func (d *dirWalker) addParents(rel string) error {
	var missing []string
	for p := path.Dir(rel); !d.written[p]; p = path.Dir(p) {
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := d.w.add(dirHeader(d.imagePathOf(missing[i]), 0o755, 0, 0), nil); err != nil {
			return err
		}
		d.written[missing[i]] = true
	}
	return nil
}

func (d *dirWalker) addFile(p, rel string) error {
	f, err := os.Open(p)
	if err != nil {
		return readError("file", d.display(rel), err, "a+r")
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return readError("file", d.display(rel), err, "a+r")
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("reading app file %q: it changed while being read: build again", d.display(rel))
	}
	mode := int64(0o644)
	if info.Mode().Perm()&0o100 != 0 {
		mode = 0o755
	}
	err = d.w.add(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     tarName(d.imagePathOf(rel), false),
		Mode:     mode,
		Size:     info.Size(),
	}, f)
	if ce := (*contentError)(nil); errors.As(err, &ce) {
		return readError("file", d.display(rel), ce.err, "a+r")
	}
	return err
}

func dirHeader(p string, mode int64, uid, gid int) *tar.Header {
	return &tar.Header{
		Typeflag: tar.TypeDir,
		Name:     tarName(p, true),
		Mode:     mode,
		Uid:      uid,
		Gid:      gid,
	}
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
