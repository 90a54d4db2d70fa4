package layers

import (
	"context"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// The walk of an app directory or a build context ([FromDirSplit],
// [ContextTree]) visits the entries in the order of [filepath.WalkDir]
// (depth-first, each directory's entries in byte order of their names),
// but does not wait for each file's lstat: one goroutine reads the
// directories and applies the ignore patterns, in walk order, while
// others lstat the files of the directories already read (relative to the
// directory, where the platform allows: no path is resolved again). The
// visit then runs in walk order over what was found. On a big app, whose
// files a rebuild only stats, this is most of the build.

// fileStat is what a walk learns of an entry from its lstat.
type fileStat struct {
	mode fs.FileMode
	st   statEntry // size, times, inode and device, for the cache
	// hard is set for a regular file with more than one link: key is its
	// inode, shared by its hard links.
	hard bool
	key  inodeKey
	// info is the lstat's FileInfo where the platform's walk made one
	// (nil on the fast path); excluders compare files with it there.
	info fs.FileInfo
}

// inodeKey identifies the file behind a hard link.
type inodeKey struct{ dev, ino uint64 }

// walkEntry is one entry a walk found.
type walkEntry struct {
	name string // the base name
	rel  string // slash-separated, relative to the walked root
	// ignored is set when the ignore patterns exclude the entry.
	ignored bool
	st      fileStat
	// statErr is why the lstat failed; matchErr why the ignore patterns
	// could not be matched (the walk stops there); readErr why a
	// directory walked into could not be read.
	statErr, matchErr, readErr error
	kids                       []walkEntry // a directory walked into: its entries
}

// walkMatch tells a walk whether the ignore patterns exclude rel (with OS
// separators) and, for an excluded directory, whether it must still be
// walked into because an exception pattern may re-include something inside.
// It is called in walk order, as the ignorer requires.
type walkMatch func(rel string, isDir bool) (ignored, walkInside bool, err error)

// treeWalk is one walk: the lister's state and the lstat workers.
type treeWalk struct {
	ctx     context.Context
	root    string
	match   walkMatch // nil: nothing is ignored
	exclude excluder
	jobs    chan statJob
	workers sync.WaitGroup
	// stopped is set once the walk stops early: ctx is done (err is its
	// error), or the ignore patterns failed (the entry says why).
	stopped bool
	err     error
	count   int    // entries listed
	buf     []byte // the lister's buffer for directory entries
}

// statJob asks a worker to lstat entries of one directory, opened as dir;
// the worker closes dir.
type statJob struct {
	dir     dirRef
	entries []walkEntry
	idx     []int
}

// dirEnt is an entry of a directory: its name, and whether the directory
// says it is a directory.
type dirEnt struct {
	name string
	dir  bool
}

// walkTree walks root (a directory) and returns its entries, directories
// holding the entries walked into, and how many there are; readErr is why root itself could not
// be read, err is ctx's error when it ended the walk. Directories ex
// excludes (unless ignored) are not walked into, nor are ignored ones that
// match says need not be; when match fails, the walk stops at that entry,
// its matchErr set.
func walkTree(ctx context.Context, root string, match walkMatch, ex excluder) (entries []walkEntry, count int, readErr, err error) {
	w := &treeWalk{ctx: ctx, root: root, match: match, exclude: ex, jobs: make(chan statJob, 256), buf: make([]byte, 32<<10)}
	n := min(max(runtime.GOMAXPROCS(0), 1), 8)
	for range n {
		w.workers.Add(1)
		go w.statWorker()
	}
	entries, readErr = w.list(root, "")
	close(w.jobs)
	w.workers.Wait()
	return entries, w.count, readErr, w.err
}

// statWorker lstats the entries of the jobs it is given.
func (w *treeWalk) statWorker() {
	defer w.workers.Done()
	for j := range w.jobs {
		for _, i := range j.idx {
			e := &j.entries[i]
			e.st, e.statErr = j.dir.lstat(e.name)
		}
		j.dir.close()
	}
}

// list reads the directory at p (rel is its path relative to the root,
// "" for the root) and walks into its subdirectories, in walk order.
func (w *treeWalk) list(p, rel string) ([]walkEntry, error) {
	if w.stopped {
		return nil, nil
	}
	if err := w.ctx.Err(); err != nil {
		w.stopped, w.err = true, err
		return nil, nil
	}
	dir, des, err := openDirEntries(p, w.buf)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(des, func(a, b dirEnt) int { return strings.Compare(a.name, b.name) })
	prefix := rel
	if prefix != "" {
		prefix += "/"
	}
	entries := make([]walkEntry, len(des))
	w.count += len(des)
	var files []int
	for i, de := range des {
		e := &entries[i]
		e.name, e.rel = de.name, prefix+de.name
		if de.dir {
			// Directories are stated here: whether to walk into them
			// depends on it.
			e.st, e.statErr = dir.lstat(e.name)
		} else {
			files = append(files, i)
		}
	}
	if len(files) > 0 {
		w.jobs <- statJob{dir: dir, entries: entries, idx: files}
	} else {
		dir.close()
	}
	for i, de := range des {
		e := &entries[i]
		walkInside := de.dir
		if w.match != nil {
			var err error
			e.ignored, walkInside, err = w.match(osRel(e.rel), de.dir)
			if err != nil {
				e.matchErr, w.stopped = err, true
				return entries[:i+1], nil
			}
		}
		if walkInside && e.statErr != nil {
			e.readErr = e.statErr // as reading it would fail
			continue
		}
		if !walkInside || !e.st.mode.IsDir() || (!e.ignored && w.exclude.excludesStat(e.st)) {
			continue
		}
		e.kids, e.readErr = w.list(p+string(os.PathSeparator)+e.name, e.rel)
		if w.stopped {
			return entries[:i+1], nil
		}
	}
	return entries, nil
}

// osRel turns a slash-separated relative path into the OS's form.
func osRel(rel string) string {
	if os.PathSeparator == '/' {
		return rel
	}
	return strings.ReplaceAll(rel, "/", string(os.PathSeparator))
}

// visitWalk calls visit with every entry of a walk in walk order, and
// again with the error for a directory that could not be read, as
// filepath.WalkDir does; it stops at the first error visit returns.
func visitWalk(entries []walkEntry, visit func(e *walkEntry, readErr error) error) error {
	for i := range entries {
		e := &entries[i]
		if err := visit(e, nil); err != nil {
			return err
		}
		if e.readErr != nil {
			if err := visit(e, e.readErr); err != nil {
				return err
			}
		}
		if err := visitWalk(e.kids, visit); err != nil {
			return err
		}
	}
	return nil
}
