package layers

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
)

// extensionImage builds an image like a Bref extension image, with files
// outside /opt, whiteouts in a later layer, names spelt as various tools
// spell them, and hard links.
func extensionImage(t *testing.T) v1.Image {
	t.Helper()
	const (
		dir  = tar.TypeDir
		reg  = tar.TypeReg
		sym  = tar.TypeSymlink
		link = tar.TypeLink
	)
	when := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	lower := layerOf(t,
		tarEntry{name: "opt/", typ: dir, mode: 0o775, mtime: when},
		tarEntry{name: "opt/bref/", typ: dir, mode: 0o755, mtime: when},
		tarEntry{name: "opt/bref/extensions/", typ: dir, mode: 0o755, mtime: when},
		tarEntry{name: "opt/bref/extensions/redis.so", typ: reg, mode: 0o755, data: "old redis", mtime: when},
		tarEntry{name: "opt/bref/etc/php/conf.d/ext-redis.ini", typ: reg, mode: 0o644, data: "extension=redis.so\n", mtime: when},
		tarEntry{name: "opt/old.txt", typ: reg, mode: 0o644, data: "old", mtime: when},
		tarEntry{name: "opt/lib/", typ: dir, mode: 0o700, uid: 1000, gid: 1000, uname: "builder", mtime: when},
		tarEntry{name: "opt/lib/libx.so", typ: reg, mode: 0o644, uid: 1000, gid: 1000, data: "libx", mtime: when},
		tarEntry{name: "opt/lib/a-link", typ: link, link: "opt/lib/libx.so", mtime: when},
		tarEntry{name: "opt/lib/z-link", typ: link, link: "./opt/lib/libx.so", mtime: when},
		tarEntry{name: "opt/passwd-copy", typ: link, link: "etc/passwd", mtime: when},
		tarEntry{name: "opt/bin/php", typ: sym, mode: 0o777, link: "/opt/bref/bin/php", mtime: when},
		tarEntry{name: "etc/", typ: dir, mode: 0o755, mtime: when},
		tarEntry{name: "etc/passwd", typ: reg, mode: 0o644, data: "root:x:0:0::/root:/bin/sh\n", mtime: when},
		tarEntry{name: "tmp/", typ: dir, mode: 0o1777, mtime: when},
		tarEntry{name: "tmp/cache", typ: reg, mode: 0o644, data: "cache", mtime: when},
	)
	middle := layerOf(t,
		tarEntry{name: "./opt/new.txt", typ: reg, mode: 0o644, data: "new", mtime: when},
		tarEntry{name: "opt/.wh.old.txt", typ: reg},
		tarEntry{name: "tmp/.wh.cache", typ: reg},
	)
	upper := layerOf(t,
		tarEntry{name: "/opt/bref/extensions/redis.so", typ: reg, mode: 0o755, data: "new redis", mtime: when.Add(time.Hour)},
	)
	img, err := mutate.AppendLayers(empty.Image, lower, middle, upper)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestSubtree(t *testing.T) {
	img := extensionImage(t)
	const (
		dir  = tar.TypeDir
		reg  = tar.TypeReg
		sym  = tar.TypeSymlink
		link = tar.TypeLink
	)
	passwd := "root:x:0:0::/root:/bin/sh\n"
	opt := []Entry{
		{Path: "/opt", Type: dir, Mode: 0o775},
		{Path: "/opt/bin", Type: dir, Mode: 0o755},
		{Path: "/opt/bin/php", Type: sym, Mode: 0o777, Linkname: "/opt/bref/bin/php"},
		{Path: "/opt/bref", Type: dir, Mode: 0o755},
		{Path: "/opt/bref/etc", Type: dir, Mode: 0o755},
		{Path: "/opt/bref/etc/php", Type: dir, Mode: 0o755},
		{Path: "/opt/bref/etc/php/conf.d", Type: dir, Mode: 0o755},
		{Path: "/opt/bref/etc/php/conf.d/ext-redis.ini", Type: reg, Mode: 0o644, Size: 19},
		{Path: "/opt/bref/extensions", Type: dir, Mode: 0o755},
		{Path: "/opt/bref/extensions/redis.so", Type: reg, Mode: 0o755, Size: 9},
		{Path: "/opt/lib", Type: dir, Mode: 0o700, UID: 1000, GID: 1000},
		{Path: "/opt/lib/a-link", Type: reg, Mode: 0o644, Size: 4, UID: 1000, GID: 1000},
		{Path: "/opt/lib/libx.so", Type: reg, Mode: 0o644, Size: 4, UID: 1000, GID: 1000},
		{Path: "/opt/lib/z-link", Type: link, Linkname: "/opt/lib/libx.so"},
		{Path: "/opt/new.txt", Type: reg, Mode: 0o644, Size: 3},
		{Path: "/opt/passwd-copy", Type: reg, Mode: 0o644, Size: int64(len(passwd))},
	}
	etc := []Entry{
		{Path: "/etc", Type: dir, Mode: 0o755},
		{Path: "/etc/passwd", Type: reg, Mode: 0o644, Size: int64(len(passwd))},
	}
	tmp := []Entry{{Path: "/tmp", Type: dir, Mode: 0o1777}}
	leftOutOfOpt := slices.Concat(etc, tmp)

	tests := []struct {
		name        string
		prefix      string
		want        []Entry
		wantLeftOut []Entry
		wantData    map[string]string
	}{{
		name:        "opt",
		prefix:      "/opt",
		want:        opt,
		wantLeftOut: leftOutOfOpt,
		wantData: map[string]string{
			"opt/bref/extensions/redis.so": "new redis",
			"opt/lib/a-link":               "libx",
			"opt/lib/libx.so":              "libx",
			"opt/passwd-copy":              passwd,
			"opt/new.txt":                  "new",
		},
	}, {
		name:        "opt with a trailing slash",
		prefix:      "/opt/",
		want:        opt,
		wantLeftOut: leftOutOfOpt,
	}, {
		name:   "deeper prefix keeps the image's ancestors",
		prefix: "/opt/bref",
		want:   opt[:1:1], // /opt, as the image has it (0775), then /opt/bref...
		wantLeftOut: slices.Concat(etc, []Entry{
			{Path: "/opt/bin/php", Type: sym, Mode: 0o777, Linkname: "/opt/bref/bin/php"},
			opt[10], // /opt/lib
			{Path: "/opt/lib/a-link", Type: link, Linkname: "/opt/lib/libx.so"},
			opt[12], // libx.so
			opt[13], // z-link
			opt[14], // new.txt
			{Path: "/opt/passwd-copy", Type: link, Linkname: "/etc/passwd"},
		}, tmp),
	}, {
		name:   "prefix missing from the image gets parents",
		prefix: "/opt/bref/etc/php",
		want: []Entry{
			opt[0],                         // /opt as the image has it
			opt[3],                         // /opt/bref as the image has it
			opt[4], opt[5], opt[6], opt[7], // made: etc, php, conf.d; then the file
		},
	}, {
		name:   "single file",
		prefix: "/opt/new.txt",
		want:   []Entry{opt[0], opt[14]},
	}}
	// The deeper prefix keeps /opt/bref and what is under it.
	tests[2].want = slices.Concat(tests[2].want, opt[3:10])
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, leftOut, err := Subtree(context.Background(), img, tc.prefix, WithTempDir(t.TempDir()))
			if err != nil {
				t.Fatalf("Subtree: %v", err)
			}
			closeLayer(t, l)
			checkEntries(t, l, tc.want)
			checkParents(t, l.Entries())
			checkLayer(t, l)
			if tc.wantLeftOut != nil && !slices.Equal(leftOut, tc.wantLeftOut) {
				t.Errorf("left out:\n got %v\nwant %v", leftOut, tc.wantLeftOut)
			}
			for _, f := range readTar(t, l) {
				h := f.hdr
				if !h.ModTime.Equal(time.Unix(0, 0)) || h.Uname != "" || h.Gname != "" || len(h.PAXRecords) != 0 {
					t.Errorf("%s: mtime %v owner names %q:%q records %v, want epoch, no names, no records", h.Name, h.ModTime, h.Uname, h.Gname, h.PAXRecords)
				}
				if strings.HasPrefix(h.Name, "/") || strings.HasPrefix(h.Name, "./") || (h.Typeflag == tar.TypeDir) != strings.HasSuffix(h.Name, "/") {
					t.Errorf("tar name %q: want relative, ending with / for directories only", h.Name)
				}
				if want, ok := tc.wantData[h.Name]; ok && f.data != want {
					t.Errorf("%s: content %q, want %q", h.Name, f.data, want)
				}
				if h.Typeflag == tar.TypeLink && h.Linkname != "opt/lib/libx.so" {
					t.Errorf("%s: hard link to %q, want opt/lib/libx.so", h.Name, h.Linkname)
				}
			}
		})
	}
}

// TestSubtreeDeterministic checks that the layer depends only on the
// flattened filesystem, not on how the image's layers spell or order it.
func TestSubtreeDeterministic(t *testing.T) {
	img := extensionImage(t)
	// The same flattened /opt in one layer, in shuffled order, with other
	// times, owner names and spellings; and junk elsewhere.
	entries := []tarEntry{
		{name: "./opt", typ: tar.TypeDir, mode: 0o775},
		{name: "opt/bref", typ: tar.TypeDir, mode: 0o755},
		{name: "/opt/bref/extensions/", typ: tar.TypeDir, mode: 0o755},
		{name: "opt/bref/extensions/redis.so", typ: tar.TypeReg, mode: 0o755, data: "new redis"},
		{name: "opt/bref/etc/php/conf.d/ext-redis.ini", typ: tar.TypeReg, mode: 0o644, data: "extension=redis.so\n"},
		{name: "opt/lib/", typ: tar.TypeDir, mode: 0o700, uid: 1000, gid: 1000},
		{name: "opt/lib/libx.so", typ: tar.TypeReg, mode: 0o644, uid: 1000, gid: 1000, data: "libx"},
		{name: "opt/lib/a-link", typ: tar.TypeReg, mode: 0o644, uid: 1000, gid: 1000, data: "libx"},
		{name: "opt/lib/z-link", typ: tar.TypeLink, link: "opt/lib/libx.so"},
		{name: "opt/passwd-copy", typ: tar.TypeReg, mode: 0o644, data: "root:x:0:0::/root:/bin/sh\n"},
		{name: "opt/bin/php", typ: tar.TypeSymlink, mode: 0o777, link: "/opt/bref/bin/php"},
		{name: "opt/new.txt", typ: tar.TypeReg, mode: 0o644, data: "new"},
		{name: "srv/", typ: tar.TypeDir, mode: 0o755},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range entries {
		entries[i].uname = "someone"
		entries[i].mtime = time.Unix(rng.Int64N(1<<31), 0)
	}
	// Shuffle, keeping the hard link after its target as tar requires.
	rng.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
	slices.SortStableFunc(entries, func(a, b tarEntry) int {
		return boolInt(a.typ == tar.TypeLink) - boolInt(b.typ == tar.TypeLink)
	})
	other, err := mutate.AppendLayers(empty.Image, layerOf(t, entries...))
	if err != nil {
		t.Fatal(err)
	}

	var digests []string
	for i, im := range []v1.Image{img, img, other} {
		l, _, err := Subtree(context.Background(), im, "/opt", WithTempDir(t.TempDir()))
		if err != nil {
			t.Fatalf("Subtree %d: %v", i, err)
		}
		closeLayer(t, l)
		digests = append(digests, digestOf(t, l).String())
	}
	if digests[1] != digests[0] || digests[2] != digests[0] {
		t.Errorf("digests %v, want all equal", digests)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSubtreeErrors(t *testing.T) {
	img := extensionImage(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	dangling, err := mutate.AppendLayers(empty.Image, layerOf(t,
		tarEntry{name: "opt/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "opt/h", typ: tar.TypeLink, link: "etc/gone"},
	))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ctx     context.Context
		img     v1.Image
		prefix  string
		opts    []Option
		wantErr string
		wantIs  error
	}{
		{name: "nothing at prefix", prefix: "/srv", wantErr: `image has nothing at "/srv"`},
		{name: "relative prefix", prefix: "opt", wantErr: `"opt" is not absolute`},
		{name: "ignore patterns", prefix: "/opt", opts: []Option{WithIgnorePatterns([]string{"x"})}, wantErr: "drop WithIgnorePatterns"},
		{name: "bad media type", prefix: "/opt", opts: []Option{WithMediaType("application/vnd.oci.image.layer.v1.tar")}, wantErr: "Lambda needs gzip layers"},
		{name: "cancelled", ctx: cancelled, prefix: "/opt", wantIs: context.Canceled},
		{name: "dangling hard link", img: dangling, prefix: "/opt", wantErr: `hard link "/opt/h" in the image points to "/etc/gone", which the image does not hold`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, im := tc.ctx, tc.img
			if ctx == nil {
				ctx = context.Background()
			}
			if im == nil {
				im = img
			}
			tmp := t.TempDir()
			l, _, err := Subtree(ctx, im, tc.prefix, append([]Option{WithTempDir(tmp)}, tc.opts...)...)
			if err == nil {
				l.Close()
				t.Fatal("Subtree succeeded, want an error")
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

func TestComparePaths(t *testing.T) {
	// The order of filepath.WalkDir: depth-first, siblings by name.
	want := []string{"/", "/a", "/a/b", "/a/b/c", "/a/x", "/a-b", "/a-b/c", "/a.b", "/ab", "/b"}
	got := slices.Clone(want)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
	slices.SortFunc(got, comparePaths)
	if !slices.Equal(got, want) {
		t.Errorf("sorted %q, want %q", got, want)
	}
	for _, p := range want {
		if c := comparePaths(p, p); c != 0 {
			t.Errorf("comparePaths(%q, %q) = %d", p, p, c)
		}
	}
}

func TestList(t *testing.T) {
	l := layerOf(t,
		tarEntry{name: "./", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "./opt/", typ: tar.TypeDir, mode: 0o40755}, // with file-type bits
		tarEntry{name: "./opt/x", typ: tar.TypeReg, mode: 0o644, data: "x", uid: 7, gid: 8},
		tarEntry{name: "opt/y/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "/opt/z", typ: tar.TypeSymlink, mode: 0o777, link: "./x"},
		tarEntry{name: "opt//w/../h", typ: tar.TypeLink, link: "./opt/x"},
		tarEntry{name: "opt/.wh.gone", typ: tar.TypeReg},
	)
	want := []Entry{
		{Path: "/", Type: tar.TypeDir, Mode: 0o755},
		{Path: "/opt", Type: tar.TypeDir, Mode: 0o755},
		{Path: "/opt/x", Type: tar.TypeReg, Mode: 0o644, Size: 1, UID: 7, GID: 8},
		{Path: "/opt/y", Type: tar.TypeDir, Mode: 0o755},
		{Path: "/opt/z", Type: tar.TypeSymlink, Mode: 0o777, Linkname: "./x"},
		{Path: "/opt/h", Type: tar.TypeLink, Linkname: "/opt/x"},
		{Path: "/opt/.wh.gone", Type: tar.TypeReg},
	}
	got, err := List(l)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("List:\n got %v\nwant %v", got, want)
	}
}

func TestListErrors(t *testing.T) {
	if got, err := List(layerOf(t)); err != nil || len(got) != 0 {
		t.Errorf("List(empty tar) = %v, %v; want no entries, no error", got, err)
	}
	garbage, err := partial.UncompressedToLayer(tarLayer("not a tar"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := List(garbage); err == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Errorf("List(not a tar) error %v, want one naming entry 1", err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "a", "a", 0o644)
	l, err := FromDir(context.Background(), dir, "/var/task")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := List(l); err == nil || !strings.Contains(err.Error(), fmt.Sprint(digestOf(t, l))) {
		t.Errorf("List(closed layer) error %v, want one naming the layer", err)
	}
}

func TestEntryString(t *testing.T) {
	tests := []struct {
		e    Entry
		want string
	}{
		{Entry{Path: "/var/task/index.php", Type: tar.TypeReg, Mode: 0o644, Size: 14}, "-rw-r--r-- 0:0 14 /var/task/index.php"},
		{Entry{Path: "/opt", Type: tar.TypeDir, Mode: 0o755, UID: 1, GID: 2}, "drwxr-xr-x 1:2 0 /opt"},
		{Entry{Path: "/opt/x", Type: tar.TypeSymlink, Mode: 0o777, Linkname: "y"}, "lrwxrwxrwx 0:0 0 /opt/x -> y"},
		{Entry{Path: "/opt/h", Type: tar.TypeLink, Linkname: "/opt/x"}, "h--------- 0:0 0 /opt/h => /opt/x"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.e.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}
