//go:build unix

package layers

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rebuildApp writes an app with what a walk must get right: nested and
// empty directories, names that sort around a directory ("a", "a-b",
// "a.txt"), an executable, a symbolic link, a hard link, a named pipe, and
// directories the ignore patterns below exclude, with files re-included.
func rebuildApp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"a/x.php": "x", "a/b/c/d.php": "d", "a-b/y.php": "y", "a.txt": "t",
		"vendor/autoload.php": "<?php", "vendor/acme/lib/src/Lib.php": "<?php class Lib {}",
		"node_modules/m/index.js": "1", "debug.log": "log", "sub/trace.log": "log",
		"tmp/cache/x": "x", "tmp/keep/this": "kept", "docs/guide.md": "g", "docs/README.md": "r",
		".git/HEAD": "ref", "sub/.git/config": "c", "public/index.php": "<?php echo 1;",
	} {
		writeFile(t, dir, name, content, 0o644)
	}
	writeFile(t, dir, "bin/console", "#!/usr/bin/env php", 0o755)
	mkdir(t, dir, "empty/inside")
	if err := os.Symlink("../a/x.php", filepath.Join(dir, "public", "link.php")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "a", "x.php"), filepath.Join(dir, "a", "hard.php")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "a", "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rebuildIgnore are .dockerignore patterns with exceptions.
var rebuildIgnore = []string{"node_modules", "*.log", "**/*.log", "tmp/**", "!tmp/keep/**", "docs", "!docs/README.md", "**/.git"}

// referenceWalk lists what a layer of dir holds under Docker's rules, by
// filepath.WalkDir as FromDir walked before it walked in parallel: "rel
// type" lines in walk order, and the skipped special files.
func referenceWalk(t *testing.T, dir string, patterns []string) (items, skipped []string) {
	t.Helper()
	o, err := makeOptions([]Option{WithIgnorePatterns(patterns)})
	if err != nil {
		t.Fatal(err)
	}
	var ig *ignorer
	if o.matcher != nil {
		ig = &ignorer{pm: o.matcher}
	}
	written := map[string]bool{".": true}
	addParents := func(rel string) {
		var missing []string
		for p := path.Dir(rel); !written[p]; p = path.Dir(p) {
			missing = append(missing, p)
		}
		for i := len(missing) - 1; i >= 0; i-- {
			items = append(items, missing[i]+" dir")
			written[missing[i]] = true
		}
	}
	err = filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		skip := false
		if ig != nil {
			if skip, err = ig.excluded(rel, de.IsDir()); err != nil {
				return err
			}
		}
		if skip {
			if de.IsDir() && !ig.mayReinclude(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		switch mode := info.Mode(); {
		case mode.IsDir():
			addParents(rel)
			written[rel] = true
			items = append(items, rel+" dir")
		case mode.IsRegular():
			addParents(rel)
			items = append(items, rel+" file")
		case mode&fs.ModeSymlink != 0:
			addParents(rel)
			items = append(items, rel+" symlink")
		default:
			skipped = append(skipped, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return items, skipped
}

// TestWalkAsWalkDir: the parallel walk of FromDir and ContextTree finds
// what filepath.WalkDir finds, in the same order, ignore patterns,
// exceptions and special files included.
func TestWalkAsWalkDir(t *testing.T) {
	dir := rebuildApp(t)
	for _, patterns := range [][]string{nil, rebuildIgnore} {
		wantItems, wantSkipped := referenceWalk(t, dir, patterns)
		l, err := FromDir(context.Background(), dir, "/var/task", WithIgnorePatterns(patterns), WithTempDir(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range l.Entries() {
			rel, ok := strings.CutPrefix(e.Path, "/var/task/")
			if !ok {
				continue
			}
			kind := map[byte]string{tar.TypeDir: "dir", tar.TypeReg: "file", tar.TypeSymlink: "symlink"}[e.Type]
			got = append(got, rel+" "+kind)
		}
		if strings.Join(got, "\n") != strings.Join(wantItems, "\n") {
			t.Errorf("patterns %q: FromDir holds\n%s\nwant\n%s", patterns, strings.Join(got, "\n"), strings.Join(wantItems, "\n"))
		}
		var gotSkipped []string
		for _, s := range l.Skipped() {
			gotSkipped = append(gotSkipped, s.Path)
		}
		if !slices.Equal(gotSkipped, wantSkipped) {
			t.Errorf("patterns %q: skipped %q, want %q", patterns, gotSkipped, wantSkipped)
		}
		closeLayer(t, l)

		tr, skipped, err := ContextTree(context.Background(), dir, WithIgnorePatterns(patterns), WithTempDir(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		err = tr.Walk(func(e Entry) error {
			kind := map[byte]string{tar.TypeDir: "dir", tar.TypeReg: "file", tar.TypeSymlink: "symlink"}[e.Type]
			got = append(got, strings.TrimPrefix(e.Path, "/")+" "+kind)
			info, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(e.Path)))
			if err != nil {
				return err
			}
			if want := fileModeBits(info.Mode()); e.Type != tar.TypeSymlink && e.Mode != want {
				t.Errorf("ContextTree: %s mode %o, want %o as on disk", e.Path, e.Mode, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "\n") != strings.Join(wantItems, "\n") {
			t.Errorf("patterns %q: ContextTree holds\n%s\nwant\n%s", patterns, strings.Join(got, "\n"), strings.Join(wantItems, "\n"))
		}
		if len(skipped) != len(wantSkipped) {
			t.Errorf("ContextTree skipped %v, want %q", skipped, wantSkipped)
		}
		hard, _ := tr.Lookup("/a/hard.php")
		orig := tr.get("/a/x.php")
		if hard.Type != tar.TypeReg || tr.get("/a/hard.php").file != orig.file {
			t.Error("ContextTree: the hard link does not share its file's content")
		}
		tr.Close()
	}
}

// ageKeys makes the key files' stats look older than the racy window, as
// ageStats does for the stat files.
func ageKeys(t *testing.T, cacheDir string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(cacheDir, "stat", "*.key"))
	for _, m := range matches {
		b, _ := os.ReadFile(m)
		var k keyFile
		if err := json.Unmarshal(b, &k); err != nil {
			t.Fatal(err)
		}
		k.SavedAt = time.Now().Add(time.Hour).UnixNano()
		b, _ = json.Marshal(k)
		if err := os.WriteFile(m, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStatKeySkipsStatFile: an unchanged app's layers are found from the
// stats alone, without loading the stat files; one changed file (same
// size, same mtime) is hashed again and never served stale.
func TestStatKeySkipsStatFile(t *testing.T) {
	dir := appTree(t)
	cacheDir := t.TempDir()
	first, _ := build(t, cacheDir, dir, []string{"vendor"})
	ageStats(t, cacheDir)
	ageKeys(t, cacheDir)
	c, err := OpenCache(cacheDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := FromDirSplit(context.Background(), dir, "/var/task", []string{"vendor"}, WithCache(c))
	if err != nil {
		t.Fatal(err)
	}
	if got := digests(t, ls); !slices.Equal(got, first) || c.Hits() != 2 {
		t.Errorf("%d hits, %v, want 2 and %v", c.Hits(), got, first)
	}
	if len(c.stats) != 0 {
		t.Errorf("%d stat files loaded, want none: the key files tell", len(c.stats))
	}
	c.Close()

	p := filepath.Join(dir, "src", "App.php")
	info, _ := os.Stat(p)
	if err := os.WriteFile(p, []byte("<?php class Xyz {}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	ageKeys(t, cacheDir)
	changed, _ := build(t, cacheDir, dir, []string{"vendor"})
	fresh, err := FromDirSplit(context.Background(), dir, "/var/task", []string{"vendor"}, WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if want := digests(t, fresh); !slices.Equal(changed, want) || changed[1] == first[1] {
		t.Errorf("after a change: %v, an uncached build gives %v (before: %v)", changed, want, first)
	}
}

// dockerfileStep copies the whole build context dir to /var/task of a
// base tree and writes the layer, as `COPY . /var/task` does, with opts.
func dockerfileStep(t *testing.T, dir string, opts ...Option) *Layer {
	t.Helper()
	ctx := context.Background()
	from, _, err := ContextTree(ctx, dir, WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	dst := treeOf(t, dirE("var", 0o755, 0, 0), dirE("var/task", 0o700, 0, 0), fileE("etc/passwd", 0o644, "root:x:0:0::/:/bin/sh\n"))
	ch, err := dst.Copy(ctx, from, CopyOp{Sources: []string{"."}, Dest: "/var/task"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := dst.WriteLayer(ctx, ch, append([]Option{WithTempDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestWriteLayerCache: a Dockerfile step's layer is taken from the cache
// when its files did not change (by their stats alone once they are old
// enough), is the layer an uncached build writes, and is never stale.
func TestWriteLayerCache(t *testing.T) {
	dir := appTree(t)
	cacheDir := t.TempDir()
	want := dockerfileStep(t, dir)
	defer closeLayer(t, want)
	step := func() (*Layer, *Cache) {
		t.Helper()
		c, err := OpenCache(cacheDir, 0)
		if err != nil {
			t.Fatal(err)
		}
		l := dockerfileStep(t, dir, WithCache(c), WithCacheGroup("Dockerfile:4"))
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		return l, c
	}
	same := func(l *Layer) {
		t.Helper()
		if digestOf(t, l) != digestOf(t, want) || !slices.Equal(l.Entries(), want.Entries()) {
			t.Errorf("cached layer %s differs from the uncached %s", digestOf(t, l), digestOf(t, want))
		}
		checkLayer(t, l)
	}
	l, c := step()
	same(l)
	if c.Hits() != 0 {
		t.Errorf("first build: %d hits", c.Hits())
	}
	ageStats(t, cacheDir)
	l, c = step()
	same(l)
	if c.Hits() != 1 || !l.cached {
		t.Errorf("second build: %d hits, want 1", c.Hits())
	}
	ageKeys(t, cacheDir)
	l, c = step()
	same(l)
	if c.Hits() != 1 || len(c.stats) != 0 {
		t.Errorf("third build: %d hits and %d stat files loaded, want 1 and none", c.Hits(), len(c.stats))
	}

	p := filepath.Join(dir, "src", "App.php")
	info, _ := os.Stat(p)
	if err := os.WriteFile(p, []byte("<?php class Xyz {}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	ageKeys(t, cacheDir)
	changed, _ := step()
	fresh := dockerfileStep(t, dir)
	defer closeLayer(t, fresh)
	if digestOf(t, changed) != digestOf(t, fresh) || digestOf(t, changed) == digestOf(t, want) {
		t.Errorf("after a change the cache gave %s, an uncached build %s", digestOf(t, changed), digestOf(t, fresh))
	}
}

// TestImageContentCache: a step copying files of an image, and the
// image's file tree, come from the cache on a rebuild, which reads none of
// the image's layers.
func TestImageContentCache(t *testing.T) {
	ctx := context.Background()
	l1 := &openCounter{Layer: layerOf(t,
		tarEntry{name: "opt/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "opt/bref-extra/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "opt/bref-extra/redis.so", typ: tar.TypeReg, mode: 0o755, data: "ELF redis"},
		tarEntry{name: "opt/bref/etc/php/conf.d/ext-redis.ini", typ: tar.TypeReg, mode: 0o644, data: "extension=redis\n"},
		tarEntry{name: "opt/bref-extra/same.so", typ: tar.TypeLink, link: "opt/bref-extra/redis.so"},
	)}
	img := stacked(t, l1)
	cacheDir := t.TempDir()
	step := func(cached bool) (v1Digest string, entries []Entry, hits int) {
		t.Helper()
		var opts []Option
		var c *Cache
		if cached {
			var err error
			if c, err = OpenCache(cacheDir, 0); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			opts = append(opts, WithCache(c))
		}
		from, err := ReadTree(ctx, img, append([]Option{WithTempDir(t.TempDir()), WithContents("/opt/bref/etc")}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer from.Close()
		if b, err := from.ReadFile(ctx, "/opt/bref/etc/php/conf.d/ext-redis.ini", 1<<20); err != nil || string(b) != "extension=redis\n" {
			t.Fatalf("captured ini: %q, %v", b, err)
		}
		dst := treeOf(t, dirE("opt", 0o755, 0, 0))
		ch, err := dst.Copy(ctx, from, CopyOp{Sources: []string{"/opt/bref-extra"}, Dest: "/opt/bref-extra"})
		if err != nil {
			t.Fatal(err)
		}
		l, err := dst.WriteLayer(ctx, ch, append([]Option{WithTempDir(t.TempDir())}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		checkLayer(t, l)
		if c != nil {
			hits = c.Hits()
		}
		return digestOf(t, l).String(), l.Entries(), hits
	}
	want, wantEntries, _ := step(false)
	before := l1.opened()
	got, entries, hits := step(true)
	if got != want || !slices.Equal(entries, wantEntries) || hits != 0 {
		t.Errorf("first cached build: %s (%d hits), want %s", got, hits, want)
	}
	read := l1.opened()
	if read == before {
		t.Fatal("the first cached build did not read the layer")
	}
	got, entries, hits = step(true)
	if got != want || !slices.Equal(entries, wantEntries) || hits != 1 {
		t.Errorf("rebuild: %s (%d hits), want %s and 1 hit", got, hits, want)
	}
	if n := l1.opened() - read; n != 0 {
		t.Errorf("the rebuild read the image's layer %d time(s)", n)
	}
	// A listing that went bad is read again, never trusted.
	trees, _ := filepath.Glob(filepath.Join(cacheDir, "trees", "*"))
	for _, p := range trees {
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read = l1.opened()
	if got, _, _ := step(true); got != want || l1.opened() == read {
		t.Errorf("with a corrupt listing: %s, layer read %d times", got, l1.opened()-read)
	}
}

// TestChangeOrder: the layer of a change recorded in depth-first order
// (no sorting) holds the entries the sorted set gives.
func TestChangeOrder(t *testing.T) {
	ctx := context.Background()
	src := treeOf(t, dirE("a", 0o755, 0, 0), fileE("a/z", 0o644, "z"), dirE("a/b", 0o750, 0, 0), fileE("a/b/c", 0o644, "c"),
		fileE("a-b", 0o644, "x"), dirE("m", 0o755, 0, 0), fileE("m/n", 0o644, "n"), fileE("a.txt", 0o644, "t"))
	for _, op := range []CopyOp{
		{Sources: []string{"."}, Dest: "/srv/app"},
		{Sources: []string{"a", "m/n", "a.txt"}, Dest: "/x/y/"},
		{Sources: []string{"a*"}, Dest: "/deep/er/"},
		{Sources: []string{"m/./n", "a/./b"}, Dest: "/p/", Parents: true},
	} {
		dst := baseTree(t)
		ch, err := dst.Copy(ctx, src, op)
		if err != nil {
			t.Fatal(err)
		}
		got := dst.layerNodes(ch)
		unsorted := *ch
		unsorted.sorted = false
		want := dst.layerNodes(&unsorted)
		if !slices.Equal(got, want) {
			t.Errorf("%v: %s, want %s", op, nodePaths(got), nodePaths(want))
		}
		if paths := ch.Paths(); !slices.IsSortedFunc(paths, comparePaths) {
			t.Errorf("%v: Paths not in order: %q", op, paths)
		}
	}
}

// nodePaths lists the paths of nodes.
func nodePaths(nodes []*node) string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.path)
	}
	return fmt.Sprint(out)
}

// TestRacyFilesInKeyFile: a file changed just before a build (its stat
// not trusted yet) is hashed again on the next build, which finds the
// layer from the key file without loading the stat file; if its content
// changed again (same size, same mtime) the layer is never stale.
func TestRacyFilesInKeyFile(t *testing.T) {
	dir := appTree(t)
	cacheDir := t.TempDir()
	build(t, cacheDir, dir, []string{"vendor"})
	ageStats(t, cacheDir)
	ageKeys(t, cacheDir)
	p := filepath.Join(dir, "src", "App.php")
	if err := os.WriteFile(p, []byte("<?php class Xyz {}"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, _ := build(t, cacheDir, dir, []string{"vendor"})
	c, err := OpenCache(cacheDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := FromDirSplit(context.Background(), dir, "/var/task", []string{"vendor"}, WithCache(c))
	if err != nil {
		t.Fatal(err)
	}
	if got := digests(t, ls); !slices.Equal(got, changed) || c.Hits() != 2 || len(c.stats) != 0 {
		t.Errorf("%v, %d hits, %d stat files loaded; want %v, 2 hits and none loaded", got, c.Hits(), len(c.stats), changed)
	}
	c.Close()

	info, _ := os.Stat(p)
	if err := os.WriteFile(p, []byte("<?php class Abc {}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	again, _ := build(t, cacheDir, dir, []string{"vendor"})
	fresh, err := FromDirSplit(context.Background(), dir, "/var/task", []string{"vendor"}, WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if want := digests(t, fresh); !slices.Equal(again, want) || slices.Equal(again, changed) {
		t.Errorf("after a second change: %v, an uncached build gives %v", again, want)
	}
}

// TestChangeAdd: a change holds each path once, in depth-first order,
// however the paths come.
func TestChangeAdd(t *testing.T) {
	for _, in := range [][]string{
		{"/a", "/a/b", "/a/b/c", "/a-b", "/b"},
		{"/a", "/a/b", "/a", "/a/b/c", "/a/b"},
		{"/b", "/a/b", "/a", "/", "/b/c", "/a/b"},
		{"/x/y", "/x/y", "/x"},
	} {
		ch := newChange()
		for _, p := range in {
			ch.add(p)
		}
		want := map[string]bool{}
		for _, p := range in {
			if p != "/" {
				want[p] = true
			}
		}
		got := ch.Paths()
		if len(got) != len(want) || !slices.IsSortedFunc(got, comparePaths) {
			t.Errorf("%q: %q", in, got)
		}
		for _, p := range got {
			if !want[p] {
				t.Errorf("%q: %q holds %s", in, got, p)
			}
		}
	}
}
