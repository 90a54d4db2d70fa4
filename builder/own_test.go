package builder

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/plan"
)

// TestOwnFilesLeftOut: the layer cache and the build's outputs (the
// plan's Exclude) are left out of the app, with an own-file-skipped
// finding, in a flag build and in a Dockerfile's build context.
func TestOwnFilesLeftOut(t *testing.T) {
	src := source(t)
	app := fixtures.WriteDir(t, map[string]string{
		"public/index.php": "<?php echo 1;",
		"image.tar":        "the previous build's tarball",
		"out/digest.txt":   "sha256:…",
	})
	cache, err := layers.OpenCache(filepath.Join(app, ".cache"), 0)
	if err != nil {
		t.Fatal(err)
	}
	exclude := []string{filepath.Join(app, "image.tar"), filepath.Join(app, "out", "digest.txt"), ""}
	tests := []struct {
		name string
		pl   plan.Plan
	}{
		{name: "flag build", pl: plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64, Exclude: exclude,
			Steps: []plan.Step{{Dir: app, Name: "app", Dest: "/var/task", CreatedBy: "COPY . /var/task"}}}},
		{name: "Dockerfile", pl: func() plan.Plan {
			pl := dockerPlan(plan.Step{Dir: app, Name: "app", Sources: []string{"."}, Dest: "/var/task", CreatedBy: "COPY . /var/task"})
			pl.Base, pl.Exclude = "bref/php-80-fpm:1", exclude
			return pl
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := build(t, src, tc.pl, WithCache(cache))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			if err := validate.Image(res.Image); err != nil {
				t.Fatalf("invalid image: %v", err)
			}
			tree, err := fixtures.FileTree(res.Image)
			if err != nil {
				t.Fatal(err)
			}
			var app []string
			for p := range tree {
				if rel, ok := strings.CutPrefix(p, "var/task/"); ok {
					app = append(app, rel)
				}
			}
			slices.Sort(app)
			if got, want := strings.Join(app, " "), "out public public/index.php"; got != want {
				t.Errorf("the app holds %s, want %s", got, want)
			}
			var own []string
			for _, f := range res.Findings {
				if f.ID == findings.IDOwnFile {
					own = append(own, strings.TrimPrefix(f.Path, app0(tc.pl)+"/"))
					if f.Severity != findings.Warning || !strings.Contains(f.Message, ".dockerignore") {
						t.Errorf("finding %s", f)
					}
				}
			}
			slices.Sort(own)
			if got, want := strings.Join(own, " "), ".cache image.tar out/digest.txt"; got != want {
				t.Errorf("own-file-skipped findings for %s, want %s", got, want)
			}
		})
	}
}

// app0 is the directory of a plan's first step.
func app0(pl plan.Plan) string { return pl.Steps[0].Dir }
