package layers

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// treeOf builds a tree from entries, as if they were one layer.
func treeOf(t testing.TB, entries ...tarEntry) *Tree {
	t.Helper()
	tr := NewTree(t.TempDir())
	t.Cleanup(func() { tr.Close() })
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid, Linkname: e.link, Size: int64(len(e.data))}
		tr.applyHeader(imagePath(e.name), hdr, inlineContent(e.data))
	}
	return tr
}

func dirE(name string, mode int64, uid, gid int) tarEntry {
	return tarEntry{name: name, typ: tar.TypeDir, mode: mode, uid: uid, gid: gid}
}

func fileE(name string, mode int64, data string) tarEntry {
	return tarEntry{name: name, typ: tar.TypeReg, mode: mode, data: data}
}

func linkE(name, target string) tarEntry {
	return tarEntry{name: name, typ: tar.TypeSymlink, mode: 0o777, link: target}
}

// listing describes every entry of a tree, one per line:
// "path type mode uid:gid [content | -> target]".
func listing(t testing.TB, tr *Tree) string {
	t.Helper()
	var b strings.Builder
	err := tr.Walk(func(e Entry) error {
		kind := map[byte]string{tar.TypeDir: "dir", tar.TypeReg: "file", tar.TypeSymlink: "symlink"}[e.Type]
		fmt.Fprintf(&b, "%s %s %04o %d:%d", e.Path, kind, e.Mode, e.UID, e.GID)
		switch e.Type {
		case tar.TypeReg:
			data, err := tr.ReadFile(context.Background(), e.Path, 1<<20)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %q", data)
		case tar.TypeSymlink:
			fmt.Fprintf(&b, " -> %s", e.Linkname)
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// base is a small image tree: /bin -> usr/bin, an owned /srv, a file.
func baseTree(t testing.TB) *Tree {
	return treeOf(t,
		linkE("bin", "usr/bin"),
		dirE("srv", 0o750, 1000, 1000),
		fileE("srv/old.txt", 0o600, "old"),
		dirE("usr", 0o755, 0, 0),
		dirE("usr/bin", 0o755, 0, 0),
		dirE("var/task", 0o755, 0, 0),
		fileE("etc/passwd", 0o644, "root:x:0:0::/root:/bin/sh\nwww:x:33:44::/var/www:/sbin/nologin\n"),
		fileE("etc/group", 0o644, "root:x:0:\nstaff:x:50:\n"),
	)
}

// srcTree is a build context: a directory with files of several modes.
func srcTree(t testing.TB) *Tree {
	return treeOf(t,
		dirE("app", 0o775, 0, 0),
		fileE("app/index.php", 0o644, "<?php"),
		fileE("app/run.sh", 0o700, "#!/bin/sh"),
		dirE("app/sub", 0o700, 0, 0),
		fileE("app/sub/x.txt", 0o640, "x"),
		fileE("a.txt", 0o644, "a"),
		fileE("b.txt", 0o644, "b"),
		linkE("current", "app"),
	)
}

func TestCopySemantics(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		op      CopyOp
		want    []string // lines expected in the listing after the copy
		notWant []string // path prefixes that must not be listed
		wantErr string
	}{
		{
			name: "directory contents into a new destination",
			op:   CopyOp{Sources: []string{"app"}, Dest: "/opt/new"},
			want: []string{
				`/opt dir 0755 0:0`, `/opt/new dir 0755 0:0`,
				`/opt/new/index.php file 0644 0:0 "<?php"`, `/opt/new/run.sh file 0700 0:0 "#!/bin/sh"`,
				`/opt/new/sub dir 0700 0:0`, `/opt/new/sub/x.txt file 0640 0:0 "x"`,
			},
		},
		{
			name: "an existing destination directory keeps its owner and mode",
			op:   CopyOp{Sources: []string{"app/sub"}, Dest: "/srv"},
			want: []string{`/srv dir 0750 1000:1000`, `/srv/x.txt file 0640 0:0 "x"`, `/srv/old.txt file 0600 0:0 "old"`},
		},
		{
			name: "a file into an existing directory",
			op:   CopyOp{Sources: []string{"a.txt"}, Dest: "/var/task"},
			want: []string{`/var/task dir 0755 0:0`, `/var/task/a.txt file 0644 0:0 "a"`},
		},
		{
			name: "a file becomes a missing destination",
			op:   CopyOp{Sources: []string{"a.txt"}, Dest: "/var/task/renamed"},
			want: []string{`/var/task/renamed file 0644 0:0 "a"`},
		},
		{
			name: "a trailing slash makes a directory",
			op:   CopyOp{Sources: []string{"a.txt"}, Dest: "/data/"},
			want: []string{`/data dir 0755 0:0`, `/data/a.txt file 0644 0:0 "a"`},
		},
		{
			name:    "several sources need a trailing slash",
			op:      CopyOp{Sources: []string{"a.txt", "b.txt"}, Dest: "/data"},
			wantErr: `end the destination with "/"`,
		},
		{
			name:    "a glob matching two files needs a trailing slash",
			op:      CopyOp{Sources: []string{"*.txt"}, Dest: "/data"},
			wantErr: `2 sources`,
		},
		{
			name: "a glob",
			op:   CopyOp{Sources: []string{"*.txt"}, Dest: "/data/"},
			want: []string{`/data/a.txt file 0644 0:0 "a"`, `/data/b.txt file 0644 0:0 "b"`},
		},
		{
			name:    "a glob matching nothing copies nothing",
			op:      CopyOp{Sources: []string{"*.md"}, Dest: "/data/"},
			notWant: []string{"/data"},
		},
		{
			name:    "a missing source",
			op:      CopyOp{Sources: []string{"nope.txt"}, Dest: "/data/"},
			wantErr: "nope.txt: no such file",
		},
		{
			name:    "symbolic links in the destination are followed",
			op:      CopyOp{Sources: []string{"a.txt"}, Dest: "/bin/"},
			want:    []string{`/bin symlink 0777 0:0 -> usr/bin`, `/usr/bin/a.txt file 0644 0:0 "a"`},
			notWant: []string{"\n/bin/a.txt"},
		},
		{
			name: "a symbolic link source is followed, its name kept",
			op:   CopyOp{Sources: []string{"current"}, Dest: "/x"},
			want: []string{`/x dir 0755 0:0`, `/x/index.php file 0644 0:0 "<?php"`},
		},
		{
			name: "new parents under an owned directory",
			op:   CopyOp{Sources: []string{"a.txt"}, Dest: "/srv/sub/a"},
			want: []string{`/srv dir 0750 1000:1000`, `/srv/sub dir 0755 0:0`, `/srv/sub/a file 0644 0:0 "a"`},
		},
		{
			name: "chown owns copies and created parents, chmod applies to directories too",
			op:   CopyOp{Sources: []string{"app"}, Dest: "/new/app", Owner: &Owner{UID: 33, GID: 44}, Chmod: "0640"},
			want: []string{
				`/new dir 0755 33:44`, `/new/app dir 0755 33:44`, `/new/app/index.php file 0640 33:44 "<?php"`,
				`/new/app/sub dir 0640 33:44`,
			},
		},
		{
			name: "symbolic chmod",
			op:   CopyOp{Sources: []string{"app"}, Dest: "/new", Chmod: "a+rX,o-w"},
			want: []string{`/new/run.sh file 0755 0:0 "#!/bin/sh"`, `/new/sub dir 0755 0:0`, `/new/sub/x.txt file 0644 0:0 "x"`},
		},
		{
			name:    "a file never replaces a directory",
			op:      CopyOp{Sources: []string{"a.txt"}, Dest: "/usr/bin/x/"},
			want:    []string{`/usr/bin/x/a.txt file 0644 0:0 "a"`},
			notWant: nil,
		},
		{
			name:    "a directory never replaces a file",
			op:      CopyOp{Sources: []string{"app"}, Dest: "/etc/passwd"},
			wantErr: "not a directory",
		},
		{
			name: "heredoc files",
			op:   CopyOp{Files: []InlineFile{{Name: "EOF", Data: []byte("hi\n")}}, Dest: "/etc/motd"},
			want: []string{`/etc/motd file 0644 0:0 "hi\n"`},
		},
		{
			name:    "--parents keeps the source path",
			op:      CopyOp{Sources: []string{"app/sub/x.txt", "a.txt"}, Dest: "/p/", Parents: true},
			want:    []string{`/p/app dir 0775 0:0`, `/p/app/sub dir 0700 0:0`, `/p/app/sub/x.txt file 0640 0:0 "x"`, `/p/a.txt file 0644 0:0 "a"`},
			notWant: []string{"/p/app/index.php"},
		},
		{
			name:    "--exclude",
			op:      CopyOp{Sources: []string{"app"}, Dest: "/e", Exclude: []string{"*.sh", "sub"}},
			want:    []string{`/e/index.php file 0644 0:0 "<?php"`},
			notWant: []string{"/e/run.sh", "/e/sub"},
		},
		{
			name:    "--link copies onto an empty tree: parents and the link take new metadata",
			op:      CopyOp{Sources: []string{"a.txt"}, Dest: "/srv/", Link: true},
			want:    []string{`/srv dir 0755 0:0`, `/srv/a.txt file 0644 0:0 "a"`, `/srv/old.txt file 0600 0:0 "old"`},
			notWant: nil,
		},
		{
			name:    "--link replaces a symbolic link on the way",
			op:      CopyOp{Sources: []string{"a.txt"}, Dest: "/bin/", Link: true},
			want:    []string{`/bin dir 0755 0:0`, `/bin/a.txt file 0644 0:0 "a"`},
			notWant: []string{"/bin symlink"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := baseTree(t)
			ch, err := dst.Copy(ctx, srcTree(t), tc.op)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one about %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := listing(t, dst)
			for _, w := range tc.want {
				if !strings.Contains(got, w+"\n") {
					t.Errorf("listing lacks %q:\n%s", w, got)
				}
			}
			for _, nw := range tc.notWant {
				if strings.Contains(got, nw) {
					t.Errorf("listing holds %q:\n%s", nw, got)
				}
			}
			l, err := dst.WriteLayer(ctx, ch, WithTempDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			checkParents(t, l.Entries())
			checkLayer(t, l)
		})
	}
}

func TestCopyHardLinksAndUnpack(t *testing.T) {
	ctx := context.Background()
	var tarBuf bytes.Buffer
	zw := gzip.NewWriter(&tarBuf)
	tw := tar.NewWriter(zw)
	for _, h := range []*tar.Header{
		{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "lib/", Typeflag: tar.TypeDir, Mode: 0o700, Uid: 7, Gid: 8},
		{Name: "lib/a.so", Typeflag: tar.TypeReg, Mode: 0o755, Size: 2, Uid: 7, Gid: 8},
		{Name: "lib/b.so", Typeflag: tar.TypeLink, Linkname: "lib/a.so"},
		{Name: "deep/er/file", Typeflag: tar.TypeReg, Mode: 0o600, Size: 1},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write(bytes.Repeat([]byte("z"), int(h.Size)))
		}
	}
	tw.Close()
	zw.Close()
	src := treeOf(t, fileE("pkg.tar.gz", 0o644, tarBuf.String()), fileE("plain.gz", 0o644, "\x1f\x8b\x08 not really"))
	dst := NewTree(t.TempDir())
	defer dst.Close()
	ch, err := dst.Copy(ctx, src, CopyOp{Sources: []string{"pkg.tar.gz", "plain.gz"}, Dest: "/x/", Unpack: true})
	if err != nil {
		t.Fatal(err)
	}
	got := listing(t, dst)
	for _, w := range []string{
		`/x dir 0755 0:0`, `/x/lib dir 0700 7:8`, `/x/lib/a.so file 0755 7:8 "zz"`, `/x/lib/b.so file 0755 7:8 "zz"`,
		`/x/deep dir 0755 0:0`, `/x/deep/er/file file 0600 0:0 "z"`, `/x/plain.gz file 0644 0:0`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("listing lacks %q:\n%s", w, got)
		}
	}
	l, err := dst.WriteLayer(ctx, ch, WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var links []string
	for _, e := range l.Entries() {
		if e.Type == tar.TypeLink {
			links = append(links, e.Path+" => "+e.Linkname)
		}
	}
	if strings.Join(links, ",") != "/x/lib/b.so => /x/lib/a.so" {
		t.Errorf("hard links %v", links)
	}
	checkLayer(t, l)
}

func TestChmod(t *testing.T) {
	tests := []struct {
		spec  string
		mode  int64
		dir   bool
		want  int64
		error bool
	}{
		{spec: "0644", mode: 0o4755, want: 0o644},
		{spec: "4755", mode: 0o600, want: 0o4755},
		{spec: "u+x", mode: 0o644, want: 0o744},
		{spec: "go-w", mode: 0o666, want: 0o644},
		{spec: "a+rX", mode: 0o600, want: 0o644},
		{spec: "a+rX", mode: 0o700, want: 0o755},
		{spec: "a+rX", mode: 0o700, dir: true, want: 0o755},
		{spec: "u=rwx,go=rx", mode: 0o000, want: 0o755},
		{spec: "g=u", mode: 0o740, want: 0o770},
		{spec: "o=", mode: 0o777, want: 0o770},
		{spec: "+t", mode: 0o777, dir: true, want: 0o1777},
		{spec: "u+s", mode: 0o755, want: 0o4755},
		{spec: "10000", error: true},
		{spec: "0999", error: true},
		{spec: "x+u", error: true},
		{spec: "u", error: true},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			c, err := parseChmod(tc.spec)
			if tc.error {
				if err == nil {
					t.Fatalf("no error for %q", tc.spec)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.apply(tc.mode, tc.dir); got != tc.want {
				t.Errorf("%q on %04o = %04o, want %04o", tc.spec, tc.mode, got, tc.want)
			}
		})
	}
}

func TestLookupOwner(t *testing.T) {
	tr := baseTree(t)
	tests := []struct {
		spec string
		want Owner
		err  string
	}{
		{spec: "1000", want: Owner{1000, 1000}},
		{spec: "1000:50", want: Owner{1000, 50}},
		{spec: "www", want: Owner{33, 44}},
		{spec: "www:staff", want: Owner{33, 50}},
		{spec: "root:staff", want: Owner{0, 50}},
		{spec: "5:", want: Owner{5, 5}},
		{spec: "nobody", err: "not in the image's /etc/passwd"},
		{spec: "1:nogroup", err: "not in the image's /etc/group"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := tr.LookupOwner(context.Background(), tc.spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	tr := treeOf(t,
		linkE("bin", "usr/bin"), dirE("usr/bin", 0o755, 0, 0), linkE("usr/lib64", "/lib"),
		linkE("loop", "loop"), linkE("up", "../../../etc"), fileE("f", 0o644, ""),
	)
	tests := []struct{ in, want, err string }{
		{in: "/bin/sh", want: "/usr/bin/sh"},
		{in: "/usr/lib64/x", want: "/lib/x"},
		{in: "/up/passwd", want: "/etc/passwd"},
		{in: "/a/../bin", want: "/usr/bin"},
		{in: "/loop", err: "symbolic links"},
		{in: "/f/x", err: "not a directory"},
	}
	for _, tc := range tests {
		got, err := tr.Resolve(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Resolve(%s) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestContextTree(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "keep.php", "k", 0o640)
	writeFile(t, dir, "vendor/a.php", "a", 0o644)
	writeFile(t, dir, "vendor/keep/b.php", "b", 0o644)
	writeFile(t, dir, "tests/t.php", "t", 0o644)
	tr, _, err := ContextTree(context.Background(), dir, WithIgnorePatterns([]string{"vendor", "!vendor/keep", "tests"}))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	got := listing(t, tr)
	want := "/keep.php file 0640 0:0 \"k\"\n/vendor dir 0755 0:0\n/vendor/keep dir 0755 0:0\n/vendor/keep/b.php file 0644 0:0 \"b\"\n"
	if got != want {
		t.Errorf("context tree:\n%s\nwant:\n%s", got, want)
	}
	_ = fs.ModePerm
}
