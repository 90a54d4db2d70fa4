package builder

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/checks"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// memSource serves images from memory and counts how often each layer's
// content is opened.
type memSource struct {
	images map[string]v1.Image
	mu     sync.Mutex
	opened map[string]int // "ref#layer" -> count
}

func newMemSource(t *testing.T, refs map[string]v1.Image) *memSource {
	t.Helper()
	s := &memSource{images: map[string]v1.Image{}, opened: map[string]int{}}
	for ref, img := range refs {
		ls, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		wrapped := make([]v1.Layer, len(ls))
		for i, l := range ls {
			wrapped[i] = &countingLayer{Layer: l, src: s, key: fmt.Sprintf("%s#%d", ref, i+1)}
		}
		s.images[ref] = &layeredImage{Image: img, layers: wrapped}
	}
	return s
}

func (s *memSource) Image(_ context.Context, ref string, _ v1.Platform) (v1.Image, registry.Resolved, error) {
	img, ok := s.images[ref]
	if !ok {
		return nil, registry.Resolved{Ref: ref}, &plan.InputError{Err: fmt.Errorf("no image %s", ref)}
	}
	d, err := img.Digest()
	return img, registry.Resolved{Ref: ref, Name: ref, Digest: d}, err
}

func (s *memSource) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened[key]
}

type layeredImage struct {
	v1.Image
	layers []v1.Layer
}

func (i *layeredImage) Layers() ([]v1.Layer, error) { return i.layers, nil }

type countingLayer struct {
	v1.Layer
	src *memSource
	key string
}

func (l *countingLayer) Uncompressed() (io.ReadCloser, error) {
	l.src.mu.Lock()
	l.src.opened[l.key]++
	l.src.mu.Unlock()
	return l.Layer.Uncompressed()
}

func (l *countingLayer) Compressed() (io.ReadCloser, error) {
	l.src.mu.Lock()
	l.src.opened[l.key]++
	l.src.mu.Unlock()
	return l.Layer.Compressed()
}

func fixture(t *testing.T, ref string) v1.Image {
	t.Helper()
	img, err := fixtures.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// threeLayers is an image whose three layers each hold one file.
func threeLayers(t *testing.T) v1.Image {
	t.Helper()
	img, err := fixtures.Build(fixtures.Spec{Family: fixtures.OCI, Architecture: "amd64", Layers: []fixtures.LayerSpec{
		{CreatedBy: "one", Entries: []fixtures.Entry{fixtures.Reg("a/x", 0o644, "x")}},
		{CreatedBy: "two", Entries: []fixtures.Entry{fixtures.Reg("b/y", 0o644, "y")}},
		{CreatedBy: "three", Entries: []fixtures.Entry{fixtures.Reg("c/z", 0o644, "z")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func dockerPlan(steps ...plan.Step) plan.Plan {
	for i := range steps {
		if steps[i].Kind == plan.StepLayer {
			steps[i].Kind = plan.StepCopy
		}
		steps[i].Line = i + 2
		if steps[i].CreatedBy == "" {
			steps[i].CreatedBy = fmt.Sprintf("COPY step %d", i+1)
		}
	}
	return plan.Plan{Base: "bref/php-84:3", Platform: amd64, Steps: steps, File: "Dockerfile"}
}

// TestDockerReadsOnlyWhatItNeeds: the base and every image a step copies
// from are read once, headers only; a file copied from an image is read
// from its own layer only; a reused layer is never read again.
func TestDockerReadsOnlyWhatItNeeds(t *testing.T) {
	src := newMemSource(t, map[string]v1.Image{
		"bref/php-84:3":           fixture(t, "bref/php-84:3"),
		"bref/extra-gmp-php-84:3": fixture(t, "bref/extra-gmp-php-84:3"),
		"example/three:1":         threeLayers(t),
	})
	pl := dockerPlan(
		plan.Step{Image: "bref/extra-gmp-php-84:3", Name: "gmp", Sources: []string{"/opt"}, Dest: "/opt"},
		plan.Step{Image: "example/three:1", Name: "three", Sources: []string{"/c/z"}, Dest: "/var/task/z"},
	)
	res, err := build(t, src, pl)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	var kinds []string
	for _, o := range res.Origins {
		kinds = append(kinds, fmt.Sprintf("%s/%v", o.Kind, o.Reused))
	}
	if got := strings.Join(kinds, " "); got != "base/false base/false base/false image/true image/false" {
		t.Errorf("origins %s", got)
	}
	for key, want := range map[string]int{
		"bref/php-84:3#1": 1, "bref/php-84:3#2": 1, "bref/php-84:3#3": 1,
		"bref/extra-gmp-php-84:3#1": 1,
		"example/three:1#1":         1, "example/three:1#2": 1, "example/three:1#3": 2,
	} {
		if got := src.count(key); got != want {
			t.Errorf("layer %s read %d times, want %d", key, got, want)
		}
	}
}

func TestDockerReuse(t *testing.T) {
	// A base whose /opt is 0711: a copy keeps that, an appended layer would not.
	oddOpt, err := fixtures.Build(fixtures.Spec{Family: fixtures.OCI, Architecture: "amd64", Layers: []fixtures.LayerSpec{
		{CreatedBy: "base", Entries: []fixtures.Entry{fixtures.Dir("opt", 0o711), fixtures.Dir("var/task", 0o755)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	src := newMemSource(t, map[string]v1.Image{
		"bref/php-80-fpm:1":              fixture(t, "bref/php-80-fpm:1"),
		"example/odd-opt:1":              oddOpt,
		"bref/extra-redis-php-80:0.10":   fixture(t, "bref/extra-redis-php-80:0.10"),
		"bref/extra-imagick-php-80:0.12": fixture(t, "bref/extra-imagick-php-80:0.12"),
		fixtures.OutsideOptRef:           fixture(t, fixtures.OutsideOptRef),
	})
	redis := plan.Step{Image: "bref/extra-redis-php-80:0.10", Name: "redis", Sources: []string{"/opt"}, Dest: "/opt"}
	tests := []struct {
		name   string
		base   string
		step   func(plan.Step) plan.Step
		reused string // Reused of each added layer
		opt    int64  // mode of /opt after the build
	}{
		{name: "COPY --from=ext /opt /opt", step: func(s plan.Step) plan.Step { return s }, reused: "true", opt: 0o755},
		{name: "a trailing slash changes nothing", step: func(s plan.Step) plan.Step { s.Sources, s.Dest = []string{"/opt/"}, "/opt/"; return s }, reused: "true", opt: 0o755},
		{name: "--link on a top-level directory", step: func(s plan.Step) plan.Step { s.Link = true; return s }, reused: "true", opt: 0o755},
		{name: "39 layers", step: func(s plan.Step) plan.Step { s.Image, s.Name = "bref/extra-imagick-php-80:0.12", "imagick"; return s }, reused: strings.TrimSpace(strings.Repeat("true ", 39)), opt: 0o755},
		{name: "--chown", step: func(s plan.Step) plan.Step { s.Chown = "0:0"; return s }, reused: "false", opt: 0o755},
		{name: "--chmod", step: func(s plan.Step) plan.Step { s.Chmod = "0755"; return s }, reused: "false", opt: 0o755},
		{name: "a subtree of the layer", step: func(s plan.Step) plan.Step {
			s.Sources, s.Dest = []string{"/opt/bref-extra"}, "/opt/bref-extra"
			return s
		}, reused: "false", opt: 0o755},
		{name: "another destination", step: func(s plan.Step) plan.Step { s.Dest = "/usr/opt"; return s }, reused: "false", opt: 0o755},
		{name: "files outside the copied path", step: func(s plan.Step) plan.Step { s.Image, s.Name = fixtures.OutsideOptRef, "outside-opt"; return s }, reused: "false", opt: 0o755},
		{name: "a base whose /opt has another mode", base: "example/odd-opt:1", step: func(s plan.Step) plan.Step { return s }, reused: "false", opt: 0o711},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := dockerPlan(tc.step(redis))
			pl.Base = "bref/php-80-fpm:1"
			if tc.base != "" {
				pl.Base = tc.base
			}
			res, err := build(t, src, pl)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			var reused []string
			for _, o := range res.Origins {
				if o.Kind != "base" {
					reused = append(reused, fmt.Sprint(o.Reused))
				}
			}
			if got := strings.Join(reused, " "); got != tc.reused {
				t.Errorf("reused %s, want %s", got, tc.reused)
			}
			tree, err := fixtures.FileTree(res.Image)
			if err != nil {
				t.Fatal(err)
			}
			if f := tree["opt"]; f.Type != tar.TypeDir || f.Mode != tc.opt {
				t.Errorf("/opt is %+v, want a directory %04o", f, tc.opt)
			}
			if s := tc.step(redis); s.Image == redis.Image {
				so := strings.TrimPrefix(strings.TrimSuffix(s.Dest, "/"), "/") + "/bref-extra/redis.so"
				if s.Sources[0] == "/opt/bref-extra" {
					so = "opt/bref-extra/redis.so"
				}
				if _, ok := tree[so]; !ok {
					t.Errorf("%s was not copied", so)
				}
			}
		})
	}
}

func TestDockerPlanErrors(t *testing.T) {
	src := newMemSource(t, map[string]v1.Image{"bref/php-84:3": fixture(t, "bref/php-84:3")})
	tests := []struct {
		name string
		pl   plan.Plan
		want string
	}{
		{name: "flag and Dockerfile steps", pl: plan.Plan{Base: "bref/php-84:3", Platform: amd64,
			Steps: []plan.Step{{Dir: ".", Dest: "/var/task"}, {Kind: plan.StepCopy, Sources: []string{"a"}, Dir: ".", Dest: "/a"}}}, want: "cannot mix"},
		{name: "an unknown kind", pl: plan.Plan{Base: "bref/php-84:3", Platform: amd64, Steps: []plan.Step{{Kind: 9}}}, want: "unknown step kind"},
		{name: "two sources", pl: dockerPlan(plan.Step{Dir: ".", Image: "bref/php-84:3", Sources: []string{"a"}, Dest: "/a"}), want: "one of a directory, an image or a stage"},
		{name: "an unknown stage", pl: dockerPlan(plan.Step{Stage: "nope", Sources: []string{"/a"}, Dest: "/a"}), want: `no stage named "nope"`},
		{name: "a stage copying from itself", pl: func() plan.Plan {
			p := dockerPlan(plan.Step{Stage: "a", Sources: []string{"/a"}, Dest: "/a"})
			p.Stages = []plan.Stage{{Name: "a", Base: plan.Scratch, Steps: []plan.Step{{Kind: plan.StepCopy, Stage: "a", Sources: []string{"/a"}, Dest: "/a"}}}}
			return p
		}(), want: "copies from itself"},
		{name: "a missing image", pl: dockerPlan(plan.Step{Image: "example/nope:1", Sources: []string{"/a"}, Dest: "/a"}), want: "Dockerfile:2: COPY step 1: no image example/nope:1"},
		{name: "a missing source", pl: dockerPlan(plan.Step{Image: "bref/php-84:3", Sources: []string{"/nope"}, Dest: "/a"}), want: "Dockerfile:2: COPY step 1: /nope: no such file or directory: check the path: the image bref/php-84:3 does not hold it"},
		{name: "an unknown --chown user", pl: dockerPlan(plan.Step{Image: "bref/php-84:3", Sources: []string{"/etc"}, Dest: "/x", Chown: "nobody"}), want: `user "nobody" is not in the image's /etc/passwd`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := build(t, src, tc.pl)
			if err == nil {
				res.Close()
				t.Fatal("no error")
			}
			var in *plan.InputError
			if !errors.As(err, &in) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want an input error with %q", err, tc.want)
			}
		})
	}
}

func TestDockerNoLayerWhenNothingChanges(t *testing.T) {
	src := newMemSource(t, map[string]v1.Image{"bref/php-84:3": fixture(t, "bref/php-84:3")})
	pl := dockerPlan(
		plan.Step{Image: "bref/php-84:3", Sources: []string{"/etc/*.nope"}, Dest: "/x/"},
		plan.Step{Kind: plan.StepMkdir, Dest: "/var/task"},
		plan.Step{Kind: plan.StepMkdir, Dest: "/var/task/new"},
	)
	res, err := build(t, src, pl)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	ls, err := res.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 4 || res.Origins[3].Kind != "workdir" {
		t.Fatalf("%d layers (%+v), want the base's 3 and the WORKDIR that creates a directory", len(ls), res.Origins)
	}
	entries, err := layers.List(ls[3])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.String())
	}
	if want := "drwxr-xr-x 0:0 0 /var\ndrwxr-xr-x 0:0 0 /var/task\ndrwxr-xr-x 0:0 0 /var/task/new"; strings.Join(got, "\n") != want {
		t.Errorf("WORKDIR layer:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

func TestDockerScratch(t *testing.T) {
	pl := plan.Plan{Base: plan.Scratch, Platform: arm64, File: "Dockerfile",
		Steps:  []plan.Step{{Kind: plan.StepCopy, Files: []layers.InlineFile{{Name: "EOF", Data: []byte("hi\n")}}, Dest: "/hello.txt", CreatedBy: "COPY <<EOF /hello.txt", Line: 2}},
		Config: plan.Config{Env: []string{"PATH=/bin"}, WorkingDir: "/", Cmd: []string{"hello.txt"}}, Handler: "hello.txt"}
	res, err := build(t, newMemSource(t, nil), pl)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	cf, err := res.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "arm64" || cf.OS != "linux" || cf.Config.WorkingDir != "/" || strings.Join(cf.Config.Env, ",") != "PATH=/bin" {
		t.Errorf("config %+v", cf)
	}
	for _, f := range checks.Build(context.Background(), pl, res, cf.Config) {
		if f.ID == findings.IDHandlerMissing {
			t.Errorf("handler finding: %s", f)
		}
	}
	tree, err := fixtures.FileTree(res.Image)
	if err != nil {
		t.Fatal(err)
	}
	if f := tree["hello.txt"]; f.Content != "hi\n" || f.Mode != 0o644 || len(tree) != 1 {
		t.Errorf("tree %+v", tree)
	}
	if m, err := res.Image.Manifest(); err != nil || len(m.Annotations) != 0 {
		t.Errorf("a scratch image has annotations %v (%v)", m.Annotations, err)
	}
}
