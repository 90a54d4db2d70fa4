package layers

import (
	"archive/tar"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// openCounter wraps a layer and counts how often its content is opened.
type openCounter struct {
	v1.Layer
	mu sync.Mutex
	n  int
}

func (l *openCounter) Uncompressed() (io.ReadCloser, error) {
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	return l.Layer.Uncompressed()
}

func (l *openCounter) opened() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

type stackedImage struct {
	v1.Image
	ls []v1.Layer
}

func (s stackedImage) Layers() ([]v1.Layer, error) { return s.ls, nil }

func stacked(t *testing.T, ls ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		t.Fatal(err)
	}
	return stackedImage{Image: img, ls: ls}
}

func TestReadTree(t *testing.T) {
	ctx := context.Background()
	l1 := &openCounter{Layer: layerOf(t,
		tarEntry{name: "./", typ: tar.TypeDir, mode: 0o700},
		tarEntry{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "etc/passwd", typ: tar.TypeReg, mode: 0o644, data: "root:x:0:0::/:/bin/sh\n"},
		tarEntry{name: "opt/old/a", typ: tar.TypeReg, mode: 0o644, data: "a"},
		tarEntry{name: "opt/old/b", typ: tar.TypeReg, mode: 0o644, data: "b"},
		tarEntry{name: "srv/", typ: tar.TypeDir, mode: 0o750, uid: 7, gid: 8},
		tarEntry{name: "srv/gone", typ: tar.TypeReg, mode: 0o600, data: "gone"},
		tarEntry{name: "usr/lib/big.so", typ: tar.TypeReg, mode: 0o755, data: strings.Repeat("x", 100)},
	)}
	l2 := &openCounter{Layer: layerOf(t,
		tarEntry{name: "opt/old/.wh..wh..opq", typ: tar.TypeReg},
		tarEntry{name: "opt/old/c", typ: tar.TypeReg, mode: 0o644, data: "c"},
		tarEntry{name: "srv/.wh.gone", typ: tar.TypeReg},
		tarEntry{name: "srv/", typ: tar.TypeDir, mode: 0o755, uid: 1, gid: 1},
		tarEntry{name: "usr/lib/big.so.1", typ: tar.TypeLink, link: "usr/lib/big.so"},
		tarEntry{name: "usr/lib/big.so.2", typ: tar.TypeSymlink, mode: 0o777, link: "big.so.1"},
		tarEntry{name: "usr/lib/dangling", typ: tar.TypeLink, link: "nowhere"},
	)}
	tr, err := ReadTree(ctx, stacked(t, l1, l2), WithTempDir(t.TempDir()), WithContents("/etc/passwd"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	got := listing(t, tr)
	for _, w := range []string{
		`/etc/passwd file 0644 0:0 "root:x:0:0::/:/bin/sh\n"`,
		`/opt dir 0755 0:0`, `/opt/old/c file 0644 0:0 "c"`,
		`/srv dir 0755 1:1`,
		`/usr/lib/big.so.1 file 0755 0:0 "xxxx`, `/usr/lib/big.so.2 symlink 0777 0:0 -> big.so.1`, `/usr/lib/dangling file 0000 0:0 ""`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("listing lacks %q:\n%s", w, got)
		}
	}
	for _, nw := range []string{"/opt/old/a", "/srv/gone"} {
		if strings.Contains(got, nw) {
			t.Errorf("listing holds %q, which a whiteout removed:\n%s", nw, got)
		}
	}
	if e, _ := tr.Lookup("/"); e.Mode != 0 && e.Mode != 0o700 {
		t.Errorf("root %+v", e)
	}
	if n := len(tr.LayerEntries(1)); n != 7 {
		t.Errorf("layer 2 has %d entries as stored, want 7", n)
	}
	// Reading /etc/passwd reads no layer: ReadTree kept it. Reading the
	// files (listing did) read layer 1 once more, for both names of big.so.
	if l1.opened() != 2 || l2.opened() != 2 {
		t.Errorf("layers opened %d and %d times, want 2 and 2 (headers, then contents)", l1.opened(), l2.opened())
	}
}

func TestOverlayLayerAndWriteLayer(t *testing.T) {
	ctx := context.Background()
	ext := &openCounter{Layer: layerOf(t,
		tarEntry{name: "opt/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "opt/ext/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "opt/ext/x.so", typ: tar.TypeReg, mode: 0o755, data: "so"},
		tarEntry{name: "opt/ext/x.ini", typ: tar.TypeReg, mode: 0o644, data: "extension=x.so\n"},
	)}
	src, err := ReadTree(ctx, stacked(t, ext), WithTempDir(t.TempDir()), WithContents("/opt/ext/x.ini"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := baseTree(t)
	ch := dst.OverlayLayer(src, 0, ext)
	if got := strings.Join(ch.Paths(), " "); got != "/opt /opt/ext /opt/ext/x.ini /opt/ext/x.so" {
		t.Errorf("changed %s", got)
	}
	if b, err := dst.ReadFile(ctx, "/opt/ext/x.ini", 100); err != nil || string(b) != "extension=x.so\n" {
		t.Errorf("ini %q, %v", b, err)
	}
	if ext.opened() != 1 {
		t.Errorf("the layer was opened %d times, want once (headers): the ini was kept", ext.opened())
	}
	// Copy part of it again onto new parents, and write the layer: parents
	// come with the tree's metadata, contents from the layer (read once).
	ch, err = dst.Copy(ctx, dst, CopyOp{Sources: []string{"/opt/ext"}, Dest: "/srv/a/b/"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := dst.WriteLayer(ctx, ch, WithTempDir(t.TempDir()), WithEpoch(epochOf(7)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var got []string
	for _, e := range l.Entries() {
		got = append(got, e.String())
	}
	want := []string{
		"drwxr-x--- 1000:1000 0 /srv", "drwxr-xr-x 0:0 0 /srv/a", "drwxr-xr-x 0:0 0 /srv/a/b",
		"-rw-r--r-- 0:0 15 /srv/a/b/x.ini", "-rwxr-xr-x 0:0 2 /srv/a/b/x.so",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("layer:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ext.opened() != 2 {
		t.Errorf("the layer was opened %d times, want twice", ext.opened())
	}
	for _, f := range readTar(t, l) {
		if !f.hdr.ModTime.Equal(epochOf(7)) || f.hdr.Uname != "" {
			t.Errorf("%s: mtime %s uname %q", f.hdr.Name, f.hdr.ModTime, f.hdr.Uname)
		}
	}
}

func TestArchiveErrors(t *testing.T) {
	src := treeOf(t,
		fileE("a.tar.xz", 0o644, "\xfd7zXZ\x00rest"),
		fileE("b.tar.zst", 0o644, "\x28\xb5\x2f\xfdrest"),
	)
	for _, name := range []string{"a.tar.xz", "b.tar.zst"} {
		dst := NewTree(t.TempDir())
		_, err := dst.Copy(context.Background(), src, CopyOp{Sources: []string{name}, Dest: "/x/", Unpack: true})
		if err == nil || !strings.Contains(err.Error(), "xz or zstd") {
			t.Errorf("%s: error %v", name, err)
		}
		dst.Close()
	}
}

func epochOf(s int64) time.Time { return time.Unix(s, 0).UTC() }
