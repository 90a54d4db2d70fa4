package layers

import (
	"archive/tar"
	"context"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestLinkExposed(t *testing.T) {
	dir := func(p string) Entry { return Entry{Path: p, Type: tar.TypeDir, Mode: 0o755} }
	reg := func(p string) Entry { return Entry{Path: p, Type: tar.TypeReg, Mode: 0o644} }
	link := func(p, target string) Entry { return Entry{Path: p, Type: tar.TypeSymlink, Linkname: target} }
	hard := func(p, target string) Entry { return Entry{Path: p, Type: tar.TypeLink, Linkname: target} }
	tests := []struct {
		name    string
		entries []Entry
		want    string // the exposed entry, "" for none
	}{
		{name: "every parent declared", entries: []Entry{dir("/opt"), dir("/opt/a"), reg("/opt/a/f"), link("/opt/l", "a/f")}},
		{name: "a link out of the directory, then a file under it", entries: []Entry{dir("/opt"), link("/opt/etc", "/etc"), reg("/opt/etc/passwd")}, want: "/opt/etc/passwd"},
		{name: "a link inside the directory, then a file under it", entries: []Entry{dir("/opt"), dir("/opt/a"), link("/opt/b", "a"), reg("/opt/b/f")}, want: "/opt/b/f"},
		{name: "a directory replacing the link first", entries: []Entry{dir("/opt"), link("/opt/etc", "/etc"), dir("/opt/etc"), reg("/opt/etc/passwd")}},
		{name: "a link replacing a declared directory", entries: []Entry{dir("/opt"), dir("/opt/a"), dir("/opt/a/b"), link("/opt/a", "/etc"), reg("/opt/a/b/f")}, want: "/opt/a/b/f"},
		{name: "an undeclared parent (a link of the base or a lower layer may stand there)", entries: []Entry{dir("/opt"), reg("/opt/bref/x.so")}, want: "/opt/bref/x.so"},
		{name: "the directory itself undeclared", entries: []Entry{reg("/opt/x.so")}, want: "/opt/x.so"},
		{name: "a hard link through a link", entries: []Entry{dir("/opt"), link("/opt/etc", "/etc"), hard("/opt/shadow", "/opt/etc/shadow")}, want: "/opt/shadow"},
		{name: "a hard link to a declared file", entries: []Entry{dir("/opt"), reg("/opt/a"), hard("/opt/b", "/opt/a")}},
		{name: "entries outside the directory are not considered", entries: []Entry{dir("/opt"), reg("/etc/x/y"), reg("/opt/f")}},
		{name: "an empty layer", entries: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, exposed := LinkExposed(tc.entries, "/opt")
			if got != tc.want || exposed != (tc.want != "") {
				t.Errorf("LinkExposed = %q, %v; want %q", got, exposed, tc.want)
			}
		})
	}
}

// escapeEntries are the entries of an image whose names lie under /opt
// but that a runtime unpacks to /etc/passwd.
func escapeEntries() []tarEntry {
	return []tarEntry{
		{name: "opt/", typ: tar.TypeDir, mode: 0o755},
		{name: "opt/ok.so", typ: tar.TypeReg, mode: 0o755, data: "ok"},
		{name: "opt/etc", typ: tar.TypeSymlink, mode: 0o777, link: "/etc"},
		{name: "opt/etc/passwd", typ: tar.TypeReg, mode: 0o644, data: "root::0:0::/:/bin/sh\n"},
	}
}

// TestReadTreeFollowsParentLinks: ReadTree puts an entry under a symbolic
// link where a runtime unpacking the layer writes it.
func TestReadTreeFollowsParentLinks(t *testing.T) {
	es := escapeEntries()
	for _, tc := range []struct {
		name   string
		layers [][]tarEntry
	}{
		{name: "one layer", layers: [][]tarEntry{es}},
		{name: "the link in a lower layer", layers: [][]tarEntry{es[:3], es[3:]}},
		{name: "a relative link", layers: [][]tarEntry{{es[0], es[1], {name: "opt/etc", typ: tar.TypeSymlink, mode: 0o777, link: "../../etc"}, es[3]}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ls []v1.Layer
			for _, l := range tc.layers {
				ls = append(ls, layerOf(t, l...))
			}
			tree, err := ReadTree(context.Background(), stacked(t, ls...), WithTempDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			if e, ok := tree.Lookup("/etc/passwd"); !ok || e.Type != tar.TypeReg {
				t.Errorf("/etc/passwd is %+v, %v: want the file the link led to", e, ok)
			}
			if e, ok := tree.Lookup("/opt/etc"); !ok || e.Type != tar.TypeSymlink {
				t.Errorf("/opt/etc is %+v, %v: want the link", e, ok)
			}
			dst := NewTree(t.TempDir())
			defer dst.Close()
			ch, err := dst.Copy(context.Background(), tree, CopyOp{Sources: []string{"/opt"}, Dest: "/opt"})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(ch.Paths(), " "); got != "/opt /opt/etc /opt/ok.so" {
				t.Errorf("COPY /opt /opt wrote %s, want the link and ok.so only", got)
			}
		})
	}
}

// TestSubtreeFollowsParentLinks: Subtree keeps a link that leaves the
// prefix and leaves out what lies behind it, reported at the path a
// runtime writes it to; a link inside the prefix moves the entry there.
func TestSubtreeFollowsParentLinks(t *testing.T) {
	es := escapeEntries()
	tests := []struct {
		name    string
		layers  [][]tarEntry
		kept    string
		leftOut string
	}{
		{name: "one layer", layers: [][]tarEntry{es}, kept: "/opt /opt/etc /opt/ok.so"},
		{name: "the link in a lower layer", layers: [][]tarEntry{es[:3], es[3:]}, kept: "/opt /opt/etc /opt/ok.so", leftOut: "/etc/passwd"},
		{name: "a link inside the prefix", layers: [][]tarEntry{{es[0], {name: "opt/real/", typ: tar.TypeDir, mode: 0o755}, {name: "opt/l", typ: tar.TypeSymlink, mode: 0o777, link: "real"}}, {{name: "opt/l/f", typ: tar.TypeReg, mode: 0o644, data: "f"}}},
			kept: "/opt /opt/l /opt/real /opt/real/f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ls []v1.Layer
			for _, l := range tc.layers {
				ls = append(ls, layerOf(t, l...))
			}
			l, left, err := Subtree(context.Background(), stacked(t, ls...), "/opt", WithTempDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			defer closeLayer(t, l)
			var kept []string
			for _, e := range l.Entries() {
				kept = append(kept, e.Path)
			}
			if got := strings.Join(kept, " "); got != tc.kept {
				t.Errorf("kept %s, want %s", got, tc.kept)
			}
			var out []string
			for _, e := range left {
				out = append(out, e.Path)
			}
			if got := strings.Join(out, " "); got != tc.leftOut {
				t.Errorf("left out %q, want %q", got, tc.leftOut)
			}
		})
	}
}
