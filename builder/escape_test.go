package builder

import (
	"archive/tar"
	"context"
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/internal/testregistry"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// hostileSource is a registry client reading the fixtures, the hostile
// fixtures refs and the images imgs (by reference) from a real registry.
func hostileSource(t *testing.T, refs []string, imgs map[string]v1.Image) *registry.Client {
	t.Helper()
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	ctx := context.Background()
	if err := fixtures.Seed(ctx, reg.Host); err != nil {
		t.Fatal(err)
	}
	if err := fixtures.Push(ctx, reg.Host, refs); err != nil {
		t.Fatal(err)
	}
	for ref, img := range imgs {
		tag, err := name.NewTag(reg.Host + "/" + ref)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := registry.New(registry.WithMirror(reg.Host))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestExtensionSymlinkOutOfOpt: an extension layer whose names all lie
// under /opt but which holds opt/etc -> /etc and then opt/etc/passwd must
// not be appended as it is (unpacked, it writes the base's /etc/passwd):
// /opt is copied instead, keeping the link only, as COPY --from does. Both
// the flag path and the Dockerfile path.
func TestExtensionSymlinkOutOfOpt(t *testing.T) {
	src := hostileSource(t, []string{fixtures.OptEscapeRef}, nil)
	const ref = fixtures.OptEscapeRef
	basePasswd, err := fixtures.Files("bref/php-80-fpm:1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pl   plan.Plan
	}{
		{
			name: "--ext (flag build)",
			pl: plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64,
				Steps: []plan.Step{{Image: ref, Name: "escape", Extension: "escape", Src: "/opt", Dest: "/opt", CreatedBy: "COPY --from=" + ref + " /opt /opt"}}},
		},
		{
			name: "COPY --from (Dockerfile)",
			pl: func() plan.Plan {
				pl := dockerPlan(plan.Step{Image: ref, Name: "escape", Sources: []string{"/opt"}, Dest: "/opt", CreatedBy: "COPY --from=" + ref + " /opt /opt"})
				pl.Base = "bref/php-80-fpm:1"
				return pl
			}(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := build(t, src, tc.pl)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			if err := validate.Image(res.Image); err != nil {
				t.Fatalf("invalid image: %v", err)
			}
			if last := res.Origins[len(res.Origins)-1]; last.Reused {
				t.Errorf("the extension's blob was appended as it is: %+v", last)
			}
			got := unpacked(t, res.Image)
			if p := got["etc/passwd"]; p.Content != basePasswd["etc/passwd"].Content {
				t.Errorf("unpacked, the image's /etc/passwd is %q, want the base's %q", p.Content, basePasswd["etc/passwd"].Content)
			}
			if l := got["opt/etc"]; l.Type != tar.TypeSymlink || l.Linkname != "/etc" {
				t.Errorf("unpacked, /opt/etc is %+v, want the link to /etc", l)
			}
			if f := got["opt/bref-extra/escape.so"]; f.Type != tar.TypeReg {
				t.Errorf("the extension's own file is missing: %+v", f)
			}
			tree, err := fixtures.FileTree(res.Image)
			if err != nil {
				t.Fatal(err)
			}
			if tree["etc/passwd"] != basePasswd["etc/passwd"] {
				t.Errorf("/etc/passwd is %+v, want the base's", tree["etc/passwd"])
			}
			if l := tree["opt/etc"]; l.Type != tar.TypeSymlink {
				t.Errorf("/opt/etc is %+v, want a symbolic link", l)
			}
			for p := range tree {
				if strings.HasPrefix(p, "opt/etc/") {
					t.Errorf("%s lies under the link /opt/etc: a runtime would write it into /etc", p)
				}
			}
		})
	}
}

// TestExtensionAndBaseLinks: a base whose /opt/x is a link to /etc. An
// extension layer that declares opt/x/ as a directory before opt/x/passwd
// is reused (unpacking replaces the link by the directory); one that does
// not declare it would write through the base's link: it is copied, and
// nothing reaches /etc.
func TestExtensionAndBaseLinks(t *testing.T) {
	linked, err := fixtures.Build(fixtures.Spec{Family: fixtures.Docker, Architecture: "amd64", Layers: []fixtures.LayerSpec{
		{CreatedBy: "base", Entries: []fixtures.Entry{fixtures.Reg("etc/passwd", 0o644, "base\n"), fixtures.Dir("opt", 0o755), fixtures.Symlink("opt/x", "/etc"), fixtures.Dir("var/task", 0o755)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ext := func(verbatim bool) v1.Image {
		img, err := fixtures.Build(fixtures.Spec{Family: fixtures.Docker, Architecture: "amd64", Layers: []fixtures.LayerSpec{
			{CreatedBy: "ext", Verbatim: verbatim, Entries: []fixtures.Entry{fixtures.Dir("opt", 0o755), fixtures.Reg("opt/x/passwd", 0o644, "ext\n")}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	src := hostileSource(t, nil, map[string]v1.Image{"example/linked:1": linked, "example/declared:1": ext(false), "example/undeclared:1": ext(true)})
	for _, tc := range []struct {
		ref    string
		reused bool
	}{
		{ref: "example/declared:1", reused: true},
		{ref: "example/undeclared:1", reused: false},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			pl := plan.Plan{Base: "example/linked:1", Platform: amd64,
				Steps: []plan.Step{{Image: tc.ref, Name: "ext", Src: "/opt", Dest: "/opt", CreatedBy: "COPY --from=" + tc.ref + " /opt /opt"}}}
			res, err := build(t, src, pl)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			if err := validate.Image(res.Image); err != nil {
				t.Fatalf("invalid image: %v", err)
			}
			if got := res.Origins[len(res.Origins)-1].Reused; got != tc.reused {
				t.Errorf("reused %v, want %v", got, tc.reused)
			}
			got := unpacked(t, res.Image)
			if got["etc/passwd"].Content != "base\n" || got["opt/x/passwd"].Content != "ext\n" || got["opt/x"].Type != tar.TypeDir {
				t.Errorf("unpacked: /etc/passwd %+v, /opt/x %+v, /opt/x/passwd %+v", got["etc/passwd"], got["opt/x"], got["opt/x/passwd"])
			}
		})
	}
}

// unpacked returns the file tree a runtime gets by unpacking img's layers
// in order as containerd does (archive.Apply): the symbolic links in the
// parent directories of an entry are followed inside the root, missing
// parents are created, an entry replaces what stands at its path unless
// both are directories, and whiteouts are applied. Paths are relative.
func unpacked(t *testing.T, img v1.Image) map[string]fixtures.File {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	tree := map[string]fixtures.File{}
	removeAll := func(p string) {
		for q := range tree {
			if q == p || strings.HasPrefix(q, p+"/") {
				delete(tree, q)
			}
		}
	}
	for _, l := range ls {
		es, err := fixtures.LayerEntries(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			dir := resolveIn(tree, path.Dir(e.Path))
			base := path.Base(e.Path)
			if dir != "" {
				for q := dir; q != "."; q = path.Dir(q) {
					if _, ok := tree[q]; !ok {
						tree[q] = fixtures.File{Path: q, Type: tar.TypeDir, Mode: 0o755}
					}
				}
			}
			p := path.Join(dir, base)
			switch {
			case base == ".wh..wh..opq":
				for q := range tree {
					if strings.HasPrefix(q, dir+"/") {
						delete(tree, q)
					}
				}
				continue
			case strings.HasPrefix(base, ".wh."):
				removeAll(path.Join(dir, strings.TrimPrefix(base, ".wh.")))
				continue
			}
			if old, ok := tree[p]; ok && (old.Type != tar.TypeDir || e.Type != tar.TypeDir) {
				removeAll(p)
			}
			e.Path = p
			tree[p] = e
		}
	}
	return tree
}

// resolveIn follows the symbolic links of the relative path p in tree,
// inside the root, as containerd's fs.RootPath does; "" is the root.
func resolveIn(tree map[string]fixtures.File, p string) string {
	rest := strings.Split(p, "/")
	cur := ""
	for links := 0; len(rest) > 0 && links < 255; {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if cur != "" {
				cur = path.Dir(cur)
				if cur == "." {
					cur = ""
				}
			}
			continue
		}
		next := path.Join(cur, c)
		if f, ok := tree[next]; ok && f.Type == tar.TypeSymlink {
			links++
			if strings.HasPrefix(f.Linkname, "/") {
				cur = ""
			}
			rest = append(strings.Split(f.Linkname, "/"), rest...)
			continue
		}
		cur = next
	}
	return cur
}

// TestEmptyExtensionImage: an extension image that adds no file (no layer,
// or only empty layers) is refused, naming it, as an input error: the
// image would lack the extension the user asked for.
func TestEmptyExtensionImage(t *testing.T) {
	src := hostileSource(t, []string{fixtures.EmptyExtRef, fixtures.EmptyLayersRef}, nil)
	for _, ref := range []string{fixtures.EmptyExtRef, fixtures.EmptyLayersRef} {
		for _, docker := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s Dockerfile %v", ref, docker), func(t *testing.T) {
				step := plan.Step{Image: ref, Name: "empty", Extension: "empty", Src: "/opt", Dest: "/opt", CreatedBy: "COPY --from=" + ref + " /opt /opt"}
				pl := plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64, Steps: []plan.Step{step}}
				if docker {
					step.Extension, step.Sources = "", []string{"/opt"}
					pl = dockerPlan(step)
					pl.Base = "bref/php-80-fpm:1"
				}
				res, err := build(t, src, pl)
				if err == nil {
					res.Close()
					t.Fatal("an extension image adding nothing was accepted")
				}
				if !plan.IsInput(err) || !strings.Contains(err.Error(), ref) {
					t.Errorf("error %v: want an input error naming %s", err, ref)
				}
				if !docker && plan.FieldOf(err) != plan.FieldExt {
					t.Errorf("error names field %q, want %q", plan.FieldOf(err), plan.FieldExt)
				}
			})
		}
	}
}
