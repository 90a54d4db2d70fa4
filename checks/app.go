package checks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/brefimg/brefimg/layers"
)

// App is the app directory as the app layer holds it under /var/task.
type App struct {
	// Dir is the app directory on disk; "" when only Paths are known, in
	// which case no file content is read.
	Dir string
	// Paths are the app layer's paths relative to the app directory,
	// slash-separated, sorted; directories end with "/" ("public/",
	// "public/index.php").
	Paths []string
	// Ignore are the .dockerignore patterns applied, as layers.ReadIgnoreFile
	// returns them.
	Ignore []string
	// ReadFile, when set, reads the app file rel (relative to the app
	// directory) where the app is, an image's file tree; nil reads it
	// from Dir.
	ReadFile func(rel string) ([]byte, error)

	files map[string]bool // regular files and symbolic links
	dirs  map[string]bool // directories, without the trailing slash
}

// NewApp describes an app whose layer paths are already known, e.g. from the
// entries of a built app layer. paths are relative to the app directory and
// slash-separated, with a trailing "/" for directories; parent directories
// need not be listed. A leading "/var/task/" or "./" is removed.
func NewApp(dir string, paths, ignore []string) App {
	a := App{Dir: dir, Ignore: ignore, files: map[string]bool{}, dirs: map[string]bool{}}
	for _, p := range paths {
		isDir := strings.HasSuffix(p, "/")
		p = strings.TrimPrefix(p, AppDest+"/")
		p = strings.Trim(path.Clean("/"+p), "/")
		if p == "" {
			continue
		}
		if isDir {
			a.dirs[p] = true
		} else {
			a.files[p] = true
		}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			a.dirs[d] = true
		}
	}
	for f := range a.files {
		a.Paths = append(a.Paths, f)
	}
	for d := range a.dirs {
		a.Paths = append(a.Paths, d+"/")
	}
	slices.Sort(a.Paths)
	return a
}

// LoadApp lists what the app layer of dir will hold: every file, symbolic
// link and directory not excluded by the .dockerignore patterns ignore,
// matched as layers.FromDir matches them (Docker's rules: a directory they
// exclude is not read unless an exception pattern names a path inside it).
// Nothing is read but directory entries.
func LoadApp(dir string, ignore []string) (App, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return App{}, fmt.Errorf("reading app directory %q: %w", dir, err)
	}
	var pm *patternmatcher.PatternMatcher
	if len(ignore) > 0 {
		if pm, err = patternmatcher.New(ignore); err != nil {
			return App{}, fmt.Errorf("parsing .dockerignore patterns: %w", err)
		}
	}
	w := &walker{pm: pm}
	var paths []string
	err = filepath.WalkDir(root, func(p string, de fs.DirEntry, walkErr error) error {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if walkErr != nil {
			return fmt.Errorf("reading app directory %q: %w", dir, walkErr)
		}
		if rel == "." {
			return nil
		}
		if pm != nil {
			skip, err := w.excluded(rel, de.IsDir())
			if err != nil {
				return fmt.Errorf("matching %q against .dockerignore patterns: %w", filepath.ToSlash(rel), err)
			}
			if skip {
				if de.IsDir() && !w.mayReinclude(rel) {
					return filepath.SkipDir
				}
				return nil
			}
		}
		slash := filepath.ToSlash(rel)
		switch {
		case de.IsDir():
			paths = append(paths, slash+"/")
		case de.Type().IsRegular(), de.Type()&fs.ModeSymlink != 0:
			paths = append(paths, slash)
		}
		return nil
	})
	if err != nil {
		return App{}, err
	}
	return NewApp(dir, paths, ignore), nil
}

// walker applies .dockerignore patterns during a walk exactly as
// layers.FromDir does: the match results of the enclosing directories are
// kept on a stack and passed to MatchesUsingParentResults.
type walker struct {
	pm         *patternmatcher.PatternMatcher
	parentDirs []string
	parentInfo []patternmatcher.MatchInfo
}

func (w *walker) excluded(rel string, isDir bool) (bool, error) {
	for len(w.parentDirs) > 0 {
		last := w.parentDirs[len(w.parentDirs)-1]
		if strings.HasPrefix(rel, last+string(filepath.Separator)) {
			break
		}
		w.parentDirs = w.parentDirs[:len(w.parentDirs)-1]
		w.parentInfo = w.parentInfo[:len(w.parentInfo)-1]
	}
	var parent patternmatcher.MatchInfo
	if n := len(w.parentInfo); n > 0 {
		parent = w.parentInfo[n-1]
	}
	skip, info, err := w.pm.MatchesUsingParentResults(rel, parent)
	if err != nil {
		return false, err
	}
	if isDir {
		w.parentDirs = append(w.parentDirs, rel)
		w.parentInfo = append(w.parentInfo, info)
	}
	return skip, nil
}

func (w *walker) mayReinclude(rel string) bool {
	if !w.pm.Exclusions() {
		return false
	}
	dirSlash := rel + string(filepath.Separator)
	for _, p := range w.pm.Patterns() {
		if p.Exclusion() && strings.HasPrefix(p.String()+string(filepath.Separator), dirSlash) {
			return true
		}
	}
	return false
}

// HasFile reports whether the app layer holds rel as a file or a symbolic
// link.
func (a App) HasFile(rel string) bool { return a.files[rel] }

// HasDir reports whether the app layer holds the directory rel.
func (a App) HasDir(rel string) bool { return a.dirs[strings.TrimSuffix(rel, "/")] }

// onDisk reports whether rel exists in the app directory on disk, whatever
// .dockerignore says; false when the app is read from an image
// (ReadFile), where no ignore pattern applies.
func (a App) onDisk(rel string) bool {
	if a.Dir == "" || a.ReadFile != nil {
		return false
	}
	_, err := os.Lstat(filepath.Join(a.Dir, filepath.FromSlash(rel)))
	return err == nil
}

// read reads the app file rel, from ReadFile or from disk.
func (a App) read(rel string) ([]byte, error) {
	if a.ReadFile != nil {
		return a.ReadFile(rel)
	}
	if a.Dir == "" {
		return nil, errors.New("the app directory is not known")
	}
	return os.ReadFile(filepath.Join(a.Dir, filepath.FromSlash(rel)))
}

// ignoredBy says which .dockerignore pattern excludes rel: the pattern, and
// its 1-based line in Dir/.dockerignore (0 when the patterns did not come
// from that file). It returns "", 0 when no pattern excludes rel.
func (a App) ignoredBy(rel string) (pattern string, line int) {
	matched, idx := false, -1
	for i, p := range a.Ignore {
		exclusion := strings.HasPrefix(p, "!")
		if exclusion != matched {
			continue
		}
		pm, err := patternmatcher.New([]string{strings.TrimPrefix(p, "!")})
		if err != nil {
			continue
		}
		if m, err := pm.MatchesOrParentMatches(rel); err == nil && m {
			matched, idx = !exclusion, i
		}
	}
	if !matched {
		return "", 0
	}
	return a.Ignore[idx], a.ignoreLine(idx)
}

// ignoreLine returns the line of Dir/.dockerignore holding the i-th pattern
// of a.Ignore, or 0 when a.Ignore are not that file's patterns.
func (a App) ignoreLine(i int) int {
	if a.Dir == "" {
		return 0
	}
	fromFile, err := layers.ReadIgnoreFile(a.Dir)
	if err != nil || !slices.Equal(fromFile, a.Ignore) {
		return 0
	}
	data, err := os.ReadFile(filepath.Join(a.Dir, ".dockerignore"))
	if err != nil {
		return 0
	}
	n := -1
	for ln, text := range strings.Split(string(data), "\n") {
		// Read each line as ReadAll reads the file, so that comments, blank
		// lines and cleaning are the same.
		if ln == 0 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		got, err := ignorefile.ReadAll(strings.NewReader(text))
		if err != nil || len(got) == 0 {
			continue
		}
		if n++; n == i {
			return ln + 1
		}
	}
	return 0
}
