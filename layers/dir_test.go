package layers

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestFromDirEntries(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "public/index.php", "<?php echo 1;\n", 0o600)
	writeFile(t, dir, "bin/run", "#!/bin/sh\n", 0o700)
	mkdir(t, dir, "empty")
	if err := os.Chmod(filepath.Join(dir, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "public/index.php"), filepath.Join(dir, "public/hard.php")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../etc/passwd", filepath.Join(dir, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("missing", filepath.Join(dir, "link-dangling")); err != nil {
		t.Fatal(err)
	}

	l, err := FromDir(context.Background(), dir, "/var/task")
	if err != nil {
		t.Fatalf("FromDir: %v", err)
	}
	closeLayer(t, l)

	type file struct {
		name string
		typ  byte
		mode int64
		link string
		data string
	}
	want := []file{
		{name: "var/", typ: tar.TypeDir, mode: 0o755},
		{name: "var/task/", typ: tar.TypeDir, mode: 0o755},
		{name: "var/task/bin/", typ: tar.TypeDir, mode: 0o755},
		{name: "var/task/bin/run", typ: tar.TypeReg, mode: 0o755, data: "#!/bin/sh\n"},
		{name: "var/task/empty/", typ: tar.TypeDir, mode: 0o755},
		{name: "var/task/link-dangling", typ: tar.TypeSymlink, mode: 0o777, link: "missing"},
		{name: "var/task/link-out", typ: tar.TypeSymlink, mode: 0o777, link: "../../../etc/passwd"},
		{name: "var/task/public/", typ: tar.TypeDir, mode: 0o755},
		{name: "var/task/public/hard.php", typ: tar.TypeReg, mode: 0o644, data: "<?php echo 1;\n"},
		{name: "var/task/public/index.php", typ: tar.TypeReg, mode: 0o644, data: "<?php echo 1;\n"},
	}
	got := readTar(t, l)
	if len(got) != len(want) {
		var gotNames []string
		for _, f := range got {
			gotNames = append(gotNames, f.hdr.Name)
		}
		t.Fatalf("got %d entries %q, want %d", len(got), gotNames, len(want))
	}
	var wantEntries []Entry
	for i, w := range want {
		g := got[i]
		h := g.hdr
		t.Run(w.name, func(t *testing.T) {
			if h.Name != w.name || h.Typeflag != w.typ || h.Mode != w.mode || h.Linkname != w.link || g.data != w.data {
				t.Errorf("got name %q type %q mode %o link %q data %q, want %q %q %o %q %q",
					h.Name, h.Typeflag, h.Mode, h.Linkname, g.data, w.name, w.typ, w.mode, w.link, w.data)
			}
			if h.Size != int64(len(w.data)) {
				t.Errorf("size %d, want %d", h.Size, len(w.data))
			}
			if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
				t.Errorf("owner %d:%d %q:%q, want 0:0 with empty names", h.Uid, h.Gid, h.Uname, h.Gname)
			}
			if !h.ModTime.Equal(time.Unix(0, 0)) || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
				t.Errorf("times %v %v %v, want mtime 0 and no atime/ctime", h.ModTime, h.AccessTime, h.ChangeTime)
			}
			if len(h.PAXRecords) != 0 || h.Format != tar.FormatUSTAR {
				t.Errorf("format %v with PAX records %v, want USTAR without records", h.Format, h.PAXRecords)
			}
		})
		e := Entry{Path: "/" + strings.TrimSuffix(w.name, "/"), Type: w.typ, Mode: w.mode, Size: int64(len(w.data)), Linkname: w.link}
		wantEntries = append(wantEntries, e)
	}
	checkEntries(t, l, wantEntries)
	if s := l.Skipped(); len(s) != 0 {
		t.Errorf("Skipped() = %v, want none", s)
	}
}

func TestFromDirDest(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "index.php", "x", 0o644)
	tests := []struct {
		dest string
		want []string
	}{
		{dest: "/", want: []string{"/index.php"}},
		{dest: "/var/task/", want: []string{"/var", "/var/task", "/var/task/index.php"}},
		{dest: "/a/./b/../c", want: []string{"/a", "/a/c", "/a/c/index.php"}},
	}
	for _, tc := range tests {
		t.Run(tc.dest, func(t *testing.T) {
			l, err := FromDir(context.Background(), dir, tc.dest)
			if err != nil {
				t.Fatalf("FromDir: %v", err)
			}
			closeLayer(t, l)
			var got []string
			for _, e := range l.Entries() {
				got = append(got, e.Path)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("entries %q, want %q", got, tc.want)
			}
			checkParents(t, l.Entries())
		})
	}
}

func TestFromDirIgnore(t *testing.T) {
	tests := []struct {
		name     string
		files    []string
		patterns []string
		want     []string
	}{{
		name:     "plain pattern matches at the top only",
		files:    []string{"a.log", "b.php", "logs/x.log", "logs/y.txt"},
		patterns: []string{"*.log"},
		want:     []string{"b.php", "logs/", "logs/x.log", "logs/y.txt"},
	}, {
		name:     "double star matches at any depth",
		files:    []string{"a.log", "b.php", "logs/x.log", "logs/y.txt"},
		patterns: []string{"**/*.log"},
		want:     []string{"b.php", "logs/", "logs/y.txt"},
	}, {
		name:     "exception inside an excluded directory gets its parents",
		files:    []string{"index.php", "vendor/a/x.php", "vendor/keep/k.php", "vendor/keep/other.txt"},
		patterns: []string{"vendor", "!vendor/keep/k.php"},
		want:     []string{"index.php", "vendor/", "vendor/keep/", "vendor/keep/k.php"},
	}, {
		name:     "exception re-includes a whole directory",
		files:    []string{"docs/a.md", "docs/keep/b.md", "docs/keep/sub/c.md"},
		patterns: []string{"docs", "!docs/keep"},
		want:     []string{"docs/", "docs/keep/", "docs/keep/b.md", "docs/keep/sub/", "docs/keep/sub/c.md"},
	}, {
		name:     "exception at the top",
		files:    []string{"README.md", "CHANGELOG.md", "index.php"},
		patterns: []string{"*.md", "!README.md"},
		want:     []string{"README.md", "index.php"},
	}, {
		name:     "wildcard exception does not reach into an excluded directory, as with Docker",
		files:    []string{"cache/keep.txt", "keep.txt", "x/keep.txt"},
		patterns: []string{"cache", "!**/keep.txt"},
		want:     []string{"keep.txt", "x/", "x/keep.txt"},
	}, {
		name:     "excluded empty directory and nested directories",
		files:    []string{"a/b/c/d.txt", "a/e.txt", "tests/", "index.php"},
		patterns: []string{"tests", "a/b"},
		want:     []string{"a/", "a/e.txt", "index.php"},
	}, {
		name:     "leading slash and dot-dot are cleaned",
		files:    []string{".git/HEAD", ".env", "index.php"},
		patterns: []string{"/.git", "x/../.env"},
		want:     []string{"index.php"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				if strings.HasSuffix(f, "/") {
					mkdir(t, dir, f)
				} else {
					writeFile(t, dir, f, f, 0o644)
				}
			}
			patterns := tc.patterns
			if slices.Contains(tc.patterns, "/.git") {
				// Read through the .dockerignore file, as the CLI does.
				writeFile(t, dir, ".dockerignore", strings.Join(tc.patterns, "\n"), 0o644)
				var err error
				if patterns, err = ReadIgnoreFile(dir); err != nil {
					t.Fatal(err)
				}
				patterns = append(patterns, ".dockerignore")
			}
			l, err := FromDir(context.Background(), dir, "/var/task", WithIgnorePatterns(patterns))
			if err != nil {
				t.Fatalf("FromDir: %v", err)
			}
			closeLayer(t, l)
			if got := names(l.Entries(), "/var/task"); !slices.Equal(got, tc.want) {
				t.Errorf("entries %q, want %q", got, tc.want)
			}
			checkParents(t, l.Entries())
		})
	}
}

// TestFromDirDigest checks which changes to a tree change the layer's
// digest and which do not.
func TestFromDirDigest(t *testing.T) {
	makeTree := func(t *testing.T) string {
		dir := t.TempDir()
		writeFile(t, dir, "public/index.php", "<?php echo 1;\n", 0o644)
		writeFile(t, dir, "bin/console", "#!/usr/bin/env php\n", 0o755)
		writeFile(t, dir, "composer.json", "{}\n", 0o644)
		return dir
	}
	digest := func(t *testing.T, dir string, opts ...Option) string {
		l, err := FromDir(context.Background(), dir, "/var/task", opts...)
		if err != nil {
			t.Fatalf("FromDir: %v", err)
		}
		defer l.Close()
		checkLayer(t, l)
		return digestOf(t, l).String()
	}
	base := digest(t, makeTree(t))

	tests := []struct {
		name     string
		change   func(t *testing.T, dir string)
		opts     []Option
		wantSame bool
	}{
		{name: "nothing", change: func(*testing.T, string) {}, wantSame: true},
		{name: "mtime", wantSame: true, change: func(t *testing.T, dir string) {
			when := time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC)
			for _, f := range []string{"public/index.php", "public", "bin", "."} {
				if err := os.Chtimes(filepath.Join(dir, f), when, when); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{name: "mode 0600", wantSame: true, change: func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, "composer.json"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "only group and other exec bits", wantSame: true, change: func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, "composer.json"), 0o655); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "media type", opts: []Option{WithMediaType(types.DockerLayer)}, wantSame: true, change: func(*testing.T, string) {}},
		{name: "content", change: func(t *testing.T, dir string) {
			writeFile(t, dir, "public/index.php", "<?php echo 2;\n", 0o644)
		}},
		{name: "exec bit", change: func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, "composer.json"), 0o744); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "rename", change: func(t *testing.T, dir string) {
			if err := os.Rename(filepath.Join(dir, "composer.json"), filepath.Join(dir, "composer.lock")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "empty directory added", change: func(t *testing.T, dir string) {
			mkdir(t, dir, "var/cache")
		}},
		{name: "epoch", opts: []Option{WithEpoch(time.Unix(1700000000, 0))}, change: func(*testing.T, string) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := makeTree(t)
			tc.change(t, dir)
			got := digest(t, dir, tc.opts...)
			if same := got == base; same != tc.wantSame {
				t.Errorf("digest %s, base %s: same = %v, want %v", got, base, same, tc.wantSame)
			}
		})
	}
}

func TestFromDirEpoch(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "index.php", "x", 0o644)
	l, err := FromDir(context.Background(), dir, "/var/task", WithEpoch(time.Unix(1700000000, 999_000_000)))
	if err != nil {
		t.Fatalf("FromDir: %v", err)
	}
	closeLayer(t, l)
	for _, f := range readTar(t, l) {
		if want := time.Unix(1700000000, 0); !f.hdr.ModTime.Equal(want) {
			t.Errorf("%s: ModTime %v, want %v", f.hdr.Name, f.hdr.ModTime, want)
		}
	}
}

func TestFromDirSymlinkedDir(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	writeFile(t, real, "index.php", "x", 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink("real", link); err != nil {
		t.Fatal(err)
	}
	var digests []string
	for _, d := range []string{real, link} {
		l, err := FromDir(context.Background(), d, "/var/task")
		if err != nil {
			t.Fatalf("FromDir(%s): %v", d, err)
		}
		closeLayer(t, l)
		if got := names(l.Entries(), "/var/task"); !slices.Equal(got, []string{"index.php"}) {
			t.Errorf("FromDir(%s) entries %q, want [index.php]", d, got)
		}
		digests = append(digests, digestOf(t, l).String())
	}
	if digests[0] != digests[1] {
		t.Errorf("digest through a symlink %s, want %s", digests[1], digests[0])
	}
}

func TestFromDirErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "index.php", "x", 0o644)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		ctx     context.Context
		dir     string
		dest    string
		opts    []Option
		wantErr string
		wantIs  error
	}{
		{name: "missing dir", dir: filepath.Join(dir, "nope"), dest: "/var/task", wantErr: "does not exist"},
		{name: "not a dir", dir: filepath.Join(dir, "index.php"), dest: "/var/task", wantErr: "is not a directory"},
		{name: "relative dest", dir: dir, dest: "var/task", wantErr: `"var/task" is not absolute`},
		{name: "cancelled", ctx: cancelled, dir: dir, dest: "/var/task", wantIs: context.Canceled},
		{name: "bad media type", dir: dir, dest: "/var/task", opts: []Option{WithMediaType(types.OCIUncompressedLayer)}, wantErr: "Lambda needs gzip layers"},
		{name: "zstd media type", dir: dir, dest: "/var/task", opts: []Option{WithMediaType(types.OCILayerZStd)}, wantErr: "Lambda needs gzip layers"},
		{name: "bad pattern", dir: dir, dest: "/var/task", opts: []Option{WithIgnorePatterns([]string{"a[", "b"})}, wantErr: "pattern"},
		{name: "lone exclamation mark", dir: dir, dest: "/var/task", opts: []Option{WithIgnorePatterns([]string{"!"})}, wantErr: "illegal exclusion pattern"},
		{name: "epoch before 1970", dir: dir, dest: "/var/task", opts: []Option{WithEpoch(time.Unix(-1, 0))}, wantErr: "before 1970"},
		{name: "empty temp dir", dir: dir, dest: "/var/task", opts: []Option{WithTempDir("")}, wantErr: "must not be empty"},
		{name: "missing temp dir", dir: dir, dest: "/var/task", opts: []Option{WithTempDir(filepath.Join(dir, "nope"))}, wantErr: "creating layer file in"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			tmp := t.TempDir()
			opts := append([]Option{WithTempDir(tmp)}, tc.opts...)
			l, err := FromDir(ctx, tc.dir, tc.dest, opts...)
			if err == nil {
				l.Close()
				t.Fatal("FromDir succeeded, want an error")
			}
			if tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q, want it to contain %q", err, tc.wantErr)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v, want %v", err, tc.wantIs)
			}
			emptyDir(t, tmp)
		})
	}
}

func TestLayer(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "index.php", "<?php echo 1;\n", 0o644)
	tmp := t.TempDir()
	for _, mt := range []types.MediaType{types.OCILayer, types.DockerLayer} {
		t.Run(string(mt), func(t *testing.T) {
			opts := []Option{WithTempDir(tmp)}
			if mt != types.OCILayer {
				opts = append(opts, WithMediaType(mt)) // OCILayer is the default
			}
			l, err := FromDir(context.Background(), dir, "/var/task", opts...)
			if err != nil {
				t.Fatalf("FromDir: %v", err)
			}
			if got, _ := l.MediaType(); got != mt {
				t.Errorf("MediaType() = %s, want %s", got, mt)
			}
			checkLayer(t, l)
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			emptyDir(t, tmp)
			if err := l.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if _, err := l.Compressed(); err == nil || !strings.Contains(err.Error(), "closed") {
				t.Errorf("Compressed after Close: %v, want a closed error", err)
			}
			if _, err := l.Uncompressed(); err == nil {
				t.Error("Uncompressed after Close succeeded")
			}
		})
	}
}

func TestReadIgnoreFile(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		want    []string
		wantErr string
	}{
		{name: "no file", setup: func(*testing.T, string) {}},
		{name: "patterns", setup: func(t *testing.T, dir string) {
			writeFile(t, dir, ".dockerignore", "\ufeff# comment\n\n/vendor/\n  !vendor/keep \n*.log\nx/../.env\n", 0o644)
		}, want: []string{"vendor", "!vendor/keep", "*.log", ".env"}},
		{name: "unreadable", setup: func(t *testing.T, dir string) {
			mkdir(t, dir, ".dockerignore")
		}, wantErr: ".dockerignore"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			got, err := ReadIgnoreFile(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("patterns %q, want %q", got, tc.want)
			}
		})
	}
}
