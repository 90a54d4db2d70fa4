package builder

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/plan"
)

// solverFunc is a Solver made of a function: what a build engine returns,
// for the builder's side of the seam.
type solverFunc func(context.Context, SolveRequest) (v1.Image, error)

func (f solverFunc) Solve(ctx context.Context, req SolveRequest) (v1.Image, error) {
	return f(ctx, req)
}

// engineImage is what an engine makes of base: one layer per entry set,
// each with the history text BuildKit gives it, for platform.
func engineImage(t *testing.T, base v1.Image, platform v1.Platform, layers map[string][]fixtures.Entry, order ...string) v1.Image {
	t.Helper()
	img := base
	for _, createdBy := range order {
		l, err := fixtures.NewLayer(types.OCILayer, layers[createdBy]...)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: l, MediaType: types.OCILayer,
			History: v1.History{CreatedBy: createdBy + " # buildkit"}}); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = platform.OS, platform.Architecture
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestSolveWhole: a plan whose final stage RUNs is built by the Solver
// with the images the builder pulled; each layer it added is matched
// with the Dockerfile step that made it, for the findings and the
// metadata; an image for another platform is refused.
func TestSolveWhole(t *testing.T) {
	src := source(t)
	const baseRef = "bref/php-84:3"
	base, _, err := src.Image(context.Background(), baseRef, amd64)
	if err != nil {
		t.Fatal(err)
	}
	pl := plan.Plan{Base: baseRef, Platform: amd64, File: "Dockerfile",
		Steps: []plan.Step{
			{Kind: plan.StepCopy, Dir: t.TempDir(), Sources: []string{"."}, Dest: "/var/task", Line: 2, CreatedBy: "COPY . /var/task"},
			{Kind: plan.StepRun, Name: "run", Line: 3, CreatedBy: "RUN make"},
			{Kind: plan.StepRun, Name: "run", Line: 4, CreatedBy: "RUN warm"},
		},
		Solve: &plan.Solve{Whole: true}}
	made := map[string][]fixtures.Entry{
		"COPY . /var/task":    {fixtures.Dir("var/task", 0o755), fixtures.Reg("var/task/index.php", 0o644, "<?php")},
		"RUN /bin/sh -c make": {fixtures.Dir("var/task", 0o755), fixtures.Reg("var/task/built", 0o644, "x")},
		"RUN /bin/sh -c warm": {fixtures.Dir("tmp", 0o1777), fixtures.Reg("tmp/cache", 0o644, "x")},
	}
	order := []string{"COPY . /var/task", "RUN /bin/sh -c make", "RUN /bin/sh -c warm"}

	t.Run("layers matched with their steps", func(t *testing.T) {
		var got SolveRequest
		b, err := New(src, WithSolver(solverFunc(func(_ context.Context, req SolveRequest) (v1.Image, error) {
			got = req
			return engineImage(t, base, amd64, made, order...), nil
		})))
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.Build(context.Background(), pl)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		if len(got.Images) != 1 || got.Images[0].Ref != baseRef || got.Target != "" || got.Dir == "" || !got.OCI {
			t.Errorf("request: %+v", got)
		}
		added := res.Origins[len(res.Origins)-3:]
		for i, want := range []plan.OriginKind{plan.OriginDir, plan.OriginRun, plan.OriginRun} {
			if added[i].Kind != want {
				t.Errorf("layer %d is a %s, want %s", i, added[i].Kind, want)
			}
		}
		if len(res.Written) != 3 || res.Written[2].Step.Line != 4 || res.Written[2].Entries[len(res.Written[2].Entries)-1].Path != "/tmp/cache" {
			t.Errorf("written: %+v", res.Written)
		}
		if !res.AppFromTree || res.Tree == nil {
			t.Error("the app checks do not read the image's /var/task")
		}
	})

	t.Run("another platform", func(t *testing.T) {
		arm := v1.Platform{OS: "linux", Architecture: "arm64"}
		b, err := New(src, WithSolver(solverFunc(func(context.Context, SolveRequest) (v1.Image, error) {
			return engineImage(t, base, arm, made, order...), nil
		})))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Build(context.Background(), pl); err == nil || !strings.Contains(err.Error(), "not linux/amd64") {
			t.Errorf("error %v, want a refusal of the arm64 image", err)
		}
	})

	t.Run("another base", func(t *testing.T) {
		other, _, err := src.Image(context.Background(), "bref/php-82-fpm:2", amd64)
		if err != nil {
			t.Fatal(err)
		}
		b, err := New(src, WithSolver(solverFunc(func(context.Context, SolveRequest) (v1.Image, error) {
			return engineImage(t, other, amd64, made, order...), nil
		})))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Build(context.Background(), pl); err == nil || !strings.Contains(err.Error(), "on another base than bref/php-84:3@sha256:") {
			t.Errorf("error %v, want a refusal of the image built on another base", err)
		}
	})

	t.Run("no solver", func(t *testing.T) {
		b, err := New(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Build(context.Background(), pl); !errors.Is(err, errNoSolver) || !plan.IsInput(err) {
			t.Errorf("error %v, want the input error that names --buildkit", err)
		}
	})
}

// TestLayerSteps: layers are matched, in order, with the steps of their
// instruction; a layer with no such step, or no history, gets a step of
// its own kind and no line.
func TestLayerSteps(t *testing.T) {
	t.Parallel()
	steps := []plan.Step{
		{Kind: plan.StepCopy, Line: 2, CreatedBy: "COPY . /var/task"},
		{Kind: plan.StepRun, Line: 3, CreatedBy: "RUN make"},
	}
	h := func(createdBy string, empty bool) v1.History {
		return v1.History{CreatedBy: createdBy + " # buildkit", EmptyLayer: empty}
	}
	tests := []struct {
		name    string
		history []v1.History
		n       int
		want    []string // kind and line of each step: "copy 2"
	}{
		{name: "matched", history: []v1.History{h("ENV A=1", true), h("COPY . /var/task", false), h("RUN /bin/sh -c make", false)}, n: 2,
			want: []string{"copy 2", "run 3"}},
		{name: "a RUN no step made", history: []v1.History{h("COPY . /var/task", false), h("RUN /bin/sh -c make", false), h("RUN /bin/sh -c other", false)}, n: 3,
			want: []string{"copy 2", "run 3", "run 0"}},
		{name: "short history", history: []v1.History{h("COPY . /var/task", false)}, n: 2,
			want: []string{"copy 2", "copy 0"}},
	}
	kind := map[plan.StepKind]string{plan.StepCopy: "copy", plan.StepRun: "run"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, s := range layerSteps(steps, tc.history, tc.n) {
				got = append(got, fmt.Sprintf("%s %d", kind[s.Kind], s.Line))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
